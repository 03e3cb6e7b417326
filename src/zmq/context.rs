//! The context: a factory for sockets, the home of inproc names, and
//! what terminates its sockets.
//!
//! ```text
//!   term ─▶ no new sockets; every socket's blocked and later calls fail
//!        │  with ETERM (ConnectionAborted), but their connections run on
//!        ▼
//!   wait on the context's signal until every socket made here is shut:
//!   closed (close, or its last handle dropped) and its linger over.
//!   Each shut socket wakes it (Core::shut).
//! ```

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

use super::codec::SocketType;
use super::core::Core;
use super::error::ZmqError;
use super::inproc::Registry;
use super::signal::{Signal, Wakeups};
use super::socket::Socket;
use crate::sync::waiter::lock;

struct Inner {
    inproc: Registry,
    /// Every socket made here, to terminate them and wait for their close.
    sockets: Mutex<Vec<Weak<Core>>>,
    terminated: AtomicBool,
    /// Woken as each socket of the context is shut; [`Context::term`]
    /// waits on it.
    signal: Arc<Signal>,
}

/// pyzmq's `zmq.Context`: makes sockets; sockets of one context can talk
/// over `inproc://`.
///
/// Cheap to clone (clones share one context). Unlike libzmq there are no I/O
/// threads: each connection is a pair of greenlets on greenline's
/// scheduler, so a context costs nothing until sockets are made.
///
/// # Examples
///
/// ```
/// use greenline::zmq;
/// let ctx = zmq::Context::new();
/// let rep = ctx.socket(zmq::REP)?;
/// rep.bind("inproc://echo")?;
/// let req = ctx.socket(zmq::REQ)?;
/// req.connect("inproc://echo")?;
/// req.send("hi", 0)?;
/// assert_eq!(rep.recv(0)?, "hi");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct Context {
    inner: Arc<Inner>,
}

impl Context {
    /// A new context.
    pub fn new() -> Context {
        crate::config::ensure_started();
        Context {
            inner: Arc::new(Inner {
                inproc: Registry::default(),
                sockets: Mutex::new(Vec::new()),
                terminated: AtomicBool::new(false),
                signal: Signal::new(),
            }),
        }
    }

    /// The process-wide shared context, made on first use: pyzmq's
    /// `zmq.Context.instance()`, for libraries and modules that want to
    /// share `inproc://` names without passing a context around. Every
    /// call returns a handle to the same context until it is terminated;
    /// the next call after that makes a new one, as pyzmq does once its
    /// instance is closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenline::zmq;
    /// let pull = zmq::Context::instance().socket(zmq::PULL)?;
    /// pull.bind("inproc://instance-doc")?;
    /// // Elsewhere, without the context in hand:
    /// let push = zmq::Context::instance().socket(zmq::PUSH)?;
    /// push.connect("inproc://instance-doc")?;
    /// push.send("shared", 0)?;
    /// assert_eq!(pull.recv(0)?, "shared");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn instance() -> Context {
        static INSTANCE: Mutex<Option<Context>> = Mutex::new(None);
        let mut instance = lock(&INSTANCE);
        match &*instance {
            Some(ctx) if !ctx.inner.terminated.load(Ordering::Acquire) => ctx.clone(),
            _ => instance.insert(Context::new()).clone(),
        }
    }

    /// A new socket of `kind`, e.g. `ctx.socket(zmq::REQ)`.
    ///
    /// # Errors
    ///
    /// [`ZmqError::ContextTerminated`] (kind `ConnectionAborted`) after
    /// [`term`](Context::term).
    pub fn socket(&self, kind: SocketType) -> io::Result<Socket> {
        let mut sockets = lock(&self.inner.sockets);
        // Read under the lock `term` sets it under: a socket made while
        // term runs is either refused or in the list term terminates.
        if self.inner.terminated.load(Ordering::Acquire) {
            return Err(ZmqError::ContextTerminated.into());
        }
        let core = Core::new(kind, self.inner.signal.clone());
        sockets.retain(|w| w.strong_count() > 0);
        sockets.push(Arc::downgrade(&core));
        drop(sockets);
        Ok(Socket::new(self.clone(), core))
    }

    /// Terminates the context, as libzmq's `zmq_ctx_term` and pyzmq's
    /// `term()` do, in two steps:
    ///
    /// 1. Every call blocked in a socket of the context returns at once
    ///    with `ConnectionAborted` ([`ZmqError::ContextTerminated`],
    ///    libzmq's `ETERM`), and so does every later call on those sockets
    ///    but [`close`](Socket::close) (and drop); no new sockets can be
    ///    made. Their connections keep running.
    /// 2. It then waits until every socket of the context is closed (with
    ///    `close`, or by dropping its last handle, which is how a greenlet
    ///    that got `ConnectionAborted` usually ends its sockets: it
    ///    returns) and each one's `linger` is over: what it queued for
    ///    tcp/ipc peers has been written, or `linger` ran out. This is how
    ///    a [`proxy`](super::proxy) is stopped.
    ///
    /// A greenlet yields, a thread blocks; each socket finishing its close
    /// wakes it. It has no timeout of its own: a socket nobody closes (one
    /// the caller still holds, say) makes it wait forever, as in libzmq, so
    /// close or drop your own sockets first. The caller's
    /// [`Timeout`](crate::Timeout) ends the wait with `TimedOut`, the
    /// context terminated but sockets still open. A second `term` waits
    /// the same way (and returns at once when all are closed).
    ///
    /// Differences from libzmq: the default `linger` is 1 s, not infinite
    /// (see [`Socket::set_linger`]); messages queued for inproc peers are
    /// already theirs and not waited for; sockets end by being dropped as
    /// well as closed; and `term` can be cut short by a `Timeout`.
    ///
    /// # Errors
    ///
    /// `TimedOut` when the caller's `Timeout` passes before every socket is
    /// closed.
    ///
    /// # Examples
    ///
    /// A greenlet blocked in `recv` gets `ConnectionAborted`, returns and
    /// so drops its socket; `term` returns once it has:
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use greenline::zmq;
    /// let ctx = zmq::Context::new();
    /// let pull = ctx.socket(zmq::PULL)?;
    /// pull.bind("tcp://127.0.0.1:*")?;
    /// let worker = greenline::spawn(move || pull.recv(0));
    /// ctx.term()?;
    /// let e = worker.join().unwrap().unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::ConnectionAborted);
    /// assert_eq!(ctx.socket(zmq::PUSH).unwrap_err().kind(), ErrorKind::ConnectionAborted);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn term(&self) -> io::Result<()> {
        let sockets: Vec<Arc<Core>> = {
            let sockets = lock(&self.inner.sockets);
            self.inner.terminated.store(true, Ordering::Release);
            sockets.iter().filter_map(Weak::upgrade).collect()
        };
        for core in sockets {
            core.terminate();
        }
        let mut wake = Wakeups::default();
        self.inner
            .signal
            .wait(None, "zmq::Context::term", &mut wake, |_| {
                let mut sockets = lock(&self.inner.sockets);
                // A socket whose core is gone was shut long ago.
                sockets.retain(|w| w.upgrade().is_some_and(|core| !core.is_shut()));
                sockets.is_empty().then_some(())
            })
            .map_err(|_| crate::time::timed_out())
    }

    pub(crate) fn inproc(&self) -> &Registry {
        &self.inner.inproc
    }
}

impl Default for Context {
    fn default() -> Self {
        Context::new()
    }
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").finish_non_exhaustive()
    }
}
