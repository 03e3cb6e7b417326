//! The context: a factory for sockets and the home of inproc names.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

use super::codec::SocketType;
use super::core::Core;
use super::error::ZmqError;
use super::inproc::Registry;
use super::signal::Signal;
use super::socket::Socket;
use crate::sync::waiter::lock;

struct Inner {
    inproc: Registry,
    /// Every socket made here, to terminate them.
    sockets: Mutex<Vec<Weak<Core>>>,
    terminated: AtomicBool,
    /// Woken as each socket of the context is shut.
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

    /// A new socket of `kind`, e.g. `ctx.socket(zmq::REQ)`.
    ///
    /// # Errors
    ///
    /// [`ZmqError::ContextTerminated`] (kind `ConnectionAborted`) after
    /// [`term`](Context::term).
    pub fn socket(&self, kind: SocketType) -> io::Result<Socket> {
        if self.inner.terminated.load(Ordering::Acquire) {
            return Err(ZmqError::ContextTerminated.into());
        }
        let core = Core::new(kind, self.inner.signal.clone());
        let mut sockets = lock(&self.inner.sockets);
        sockets.retain(|w| w.strong_count() > 0);
        sockets.push(Arc::downgrade(&core));
        drop(sockets);
        Ok(Socket::new(self.clone(), core))
    }

    /// Terminates the context: every call blocked in a socket of it returns
    /// [`ZmqError::ContextTerminated`] (kind `ConnectionAborted`), as do all
    /// later sends and receives, and no new sockets can be made. Returns at
    /// once; each socket's connections end when the socket is dropped or
    /// closed. This is how a [`proxy`](super::proxy) is stopped.
    pub fn term(&self) {
        self.inner.terminated.store(true, Ordering::Release);
        let sockets: Vec<Arc<Core>> = lock(&self.inner.sockets)
            .iter()
            .filter_map(Weak::upgrade)
            .collect();
        for core in sockets {
            core.terminate();
        }
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
