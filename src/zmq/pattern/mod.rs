//! Socket semantics per type, as libzmq implements them (its manual page
//! `zmq_socket(3)`, and the socket-type table of ZMTP 3.1, RFC 37).
//!
//! Each type is two non-blocking steps over the socket's [`Inner`]:
//! `try_send` and `try_recv` return `None` when the call would block
//! (no peer with room / no message), `Some(result)` otherwise. The socket
//! layer loops them on its [`Signal`](super::signal::Signal) with the
//! caller's deadline. A message that cannot go yet stays in `slot`.
//!
//! One file per family of types; what they share, the three ways of
//! spreading messages over peers (load balance, fair queue, distribute),
//! is `spread`.

mod dealer_router;
mod pub_sub;
mod push_pull;
mod req_rep;
mod spread;

use std::io;

use super::codec::SocketType;
use super::core::Inner;
use super::error::ZmqError;
use super::msg::Msg;
use super::signal::Wakeups;

pub(crate) use pub_sub::{set_subscription, Change};

/// One non-blocking send attempt.
#[inline]
pub(crate) fn try_send(
    kind: SocketType,
    inner: &mut Inner,
    slot: &mut Option<Msg>,
    wake: &mut Wakeups,
) -> Option<io::Result<()>> {
    inner.prune();
    match kind {
        SocketType::Req => req_rep::req_send(inner, slot, wake),
        SocketType::Rep => req_rep::rep_send(inner, slot, wake),
        SocketType::Dealer | SocketType::Push | SocketType::Pair => {
            push_pull::lb_send(inner, slot, wake)
        }
        SocketType::Router => dealer_router::router_send(inner, slot, wake),
        SocketType::Pub | SocketType::XPub => {
            pub_sub::pub_send(inner, slot, wake, kind == SocketType::XPub)
        }
        SocketType::XSub => pub_sub::xsub_send(inner, slot, wake),
        SocketType::Sub | SocketType::Pull => Some(Err(ZmqError::NotSupported.into())),
    }
}

/// One non-blocking receive attempt.
#[inline]
pub(crate) fn try_recv(
    kind: SocketType,
    inner: &mut Inner,
    wake: &mut Wakeups,
) -> Option<io::Result<Msg>> {
    inner.prune();
    match kind {
        SocketType::Req => req_rep::req_recv(inner, wake),
        SocketType::Rep => req_rep::rep_recv(inner, wake),
        SocketType::Dealer | SocketType::Pull | SocketType::Pair => {
            spread::fq_recv(inner, wake).map(|(_, m)| Ok(m))
        }
        SocketType::Router => dealer_router::router_recv(inner, wake),
        SocketType::Sub | SocketType::XSub => pub_sub::sub_recv(inner, wake),
        SocketType::XPub => pub_sub::xpub_recv(inner, wake),
        SocketType::Pub | SocketType::Push => Some(Err(ZmqError::NotSupported.into())),
    }
}

/// REQ and REP: whether it is the socket's turn to send (REQ has no reply
/// due, REP has a request to answer). Other types always may.
pub(crate) fn may_send(kind: SocketType, inner: &Inner) -> bool {
    match kind {
        SocketType::Req => req_rep::req_may_send(inner),
        SocketType::Rep => req_rep::rep_may_send(inner),
        _ => true,
    }
}

/// Whether a recv and a send would complete now: (POLLIN, POLLOUT).
pub(crate) fn events(kind: SocketType, inner: &mut Inner, wake: &mut Wakeups) -> (bool, bool) {
    inner.prune();
    match kind {
        SocketType::Req => (
            inner
                .pattern
                .req_peer
                .is_some_and(|id| inner.peers.iter().any(|p| p.id == id && p.rx.has_message())),
            req_rep::req_may_send(inner) && spread::lb_ready(inner),
        ),
        SocketType::Rep => (
            inner.pattern.rep_envelope.is_none() && spread::fq_ready(inner),
            req_rep::rep_may_send(inner),
        ),
        SocketType::Dealer | SocketType::Pair => (spread::fq_ready(inner), spread::lb_ready(inner)),
        SocketType::Push => (false, spread::lb_ready(inner)),
        SocketType::Pull => (spread::fq_ready(inner), false),
        SocketType::Router => (spread::fq_ready(inner), true),
        SocketType::Pub => (false, true),
        SocketType::XPub => {
            pub_sub::take_subscriptions(inner, true, wake);
            (!inner.pattern.xpub_pending.is_empty(), true)
        }
        SocketType::Sub => (pub_sub::sub_ready(inner, wake), false),
        SocketType::XSub => (pub_sub::sub_ready(inner, wake), true),
    }
}
