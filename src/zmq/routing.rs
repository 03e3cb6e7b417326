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

use super::core::Inner;
use super::msg::Msg;
use super::signal::Wakeups;

/// Forgets peers whose connection ended and whose messages were all read.
pub(crate) fn prune(inner: &mut Inner) {
    let before = inner.peers.len();
    inner
        .peers
        .retain(|p| !(p.tx.is_closed() && p.rx.is_finished()));
    if inner.peers.len() != before {
        let n = inner.peers.len().max(1);
        inner.lb_next %= n;
        inner.fq_next %= n;
    }
}

/// Sends `msg` to the next peer with room; gives it back if none has room.
/// Returns the id of the peer it went to.
pub(crate) fn lb_send(inner: &mut Inner, msg: Msg, wake: &mut Wakeups) -> Result<u64, Msg> {
    let n = inner.peers.len();
    let mut msg = msg;
    for k in 0..n {
        let i = (inner.lb_next + k) % n;
        let peer = &inner.peers[i];
        // One lock per peer: a full or closed pipe hands the message back.
        match peer.tx.try_push(msg) {
            Ok(signal) => {
                wake.push(signal);
                inner.lb_next = (i + 1) % n;
                return Ok(peer.id);
            }
            Err(m) => msg = m,
        }
    }
    Err(msg)
}

/// Whether [`lb_send`] would find room.
pub(crate) fn lb_ready(inner: &Inner) -> bool {
    inner.peers.iter().any(|p| p.tx.has_room())
}

/// Takes the next message in fair-queue order, with the index of the peer it
/// came from.
pub(crate) fn fq_recv(inner: &mut Inner, wake: &mut Wakeups) -> Option<(usize, Msg)> {
    let n = inner.peers.len();
    for k in 0..n {
        let i = (inner.fq_next + k) % n;
        if let Some((msg, signal)) = inner.peers[i].rx.pop() {
            wake.push(signal);
            inner.fq_next = (i + 1) % n;
            return Some((i, msg));
        }
    }
    None
}

/// Whether [`fq_recv`] would find a message.
pub(crate) fn fq_ready(inner: &Inner) -> bool {
    inner.peers.iter().any(|p| p.rx.has_message())
}

/// Binary prefix match of `topic` against counted subscriptions (RFC 29:
/// "an empty subscription SHALL match all messages").
pub(crate) fn matches(subscriptions: &[bytes::Bytes], first_frame: &[u8]) -> bool {
    subscriptions.iter().any(|s| first_frame.starts_with(s))
}

/// Sends a copy of `msg` to every peer whose subscriptions match its first
/// frame; full peers miss it.
pub(crate) fn dist_send(inner: &mut Inner, msg: &Msg, wake: &mut Wakeups) {
    let first: &[u8] = msg.first().map(|b| &b[..]).unwrap_or(&[]);
    for peer in &inner.peers {
        if matches(&peer.subscriptions, first) {
            if let Ok(signal) = peer.tx.try_push(msg.clone()) {
                wake.push(signal);
            }
        }
    }
}
