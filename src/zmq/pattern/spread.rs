//! The three ways a socket spreads messages over its peers (libzmq `lb`,
//! `fq`, `dist`).
//!
//! * **lb**, load balance: each message to the next peer in turn that has
//!   room under its high-water mark (`lb.cpp`: "rotates over active pipes").
//!   A whole multipart message goes to one peer.
//! * **fq**, fair queue: take the next message from the next peer in turn
//!   that has one, so one busy peer cannot starve the others.
//! * **dist**, distribute: a copy to every matching peer that has room; a
//!   full peer misses the message (PUB never blocks).
//!
//! The round-robin cursors (`lb_next`, `fq_next`) live in the socket's
//! [`Inner`], which keeps them in range when it forgets a peer
//! ([`Inner::prune`]).

use crate::zmq::core::Inner;
use crate::zmq::msg::Msg;
use crate::zmq::signal::Wakeups;

/// Sends `msg` to the next peer with room; gives it back if none has room.
/// Returns the id of the peer it went to.
#[inline]
pub(super) fn lb_send(inner: &mut Inner, msg: Msg, wake: &mut Wakeups) -> Result<u64, Msg> {
    let n = inner.peers.len();
    let mut msg = msg;
    let mut i = start(inner.lb_next, n);
    for _ in 0..n {
        let peer = &inner.peers[i];
        i = next(i, n);
        // One lock per peer: a full or closed pipe hands the message back.
        match peer.tx.try_push(msg, wake) {
            Ok(()) => {
                inner.lb_next = i;
                return Ok(peer.id);
            }
            Err(m) => msg = m,
        }
    }
    Err(msg)
}

/// A round-robin cursor as an index below `n` (a detach can leave it past
/// the end). A division per message shows in inproc throughput, so the
/// cursors step by comparison and divide only when out of range.
fn start(cursor: usize, n: usize) -> usize {
    if cursor < n {
        cursor
    } else {
        cursor % n.max(1)
    }
}

/// The index after `i` among `n`, wrapping to 0.
fn next(i: usize, n: usize) -> usize {
    if i + 1 < n {
        i + 1
    } else {
        0
    }
}

/// Whether [`lb_send`] would find room.
pub(super) fn lb_ready(inner: &Inner) -> bool {
    inner.peers.iter().any(|p| p.tx.has_room())
}

/// Takes the next message in fair-queue order, with the index of the peer it
/// came from.
#[inline]
pub(super) fn fq_recv(inner: &mut Inner, wake: &mut Wakeups) -> Option<(usize, Msg)> {
    let n = inner.peers.len();
    let mut i = start(inner.fq_next, n);
    for _ in 0..n {
        if let Some(msg) = inner.peers[i].rx.pop(wake) {
            inner.fq_next = next(i, n);
            return Some((i, msg));
        }
        i = next(i, n);
    }
    None
}

/// Whether [`fq_recv`] would find a message.
pub(super) fn fq_ready(inner: &Inner) -> bool {
    inner.peers.iter().any(|p| p.rx.has_message())
}

/// Binary prefix match of `topic` against counted subscriptions (RFC 29:
/// "an empty subscription SHALL match all messages").
pub(super) fn matches(subscriptions: &[bytes::Bytes], first_frame: &[u8]) -> bool {
    subscriptions.iter().any(|s| first_frame.starts_with(s))
}

/// Sends a copy of `msg` to every peer whose subscriptions match its first
/// frame; full peers miss it.
pub(super) fn dist_send(inner: &mut Inner, msg: &Msg, wake: &mut Wakeups) {
    let first: &[u8] = msg.first().map(|b| &b[..]).unwrap_or(&[]);
    for peer in &inner.peers {
        if matches(&peer.subscriptions, first) {
            // A full peer misses the message.
            let _ = peer.tx.try_push(msg.clone(), wake);
        }
    }
}
