//! What passes between a server and a connection's greenlet: what the
//! greenlet starts with, and what it hands back when it ends.
//!
//! ```text
//!  accept loop ──Conn { Work::New(stream), peer, slot }──▶ handler greenlet
//!                                                               │ returns Next
//!        ┌──────────────── Next::Done: the slot is freed ◀──────┤
//!        │                                                      │ Next::Idle(Idle)
//!        ▼                                                      ▼
//!  connection over                     idle lot: waits for input without a greenlet
//!                                                               │ input
//!  handler greenlet ◀──Conn { Work::Resume(stream, resume), peer, slot }
//! ```
//!
//! These types are the whole contract: the accept loop, the idle lot
//! (`idle.rs`) and a connection handler (the HTTP server's among them)
//! import them from here, and none of the three imports another.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crate::net::TcpStream;
use crate::sync::SemaphoreGuard;

/// A connection on its way to a handler greenlet.
pub(crate) struct Conn {
    pub(crate) work: Work,
    pub(crate) peer: SocketAddr,
    /// Its place in the server's count and limit, held for its whole life.
    pub(crate) slot: Slot,
}

/// What a handler greenlet starts with.
pub(crate) enum Work {
    /// A connection just accepted: call the server's handler.
    New(TcpStream),
    /// An idle connection with input: carry on where its handler left off.
    Resume(TcpStream, Resume),
}

/// What a connection handler gives back when it returns.
pub(crate) enum Next {
    /// The connection is over (its socket was closed or dropped).
    Done,
    /// The connection is idle: let it wait for input without a greenlet.
    Idle(Idle),
}

/// An idle connection handed back to the server.
pub(crate) struct Idle {
    pub(crate) stream: TcpStream,
    /// When to give up waiting and close the connection; `None` waits for
    /// as long as the server runs.
    pub(crate) expires: Option<Instant>,
    /// Carries on serving the connection, in a new greenlet, once it has
    /// input (or end of file, or an error, which the first read reports).
    pub(crate) resume: Resume,
}

/// The rest of an idle connection's handler, called with its socket.
pub(crate) type Resume = Box<dyn FnOnce(TcpStream) -> Next + Send>;

/// A connection's place in the server's count and, with a limit, its
/// permit. It moves with the connection (into its handler greenlet's
/// closure, into the idle lot and back), so it is dropped when the
/// connection ends however it ends: the handler returns, panics or is
/// killed (even before it started), or the lot closes the connection. The
/// slot is then free before the greenlet's joiners are woken.
pub(crate) struct Slot {
    _permit: Option<SemaphoreGuard>,
    active: Arc<AtomicUsize>,
}

impl Slot {
    /// Counts a connection in `active`, holding `permit` if the server
    /// has a limit.
    pub(crate) fn take(active: &Arc<AtomicUsize>, permit: Option<SemaphoreGuard>) -> Slot {
        active.fetch_add(1, Ordering::SeqCst);
        Slot {
            _permit: permit,
            active: active.clone(),
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.active.fetch_sub(1, Ordering::SeqCst);
    }
}
