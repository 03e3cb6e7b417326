//! ROUTER (RFC 28, libzmq `router.cpp`): addresses peers by routing id.
//!
//! On recv the peer's id is prepended as the first frame; on send the first
//! frame picks the peer and is stripped. An unknown id, or a peer at its
//! high-water mark, drops the message, unless `router_mandatory`: then an
//! unknown id is `HostUnreachable` and a full peer blocks.

use std::io;

use super::spread;
use crate::zmq::core::Inner;
use crate::zmq::error::ZmqError;
use crate::zmq::msg::Msg;
use crate::zmq::signal::Wakeups;

pub(super) fn router_recv(inner: &mut Inner, wake: &mut Wakeups) -> Option<io::Result<Msg>> {
    let (i, mut msg) = spread::fq_recv(inner, wake)?;
    msg.insert(0, inner.peers[i].identity.clone());
    Some(Ok(msg))
}

pub(super) fn router_send(
    inner: &mut Inner,
    slot: &mut Option<Msg>,
    wake: &mut Wakeups,
) -> Option<io::Result<()>> {
    let mandatory = inner.options.router_mandatory;
    let msg = slot.as_ref()?;
    let Some(peer) = inner
        .peers
        .iter()
        .find(|p| msg.first() == Some(&p.identity))
    else {
        slot.take();
        return Some(if mandatory {
            Err(ZmqError::HostUnreachable.into())
        } else {
            Ok(())
        });
    };
    let mut msg = slot.take()?;
    let id = msg.remove(0);
    if msg.is_empty() {
        // A message is at least one frame; libzmq sends the empty frame.
        msg.push(bytes::Bytes::new());
    }
    match peer.tx.try_push(msg, wake) {
        Ok(()) => Some(Ok(())),
        Err(_) if !mandatory => Some(Ok(())),
        Err(mut msg) => {
            msg.insert(0, id);
            *slot = Some(msg);
            None
        }
    }
}
