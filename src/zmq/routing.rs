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
#[inline]
pub(crate) fn prune(inner: &mut Inner) {
    // Every send and recv passes here: the common case, no connection
    // ended, is one atomic load per peer, inlined into the caller.
    if inner.peers.iter().any(|p| p.tx.is_closed()) {
        prune_closed(inner);
    }
}

#[cold]
#[inline(never)]
fn prune_closed(inner: &mut Inner) {
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
#[inline]
pub(crate) fn lb_send(inner: &mut Inner, msg: Msg, wake: &mut Wakeups) -> Result<u64, Msg> {
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
pub(crate) fn lb_ready(inner: &Inner) -> bool {
    inner.peers.iter().any(|p| p.tx.has_room())
}

/// Takes the next message in fair-queue order, with the index of the peer it
/// came from.
#[inline]
pub(crate) fn fq_recv(inner: &mut Inner, wake: &mut Wakeups) -> Option<(usize, Msg)> {
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
            // A full peer misses the message.
            let _ = peer.tx.try_push(msg.clone(), wake);
        }
    }
}
