//! How a socket ends: [`Socket::close`] and drop, with `linger`.
//!
//! ```text
//!   close ─▶ release its inproc names (a later bind may take them)
//!        ─▶ linger: wait until every tcp/ipc peer's queue is written, or
//!           its connection is gone, for at most `linger`
//!        ─▶ terminate: calls blocked in the socket, and later ones, fail
//!        ─▶ kill the listener and connecter greenlets (a listener's
//!           connections end with it) and detach every peer
//!   drop ──▶ the same, in a `zmq-linger` greenlet when a tcp/ipc queue
//!           holds messages and `linger` is not zero; otherwise at once
//! ```

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Socket;
use crate::sync::waiter::lock;
use crate::zmq::core::Core;
use crate::zmq::signal::Wakeups;
use crate::Builder;

impl Socket {
    /// Closes the socket, waiting up to `linger` for queued messages to
    /// reach tcp/ipc peers (what is queued for inproc peers stays readable
    /// by them). Then every connection and listener of the socket ends.
    ///
    /// While it lingers it waits on the socket's signal, woken as the
    /// connections' writers empty the queues: a greenlet yields, a thread
    /// blocks. It then waits (at most a second each) for the listener and
    /// connecter greenlets to die, so a port or ipc path is free when it
    /// returns.
    ///
    /// # Errors
    ///
    /// None today; the `Result` leaves room for reporting unsent messages.
    pub fn close(self) -> io::Result<()> {
        let linger = self.core.options().linger;
        self.release_names();
        shutdown(&self.core, linger);
        Ok(())
    }

    fn release_names(&self) {
        let names = std::mem::take(&mut lock(&self.local).inproc_bound);
        for name in names {
            self.ctx.inproc().unbind(&self.core, &name);
        }
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        if self.core.is_terminated() && lock(&self.core.inner).endpoints.is_empty() {
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
            let core = self.core.clone();
            let spawned = Builder::new()
                .name("zmq-linger")
                .spawn(move || shutdown(&core, linger));
            if spawned.is_ok() {
                return;
            }
        }
        shutdown(&self.core, Some(Duration::ZERO));
    }
}

/// Lingers, then ends everything the socket runs.
fn shutdown(core: &Arc<Core>, linger: Option<Duration>) {
    if linger != Some(Duration::ZERO) {
        let deadline = linger.map(|d| Instant::now() + d);
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
    core.terminate();
    let (tasks, peers) = {
        let mut inner = lock(&core.inner);
        let tasks = std::mem::take(&mut inner.endpoints);
        let peers: Vec<u64> = inner.peers.iter().map(|p| p.id).collect();
        (tasks, peers)
    };
    // Waiting for the kill means the port or path is free when close
    // returns; the bound guards a greenlet that could not die promptly.
    for (_, _, task) in tasks {
        let _ = task.kill_timeout(Duration::from_secs(1));
    }
    for id in peers {
        core.detach(id);
    }
}
