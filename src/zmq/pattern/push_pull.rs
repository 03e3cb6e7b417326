//! PUSH, DEALER and PAIR sends: round-robin to a peer with room, blocking
//! when none has (RFC 30: "SHALL block on sending, or return a suitable
//! error, when it has no available peers"). Their receives are a plain fair
//! queue (see [`spread::fq_recv`]). PAIR is DEALER with at most one peer:
//! [`Core::attach`](crate::zmq::core::Core::attach) refuses a second.

use std::io;

use super::spread;
use crate::zmq::core::Inner;
use crate::zmq::msg::Msg;
use crate::zmq::signal::Wakeups;

#[inline]
pub(super) fn lb_send(
    inner: &mut Inner,
    slot: &mut Option<Msg>,
    wake: &mut Wakeups,
) -> Option<io::Result<()>> {
    let msg = slot.take()?;
    match spread::lb_send(inner, msg, wake) {
        Ok(_) => Some(Ok(())),
        Err(msg) => {
            *slot = Some(msg);
            None
        }
    }
}
