//! The socket handle: pyzmq's `zmq.Socket`.

mod options;
mod send_recv;

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::sync::waiter::{lock, WaitError};
use crate::zmq::codec::SocketType;
use crate::zmq::context::Context;
use crate::zmq::core::Core;
use crate::zmq::endpoint::Endpoint;
use crate::zmq::error::ZmqError;
use crate::zmq::msg::Msg;
use crate::zmq::pattern::{self, Change};
use crate::zmq::signal::Wakeups;
use crate::zmq::transport;
use crate::Builder;

/// Flag: fail with `ErrorKind::WouldBlock` instead of waiting (libzmq
/// `ZMQ_DONTWAIT`, pyzmq `zmq.NOBLOCK`).
pub const DONTWAIT: i32 = 1;
/// Flag: more frames of this message follow (libzmq `ZMQ_SNDMORE`).
pub const SNDMORE: i32 = 2;

/// Frames in progress on the calling side of the socket.
#[derive(Default)]
struct Local {
    /// Frames sent with SNDMORE, waiting for the last one.
    pending_out: Msg,
    /// The rest of a message whose first frames `recv` returned.
    pending_in: VecDeque<Bytes>,
    rcvmore: bool,
    /// inproc names we bound, to release on close.
    inproc_bound: Vec<String>,
}

/// A ZeroMQ socket of one [`SocketType`], made by [`Context::socket`].
///
/// `Send` and `Sync`: it can move into a greenlet or a thread, and calls
/// from several greenlets are safe, but as with pyzmq, a socket should be
/// used by one greenlet at a time: frames of a multipart message built with
/// [`SNDMORE`] or read frame by frame with [`recv`](Socket::recv) belong to
/// the socket, not to the caller.
///
/// Blocking calls ([`send`](Socket::send) at the high-water mark or with no
/// peer, [`recv`](Socket::recv) with nothing queued) yield in a greenlet
/// and block a plain thread. They are woken by the socket's connections and
/// peers, end with `TimedOut` at `sndtimeo`/`rcvtimeo` or the caller's
/// [`Timeout`](crate::Timeout), with `WouldBlock` at once under
/// [`DONTWAIT`], and with `ConnectionAborted` when the context is
/// terminated.
///
/// Dropping a socket returns at once; its queued messages to tcp/ipc peers
/// get `linger` to go out in the background. [`close`](Socket::close) does
/// the same but waits.
pub struct Socket {
    core: Arc<Core>,
    ctx: Context,
    local: Mutex<Local>,
    /// True while `local` holds frames (a message being built with SNDMORE,
    /// or the rest of a received one). While false, a whole-message send or
    /// a single-frame receive skips `local`'s lock; it is written under that
    /// lock, and a socket is used by one greenlet at a time.
    frames_held: AtomicBool,
}

impl Socket {
    pub(crate) fn new(ctx: Context, core: Arc<Core>) -> Socket {
        Socket {
            core,
            ctx,
            local: Mutex::new(Local::default()),
            frames_held: AtomicBool::new(false),
        }
    }

    /// Records whether `local` holds frames; call after changing them.
    fn note_frames(&self, local: &Local) {
        let held = !local.pending_out.is_empty() || !local.pending_in.is_empty();
        self.frames_held.store(held, Ordering::Release);
    }

    /// False when no frames are held (see `frames_held`).
    fn frames_held(&self) -> bool {
        self.frames_held.load(Ordering::Acquire)
    }

    pub(crate) fn core(&self) -> &Arc<Core> {
        &self.core
    }

    fn local(&self) -> crate::sync::waiter::StateGuard<'_, Local> {
        lock(&self.local)
    }

    /// This socket's type.
    pub fn socket_type(&self) -> SocketType {
        self.core.kind
    }

    /// Listens on `endpoint`: `tcp://host:port` (`*` for every interface,
    /// port `*` or 0 for an ephemeral one, see
    /// [`last_endpoint`](Socket::last_endpoint)), `ipc:///path` or
    /// `inproc://name`. Accepting and handshaking happen in a greenlet.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a malformed endpoint, `AddrInUse` when taken, and
    /// what `bind(2)` returns.
    pub fn bind(&self, endpoint: &str) -> io::Result<()> {
        let ep = Endpoint::parse(endpoint)?;
        if let Endpoint::Inproc(name) = &ep {
            self.ctx.inproc().bind(&self.core, name)?;
            lock(&self.local).inproc_bound.push(name.clone());
            lock(&self.core.inner).last_endpoint = Some(endpoint.to_string());
            return Ok(());
        }
        let (resolved, task) = transport::listen(&self.core, &ep)?;
        let mut inner = lock(&self.core.inner);
        inner.last_endpoint = Some(resolved.clone());
        inner.endpoints.push((endpoint.to_string(), resolved, task));
        Ok(())
    }

    /// Connects to `endpoint`. Returns at once: the connection is made (and
    /// remade after a loss, every `reconnect_ivl`) in a greenlet, and
    /// messages sent meanwhile queue up to `sndhwm` (except on ROUTER,
    /// which only knows a peer once it has connected). The endpoint need
    /// not be bound yet, for inproc too.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a malformed endpoint or (inproc) an incompatible
    /// bound socket.
    pub fn connect(&self, endpoint: &str) -> io::Result<()> {
        let ep = Endpoint::parse(endpoint)?;
        if let Endpoint::Inproc(name) = &ep {
            return self.ctx.inproc().connect(&self.core, name);
        }
        if let Some(task) = transport::connect(&self.core, ep, endpoint)? {
            lock(&self.core.inner).endpoints.push((
                endpoint.to_string(),
                endpoint.to_string(),
                task,
            ));
        }
        Ok(())
    }

    /// Stops listening on `endpoint` (as given to `bind`, or as
    /// `last_endpoint` reported it) and closes the connections it accepted.
    ///
    /// # Errors
    ///
    /// `NotFound` when the socket is not bound there.
    pub fn unbind(&self, endpoint: &str) -> io::Result<()> {
        if let Some(name) = endpoint.strip_prefix("inproc://") {
            let mut local = lock(&self.local);
            if self.ctx.inproc().unbind(&self.core, name) {
                local.inproc_bound.retain(|n| n != name);
                return Ok(());
            }
            return Err(ZmqError::NoSuchEndpoint(endpoint.to_string()).into());
        }
        self.drop_endpoint(endpoint)
    }

    /// Stops connecting to `endpoint` and closes that connection; messages
    /// queued for it are dropped.
    ///
    /// # Errors
    ///
    /// `NotFound` when the socket is not connected there.
    pub fn disconnect(&self, endpoint: &str) -> io::Result<()> {
        self.drop_endpoint(endpoint)
    }

    fn drop_endpoint(&self, endpoint: &str) -> io::Result<()> {
        let (tasks, peers) = {
            let mut inner = lock(&self.core.inner);
            let (hit, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut inner.endpoints)
                .into_iter()
                .partition(|(given, resolved, _)| given == endpoint || resolved == endpoint);
            inner.endpoints = keep;
            let mut names = vec![endpoint.to_string()];
            names.extend(hit.iter().map(|(_, resolved, _)| resolved.clone()));
            let peers: Vec<u64> = inner
                .peers
                .iter()
                .filter(|p| names.contains(&p.endpoint))
                .map(|p| p.id)
                .collect();
            (hit, peers)
        };
        if tasks.is_empty() && peers.is_empty() {
            return Err(ZmqError::NoSuchEndpoint(endpoint.to_string()).into());
        }
        for (_, _, task) in tasks {
            task.kill();
        }
        for id in peers {
            self.core.detach(id);
        }
        Ok(())
    }

    /// The endpoint last bound, with the real port after binding port `*`
    /// or 0 (e.g. `tcp://127.0.0.1:41235`).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenline::zmq;
    /// let ctx = zmq::Context::new();
    /// let s = ctx.socket(zmq::PULL)?;
    /// s.bind("tcp://127.0.0.1:*")?;
    /// assert!(s.last_endpoint().unwrap().starts_with("tcp://127.0.0.1:"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn last_endpoint(&self) -> Option<String> {
        lock(&self.core.inner).last_endpoint.clone()
    }

    /// How many peers the socket has now: completed tcp/ipc connections
    /// and inproc peers, plus (connect side) endpoints it is connecting to.
    /// Not in pyzmq; tests use it to wait for connections to come up.
    pub fn peer_count(&self) -> usize {
        let mut inner = lock(&self.core.inner);
        inner.prune();
        inner.peers.len()
    }

    /// SUB/XSUB: receive messages whose first frame starts with `topic`
    /// (empty: everything). Counted: subscribing twice needs two
    /// unsubscribes. Sent to every connected peer and to every later one.
    ///
    /// # Errors
    ///
    /// `Unsupported` on other socket types.
    pub fn subscribe(&self, topic: impl AsRef<[u8]>) -> io::Result<()> {
        self.change_subscription(Change::Subscribe, topic.as_ref())
    }

    /// SUB/XSUB: drops one subscription to `topic`.
    ///
    /// # Errors
    ///
    /// `Unsupported` on other socket types.
    pub fn unsubscribe(&self, topic: impl AsRef<[u8]>) -> io::Result<()> {
        self.change_subscription(Change::Unsubscribe, topic.as_ref())
    }

    fn change_subscription(&self, change: Change, topic: &[u8]) -> io::Result<()> {
        if !matches!(self.core.kind, SocketType::Sub | SocketType::XSub) {
            return Err(ZmqError::NotSupported.into());
        }
        let mut wake = Wakeups::default();
        {
            let mut inner = lock(&self.core.inner);
            pattern::set_subscription(
                &mut inner,
                change,
                &Bytes::copy_from_slice(topic),
                &mut wake,
            );
        }
        wake.run();
        Ok(())
    }

    /// Closes the socket, waiting up to `linger` for queued messages to
    /// reach tcp/ipc peers (what is queued for inproc peers stays readable
    /// by them). Then every connection and listener of the socket ends.
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

    /// Whether a recv and a send would complete now (POLLIN, POLLOUT).
    pub(crate) fn events(&self) -> (bool, bool) {
        if !lock(&self.local).pending_in.is_empty() {
            // The rest of a message can be read at once; REQ and REP refuse
            // to send until it is (see `check_turn`).
            let can_send = !matches!(self.core.kind, SocketType::Req | SocketType::Rep);
            return (true, can_send);
        }
        let mut wake = Wakeups::default();
        let ev = {
            let mut inner = lock(&self.core.inner);
            pattern::events(self.core.kind, &mut inner, &mut wake)
        };
        wake.run();
        ev
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

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket")
            .field("type", &self.core.kind)
            .finish_non_exhaustive()
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

/// Maps a wait that ran out to the error the caller asked for.
fn wait_error(e: WaitError, dontwait: bool) -> io::Error {
    match e {
        WaitError::TimedOut if dontwait => io::Error::new(
            io::ErrorKind::WouldBlock,
            "the operation would block (EAGAIN)",
        ),
        WaitError::TimedOut => crate::time::timed_out(),
    }
}
