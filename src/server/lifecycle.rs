//! What every server shares: where it is in its lifecycle (gevent's
//! `BaseServer`), and the handler greenlets it runs, which `stop` waits for
//! and then kills.
//!
//! ```text
//!  new ──► Ready(socket) ──start──► Started(loop greenlet) ──close──► Closed ──stop──► done
//!              │                          │ the loop fails for good      ▲  handlers waited
//!              └────────── close ─────────┴──────────────────────────────┘  for, then killed
//! ```
//!
//! The loop greenlet (accept, or receive) owns the socket: killing it
//! closes the socket. `close` only does that; `stop` closes, waits for the
//! handlers and kills the rest. A server type wraps this with what is its
//! own (the idle lot, the send socket) and runs its loop through
//! [`Lifecycle::start`].

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::greenlet::members::Members;
use crate::sync::waiter::lock;
use crate::sync::Event;
use crate::{Builder, Greenlet, GreenletError};

/// How long `serve_forever` lets handlers finish when it stops the server
/// itself, after `close` or a broken socket (gevent's `stop_timeout`).
pub(super) const STOP_TIMEOUT: Duration = Duration::from_secs(1);

/// A server's lifecycle, for a server whose socket is an `S`.
pub(super) struct Lifecycle<S> {
    /// The server's kind and address, for logs: `StreamServer 127.0.0.1:80`.
    name: String,
    phase: Mutex<Phase<S>>,
    /// Running handlers by greenlet id; each removes itself (through its
    /// link) when it ends. `stop` waits for and kills what is left.
    handlers: Members,
    /// Set once the socket is closed (`close`, `stop`, or the loop giving
    /// up): what wakes `serve_forever`.
    closed: Event,
    /// A `stop` has begun: `serve_forever`, woken by it closing the socket,
    /// waits for it instead of stopping with a timeout of its own.
    stopping: AtomicBool,
    /// Set at the end of every `stop`.
    done: Event,
}

/// Where the server is in its lifecycle.
enum Phase<S> {
    /// Constructed; the socket is open (connections queue in the backlog,
    /// datagrams in the receive buffer) but nothing reads it yet.
    Ready(S),
    /// The loop runs in this greenlet, which owns the socket: killing it
    /// closes the socket. The slot holds the socket until the greenlet
    /// takes it (it is still full if the greenlet was killed first).
    Started(Greenlet<()>, Arc<Mutex<Option<S>>>),
    /// The socket is closed (close, stop, or a fatal error recorded here).
    Closed(Option<(io::ErrorKind, String)>),
}

impl<S: Send + 'static> Lifecycle<S> {
    pub(super) fn new(kind: &str, addr: SocketAddr, socket: S) -> Lifecycle<S> {
        Lifecycle {
            name: format!("{kind} {addr}"),
            phase: Mutex::new(Phase::Ready(socket)),
            handlers: Members::default(),
            closed: Event::new(),
            stopping: AtomicBool::new(false),
            done: Event::new(),
        }
    }

    /// Runs `run(socket)` in a greenlet named `greenlet`, if the server is
    /// ready; does nothing if it runs already.
    ///
    /// # Errors
    ///
    /// `NotConnected` when the server is closed; the spawn's error
    /// (`OutOfMemory`), the server then stays ready.
    pub(super) fn start(
        &self,
        greenlet: String,
        run: impl FnOnce(S) + Send + 'static,
    ) -> io::Result<()> {
        let mut phase = lock(&self.phase);
        let socket = match std::mem::replace(&mut *phase, Phase::Closed(None)) {
            Phase::Ready(s) => s,
            other => {
                let closed = matches!(other, Phase::Closed(_));
                *phase = other;
                return if closed { Err(closed_error()) } else { Ok(()) };
            }
        };
        // The socket moves into the loop greenlet through a slot, so a
        // failed spawn can put it back.
        let slot = Arc::new(Mutex::new(Some(socket)));
        let taken = slot.clone();
        let spawned = Builder::new().name(greenlet).spawn(move || {
            if let Some(socket) = lock(&taken).take() {
                run(socket);
            }
        });
        match spawned {
            Ok(g) => {
                *phase = Phase::Started(g, slot);
                Ok(())
            }
            Err(e) => {
                let socket = lock(&slot).take().expect("the greenlet never ran");
                *phase = Phase::Ready(socket);
                Err(e)
            }
        }
    }

    /// The socket, if the server never started; the server is then closed.
    pub(super) fn take_ready(&self) -> Option<S> {
        let mut phase = lock(&self.phase);
        if !matches!(&*phase, Phase::Ready(_)) {
            return None;
        }
        let Phase::Ready(socket) = std::mem::replace(&mut *phase, Phase::Closed(None)) else {
            unreachable!("checked above")
        };
        drop(phase);
        self.closed.set();
        self.done.set();
        Some(socket)
    }

    /// Closes the socket: kills the loop greenlet (and waits the moment it
    /// takes to unwind: it only ever waits in its socket, a permit or a
    /// back-off sleep), or drops the socket of a server never started.
    /// Handlers are not touched. True when this call closed it, false when
    /// it was closed already; of racing callers, one gets true.
    pub(super) fn close(&self) -> bool {
        let (closed_now, looping) = {
            let mut phase = lock(&self.phase);
            match std::mem::replace(&mut *phase, Phase::Closed(None)) {
                Phase::Started(g, slot) => (true, Some((g, slot))),
                // The socket drops (closes) here.
                Phase::Ready(_) => (true, None),
                // Keep a fatal error for serve_forever to report.
                Phase::Closed(fatal) => {
                    *phase = Phase::Closed(fatal);
                    (false, None)
                }
            }
        };
        if let Some((g, slot)) = looping {
            g.kill();
            // A loop greenlet killed before it ran never takes the socket,
            // and may frees its closure only when it schedules it: close
            // the socket here, so it is closed when `close` returns.
            drop(lock(&slot).take());
        }
        self.closed.set();
        closed_now
    }

    /// The loop gave up on a broken socket: the server is closed, with
    /// `failure` kept for `serve_forever` to return. Called by the loop
    /// greenlet as it ends.
    pub(super) fn fail(&self, failure: &io::Error) {
        let mut phase = lock(&self.phase);
        if let Phase::Started(..) = &*phase {
            *phase = Phase::Closed(Some((failure.kind(), failure.to_string())));
        }
        drop(phase);
        self.closed.set();
    }

    /// Marks a `stop` as begun (see `stopping`).
    pub(super) fn begin_stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    /// The second half of `stop`, once the socket is closed: waits up to
    /// `timeout` for the handlers (but the caller, if it is one), kills
    /// those left, waits up to a second for them to die (gevent's
    /// `pool.kill(timeout=1)`, `greenlet::members`), then wakes
    /// `serve_forever`.
    pub(super) fn finish_stop(&self, timeout: Duration) {
        let who = format!("{}: a handler", self.name);
        self.handlers
            .join_or_kill(timeout, crate::current_id(), &who);
        self.done.set();
    }

    /// What `serve_forever` does once the loop runs: waits until the
    /// socket is closed, then for the `stop` that closed it, or stops the
    /// server with `stop(STOP_TIMEOUT)` itself (after `close` or a broken
    /// socket, as gevent's `serve_forever` does); returns the loop's fatal
    /// error if there was one. Killed while waiting, it stops the server
    /// in the background.
    pub(super) fn serve(&self, stop: impl FnOnce(Duration) + Send + 'static) -> io::Result<()> {
        let mut guard = StopOnUnwind(Some(stop));
        let waited = self.closed.wait();
        let stop = guard.0.take().expect("taken only here");
        waited?;
        if self.stopping.load(Ordering::SeqCst) {
            self.done.wait()?;
        } else {
            stop(STOP_TIMEOUT);
        }
        match &*lock(&self.phase) {
            Phase::Closed(Some((kind, msg))) => Err(io::Error::new(*kind, msg.clone())),
            _ => Ok(()),
        }
    }

    /// Keeps `g`, a handler just spawned, among the running handlers until
    /// it ends, and logs how it ended unless it returned (`peer` and `what`
    /// name it: "handler for 127.0.0.1:5000").
    pub(super) fn track(&self, g: &Greenlet<()>, what: String) {
        self.handlers.add(g);
        let name = self.name.clone();
        g.link(move |outcome| match outcome {
            Ok(()) => {}
            Err(GreenletError::Panicked { message, .. }) => {
                log::error!("{name}: {what} panicked: {message}");
            }
            Err(GreenletError::Killed { .. }) => log::debug!("{name}: {what} killed"),
            Err(e) => log::error!("{name}: {what}: {e}"),
        });
    }

    /// The server's kind and address, for logs.
    pub(super) fn name(&self) -> &str {
        &self.name
    }

    /// True while the loop runs.
    pub(super) fn is_started(&self) -> bool {
        match &*lock(&self.phase) {
            Phase::Started(g, _) => !g.is_ready(),
            _ => false,
        }
    }

    /// True once the socket is closed.
    pub(super) fn is_closed(&self) -> bool {
        match &*lock(&self.phase) {
            Phase::Closed(_) => true,
            Phase::Started(g, _) => g.is_ready(),
            Phase::Ready(_) => false,
        }
    }
}

pub(super) fn closed_error() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "the server is closed")
}

/// Stops the server when the greenlet in `serve_forever` is killed. Runs
/// during the unwind, where nothing may yield, so it only spawns the stop.
struct StopOnUnwind<F: FnOnce(Duration) + Send + 'static>(Option<F>);

impl<F: FnOnce(Duration) + Send + 'static> Drop for StopOnUnwind<F> {
    fn drop(&mut self) {
        if let Some(stop) = self.0.take() {
            if let Err(e) = Builder::new().spawn(move || stop(STOP_TIMEOUT)) {
                log::error!("cannot stop a server after serve_forever was killed: {e}");
            }
        }
    }
}
