//! The socket handle: pyzmq's `zmq.Socket`.
//!
//! This file holds the handle (a [`Socket`] is an `Arc` of what its clones
//! share), the frames it keeps between calls (a message built with
//! SNDMORE, the rest of one read frame by frame), subscriptions, poll
//! readiness and [`Socket::poll`]. Its other methods sit one concern per
//! file:
//! `endpoints.rs` (bind, connect, unbind, disconnect), `send_recv.rs`
//! (send, recv and their multipart forms), `options.rs` (the typed option
//! setters and getters over [`Options`](crate::zmq::options::Options)),
//! `close.rs` (close, drop and linger). What the socket shares with its
//! connections and peers is its [`Core`].

mod close;
mod endpoints;
#[cfg(feature = "json")]
mod json;
mod options;
mod send_recv;
mod string;

#[cfg(feature = "json")]
pub use self::json::RecvJsonError;

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;

use crate::sync::waiter::{lock, WaitError};
use crate::zmq::codec::SocketType;
use crate::zmq::context::Context;
use crate::zmq::core::Core;
use crate::zmq::error::ZmqError;
use crate::zmq::msg::Msg;
use crate::zmq::pattern::{self, Change};
use crate::zmq::signal::Wakeups;

/// Flag: fail with `ErrorKind::WouldBlock` instead of waiting (libzmq
/// `ZMQ_DONTWAIT`, pyzmq `zmq.NOBLOCK`).
pub const DONTWAIT: i32 = 1;
/// Flag: more frames of this message follow (libzmq `ZMQ_SNDMORE`).
pub const SNDMORE: i32 = 2;

/// Event flag: a recv would not block (libzmq `ZMQ_POLLIN`).
pub const POLLIN: i16 = 1;
/// Event flag: a send would not block (libzmq `ZMQ_POLLOUT`).
pub const POLLOUT: i16 = 2;

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
/// peer, [`recv`](Socket::recv) with nothing queued, [`poll`](Socket::poll))
/// yield in a greenlet and block a plain thread. They are woken by the
/// socket's connections and peers, end with `TimedOut` at
/// `sndtimeo`/`rcvtimeo` or the caller's [`Timeout`](crate::Timeout), with
/// `WouldBlock` at once under [`DONTWAIT`], with `ConnectionAborted`
/// ([`ZmqError::ContextTerminated`]) when the context is terminated, and
/// with `NotConnected` ([`ZmqError::Closed`]) when the socket is closed
/// through another handle.
///
/// # Handles
///
/// A `Socket` is a handle: [`Clone`] is cheap (an `Arc`) and gives
/// another handle to the same socket, as assigning a pyzmq socket to a
/// second name does. A [`Poller`](crate::zmq::Poller) keeps one for each
/// socket registered with it. The socket closes when the last handle is
/// dropped, or when [`close`](Socket::close) is called on any handle;
/// calls through the other handles then fail with `NotConnected`
/// ([`ZmqError::Closed`], libzmq's `ENOTSOCK`), and calls blocked in them
/// return that error at once.
///
/// ```
/// use greenline::zmq;
/// let ctx = zmq::Context::new();
/// let pull = ctx.socket(zmq::PULL)?;
/// pull.bind("inproc://handles")?;
/// let handle = pull.clone(); // the same socket
/// let push = ctx.socket(zmq::PUSH)?;
/// push.connect("inproc://handles")?;
/// push.send("x", 0)?;
/// assert_eq!(handle.recv(0)?, "x");
/// pull.close()?;
/// let e = handle.recv(0).unwrap_err();
/// assert_eq!(e.kind(), std::io::ErrorKind::NotConnected);
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// Dropping the last handle returns at once; the socket's queued messages
/// to tcp/ipc peers get `linger` to go out in the background.
/// [`close`](Socket::close) does the same but waits.
#[derive(Clone)]
pub struct Socket {
    shared: Arc<Shared>,
}

/// What every handle of one socket shares; dropping it (the last handle
/// went) closes the socket, see `close.rs`.
struct Shared {
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
            shared: Arc::new(Shared {
                core,
                ctx,
                local: Mutex::new(Local::default()),
                frames_held: AtomicBool::new(false),
            }),
        }
    }

    /// Whether `self` and `other` are handles of the same socket.
    pub(crate) fn same(&self, other: &Socket) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// Records whether `local` holds frames; call after changing them.
    fn note_frames(&self, local: &Local) {
        let held = !local.pending_out.is_empty() || !local.pending_in.is_empty();
        self.shared.frames_held.store(held, Ordering::Release);
    }

    /// False when no frames are held (see `frames_held`).
    fn frames_held(&self) -> bool {
        self.shared.frames_held.load(Ordering::Acquire)
    }

    pub(crate) fn core(&self) -> &Arc<Core> {
        &self.shared.core
    }

    fn local(&self) -> crate::sync::waiter::StateGuard<'_, Local> {
        lock(&self.shared.local)
    }

    /// This socket's type.
    pub fn socket_type(&self) -> SocketType {
        self.shared.core.kind
    }

    /// How many peers the socket has now: completed tcp/ipc connections
    /// and inproc peers, plus (connect side) endpoints it is connecting to.
    /// Not in pyzmq; tests use it to wait for connections to come up.
    pub fn peer_count(&self) -> usize {
        let mut inner = lock(&self.shared.core.inner);
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
        if !matches!(self.shared.core.kind, SocketType::Sub | SocketType::XSub) {
            return Err(ZmqError::NotSupported.into());
        }
        let mut wake = Wakeups::default();
        {
            let mut inner = lock(&self.shared.core.inner);
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

    /// Whether a recv and a send would complete now (POLLIN, POLLOUT).
    pub(crate) fn events(&self) -> (bool, bool) {
        if !lock(&self.shared.local).pending_in.is_empty() {
            // The rest of a message can be read at once; REQ and REP refuse
            // to send until it is (see `check_turn`).
            let can_send = !matches!(self.shared.core.kind, SocketType::Req | SocketType::Rep);
            return (true, can_send);
        }
        let mut wake = Wakeups::default();
        let ev = {
            let mut inner = lock(&self.shared.core.inner);
            pattern::events(self.shared.core.kind, &mut inner, &mut wake)
        };
        wake.run();
        ev
    }

    /// The events of `wanted` ([`POLLIN`], [`POLLOUT`]) the socket has now.
    pub(crate) fn ready(&self, wanted: i16) -> i16 {
        let (can_recv, can_send) = self.events();
        let have = (if can_recv { POLLIN } else { 0 }) | (if can_send { POLLOUT } else { 0 });
        have & wanted
    }

    /// Waits until the socket can receive ([`POLLIN`]) or send
    /// ([`POLLOUT`]), as `events` asks, or `timeout` passes (`None` or
    /// `Duration::MAX`: no timeout). Returns the events of those asked that
    /// it has, 0 on timeout: pyzmq's `socket.poll(timeout, flags)`, with a
    /// `Duration` for the milliseconds.
    ///
    /// POLLIN means a [`recv`](Socket::recv) would return a frame now,
    /// POLLOUT that a [`send`](Socket::send) would not wait (always on PUB,
    /// XPUB and ROUTER, which drop rather than wait). A greenlet yields, a
    /// thread blocks; the socket's connections and peers wake it on every
    /// change (a message queued, room freed, a peer attached). The caller's
    /// [`Timeout`](crate::Timeout) ends the wait as `timeout` does, with 0.
    ///
    /// # Errors
    ///
    /// `ConnectionAborted` ([`ZmqError::ContextTerminated`]) when the
    /// context is or gets terminated, `NotConnected` ([`ZmqError::Closed`])
    /// when the socket is or gets closed through another handle: a poll
    /// blocked then returns at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenline::zmq::{self, POLLIN, POLLOUT};
    /// let ctx = zmq::Context::new();
    /// let pull = ctx.socket(zmq::PULL)?;
    /// pull.bind("tcp://127.0.0.1:*")?;
    /// let push = ctx.socket(zmq::PUSH)?;
    /// push.connect(&pull.last_endpoint().unwrap())?;
    /// assert_eq!(pull.poll(Some(Duration::ZERO), POLLIN)?, 0);
    /// assert_eq!(push.poll(None, POLLIN | POLLOUT)?, POLLOUT);
    /// push.send("x", 0)?;
    /// assert_eq!(pull.poll(Some(Duration::from_secs(5)), POLLIN)?, POLLIN);
    /// assert_eq!(pull.recv(0)?, "x");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn poll(&self, timeout: Option<Duration>, events: i16) -> io::Result<i16> {
        let deadline = timeout.and_then(crate::time::deadline_in);
        let core = self.core();
        let mut wake = Wakeups::default();
        let polled = core
            .signal
            .wait(deadline, "zmq::Socket::poll", &mut wake, |_| {
                if core.is_terminated() {
                    return Some(Err(core.ended_error()));
                }
                let got = self.ready(events);
                (got != 0).then_some(Ok(got))
            });
        polled.unwrap_or(Ok(0))
    }
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket")
            .field("type", &self.shared.core.kind)
            .finish_non_exhaustive()
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
