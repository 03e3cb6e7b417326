//! How a socket ends: [`Socket::close`] and the drop of its last handle,
//! with `linger`.
//!
//! ```text
//!   close ─▶ calls blocked in the socket's other handles, and later ones,
//!        │   fail (NotConnected); a second close returns at once
//!        ─▶ release its inproc names (a later bind may take them)
//!        ─▶ linger: wait until every tcp/ipc peer's queue is written, or
//!           its connection is gone, for at most `linger` (connecters
//!           still reconnect, listeners still accept meanwhile)
//!        ─▶ kill the listener and connecter greenlets (a listener's
//!           connections end with it) and detach every peer
//!        ─▶ shut: the context is told (its term waits for this)
//!   last handle dropped ──▶ the same, in a `zmq-linger` greenlet when a
//!           tcp/ipc queue holds messages and `linger` is not zero;
//!           otherwise at once
//! ```

use std::io;
use std::sync::Arc;
use std::time::Duration;

use super::{Shared, Socket};
use crate::sync::waiter::lock;
use crate::zmq::core::Core;
use crate::zmq::signal::Wakeups;
use crate::Builder;

impl Socket {
    /// Closes the socket, for every handle of it, waiting up to `linger`
    /// for queued messages to reach tcp/ipc peers (what is queued for
    /// inproc peers stays readable by them). Then every connection and
    /// listener of the socket ends. pyzmq's `socket.close()`.
    ///
    /// Calls blocked in the socket through other handles return
    /// `NotConnected` ([`ZmqError::Closed`](crate::zmq::ZmqError::Closed))
    /// as the close begins, and every later call through them fails so.
    /// Closing a socket already closed through another handle returns at
    /// once.
    ///
    /// While it lingers it waits on the socket's signal, woken as the
    /// connections' writers empty the queues: a greenlet yields, a thread
    /// blocks; `linger` is its only timeout (the caller's
    /// [`Timeout`](crate::Timeout) cuts it short too). It then waits (at
    /// most a second each) for the listener and connecter greenlets to die,
    /// so a port or ipc path is free when it returns.
    ///
    /// # Errors
    ///
    /// None today; the `Result` leaves room for reporting unsent messages.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenline::zmq;
    /// let ctx = zmq::Context::new();
    /// let push = ctx.socket(zmq::PUSH)?;
    /// push.connect("tcp://127.0.0.1:1")?; // nobody listens there
    /// push.send("lost", 0)?; // queued for the connection
    /// push.set_linger(Some(Duration::from_millis(10)));
    /// push.close()?; // gives up on it after 10 ms
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn close(self) -> io::Result<()> {
        let shared = &self.shared;
        if !shared.core.begin_close() {
            return Ok(()); // closed through another handle
        }
        shared.release_names();
        Shutdown(shared.core.clone()).run(shared.core.options().linger);
        Ok(())
    }
}

impl Shared {
    fn release_names(&self) {
        let names = std::mem::take(&mut lock(&self.local).inproc_bound);
        for name in names {
            self.ctx.inproc().unbind(&self.core, &name);
        }
    }
}

/// The last handle is gone.
impl Drop for Shared {
    fn drop(&mut self) {
        if !self.core.begin_close() {
            return; // closed already
        }
        self.release_names();
        let linger = self.core.options().linger;
        let needs_flush = linger != Some(Duration::ZERO)
            && lock(&self.core.inner)
                .peers
                .iter()
                .any(|p| !p.inproc && !p.tx.is_drained());
        if needs_flush {
            let shutdown = Shutdown(self.core.clone());
            // A greenlet killed before it runs drops `shutdown` unrun,
            // which still shuts the socket (see `Shutdown`'s drop).
            let spawned = Builder::new()
                .name("zmq-linger")
                .spawn(move || shutdown.run(linger));
            if spawned.is_ok() {
                return;
            }
        }
        Shutdown(self.core.clone()).run(Some(Duration::ZERO));
    }
}

/// The end of a close that has begun: linger, then end everything the
/// socket runs. Dropped without [`run`](Shutdown::run) finishing (a
/// lingering greenlet killed), it ends them without waiting, so the socket
/// is always shut in the end and `Context::term` does not wait forever.
struct Shutdown(Arc<Core>);

impl Shutdown {
    fn run(self, linger: Option<Duration>) {
        let core = &self.0;
        if linger != Some(Duration::ZERO) {
            let deadline = linger.and_then(crate::time::deadline_in);
            let mut wake = Wakeups::default();
            let _ = core.signal.wait(deadline, "zmq linger", &mut wake, |_| {
                let inner = lock(&core.inner);
                inner
                    .peers
                    .iter()
                    .all(|p| p.inproc || p.tx.is_closed() || p.tx.is_drained())
                    .then_some(())
            });
        }
        self.finish(true);
    }

    /// Kills the endpoint greenlets (waiting for them when `wait`, so the
    /// port or path is free on return), detaches every peer, and marks
    /// the socket shut. Idempotent: the endpoints are taken out once.
    fn finish(&self, wait: bool) {
        let core = &self.0;
        let (tasks, peers) = {
            let mut inner = lock(&core.inner);
            let tasks = std::mem::take(&mut inner.endpoints);
            let peers: Vec<u64> = inner.peers.iter().map(|p| p.id).collect();
            (tasks, peers)
        };
        // The bound guards a greenlet that could not die promptly.
        for (_, _, task) in tasks {
            if wait {
                let _ = task.kill_timeout(Duration::from_secs(1));
            } else {
                task.kill_nowait();
            }
        }
        for id in peers {
            core.detach(id);
        }
        core.shut();
    }
}

impl Drop for Shutdown {
    fn drop(&mut self) {
        if !self.0.is_shut() {
            self.finish(false);
        }
    }
}
