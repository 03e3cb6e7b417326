//! REQ and REP (RFC 28, libzmq `req.cpp`/`rep.cpp`).
//!
//! ```text
//!   REQ:  Idle ──send──▶ Waiting(peer) ──recv reply from that peer──▶ Idle
//!           │ recv: EFSM        │ send: EFSM
//!   REP:  Idle ──recv (stores envelope)──▶ Replying(peer) ──send──▶ Idle
//!           │ send: EFSM                          │ recv: EFSM
//! ```
//!
//! A `recv` takes the whole message off the pipe, so the state above moves
//! on its first frame; the frames not yet returned wait in the socket's
//! `pending_in`. While they do, REQ and REP refuse to send (libzmq's
//! `_receiving_reply` in `req.cpp`, `_sending_reply` set only after the
//! last frame in `rep.cpp`): that check sits in the socket layer
//! (`Socket::check_turn`), which holds those frames.
//!
//! On the wire a request is `"" + body`: REQ prepends the empty delimiter,
//! REP keeps every frame up to and including it (the envelope, which grows
//! by one routing id per ROUTER hop) and puts it back in front of the reply.

use std::io;

use bytes::Bytes;

use super::spread;
use crate::zmq::core::Inner;
use crate::zmq::error::ZmqError;
use crate::zmq::msg::Msg;
use crate::zmq::signal::Wakeups;

/// REQ may send when no reply is due.
pub(super) fn req_may_send(inner: &Inner) -> bool {
    inner.pattern.req_peer.is_none()
}

/// REP may send when it holds a request's envelope to answer.
pub(super) fn rep_may_send(inner: &Inner) -> bool {
    inner.pattern.rep_envelope.is_some()
}

/// RFC 28: "SHALL prefix the outgoing message with an empty delimiter
/// frame" and "SHALL route outgoing messages to connected peers using a
/// round-robin strategy"; one request at a time.
pub(super) fn req_send(
    inner: &mut Inner,
    slot: &mut Option<Msg>,
    wake: &mut Wakeups,
) -> Option<io::Result<()>> {
    if !req_may_send(inner) {
        return Some(Err(ZmqError::InvalidState.into()));
    }
    let mut msg = slot.take()?;
    msg.insert(0, Bytes::new());
    match spread::lb_send(inner, msg, wake) {
        Ok(peer) => {
            inner.pattern.req_peer = Some(peer);
            Some(Ok(()))
        }
        Err(mut msg) => {
            msg.remove(0);
            *slot = Some(msg);
            None
        }
    }
}

/// RFC 28: "SHALL accept an incoming message only from the last peer that
/// it sent a request to" and "SHALL discard silently any messages received
/// from other peers" (and, per `req.cpp`, replies without the delimiter).
pub(super) fn req_recv(inner: &mut Inner, wake: &mut Wakeups) -> Option<io::Result<Msg>> {
    let Some(id) = inner.pattern.req_peer else {
        return Some(Err(ZmqError::InvalidState.into()));
    };
    // Stale replies from other peers (a request that was asked elsewhere
    // before) are dropped as they come.
    for peer in inner.peers.iter_mut().filter(|p| p.id != id) {
        while peer.rx.pop(wake).is_some() {}
    }
    let peer = inner.peers.iter_mut().find(|p| p.id == id)?;
    while let Some(mut msg) = peer.rx.pop(wake) {
        if msg.len() >= 2 && msg[0].is_empty() {
            msg.remove(0);
            inner.pattern.req_peer = None;
            return Some(Ok(msg));
        }
        log::debug!("zmq REQ: dropped a reply without the empty delimiter");
    }
    None
}

/// RFC 28: "SHALL receive incoming messages from its peers using a
/// fair-queuing strategy" and "SHALL remove and store the envelope";
/// a request without a delimiter is discarded (`rep.cpp`).
pub(super) fn rep_recv(inner: &mut Inner, wake: &mut Wakeups) -> Option<io::Result<Msg>> {
    if inner.pattern.rep_envelope.is_some() {
        return Some(Err(ZmqError::InvalidState.into()));
    }
    loop {
        let (i, mut msg) = spread::fq_recv(inner, wake)?;
        let Some(split) = msg.iter().position(|f| f.is_empty()) else {
            log::debug!("zmq REP: dropped a request without the empty delimiter");
            continue;
        };
        let body = msg.split_off(split + 1);
        inner.pattern.rep_envelope = Some((inner.peers[i].id, msg));
        return Some(Ok(body));
    }
}

/// RFC 28: "SHALL send the reply to the peer that sent the request", with
/// the stored envelope in front; if that peer is gone (or full) the reply
/// is dropped silently.
pub(super) fn rep_send(
    inner: &mut Inner,
    slot: &mut Option<Msg>,
    wake: &mut Wakeups,
) -> Option<io::Result<()>> {
    let Some((id, mut envelope)) = inner.pattern.rep_envelope.take() else {
        return Some(Err(ZmqError::InvalidState.into()));
    };
    envelope.extend(slot.take()?);
    if let Some(peer) = inner.peers.iter().find(|p| p.id == id) {
        // A full pipe drops the reply, as libzmq's REP does.
        let _ = peer.tx.try_push(envelope, wake);
    }
    Some(Ok(()))
}
