//! Waiting on several sockets at once: pyzmq's `zmq.Poller`.
//!
//! The poller keeps a handle ([`Socket`] is an `Arc`) to each registered
//! socket, so it borrows nothing and can live in a struct or move into a
//! greenlet beside its sockets. A poll's result, [`Events`], answers
//! "is this socket ready?" by socket, as pyzmq's `dict(poller.poll())`
//! does, so the caller never compares pointers: the zguide's
//! `if socks.get(frontend) == zmq.POLLIN` ports as
//! `if socks.get(&frontend) == Some(POLLIN)`. (Keying results by a token
//! the caller picks at `register`, as mio does, would serve a Rust
//! program as well, but every pyzmq program would have to be rewritten
//! around it; asking by socket keeps the port line for line.)

use std::io;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use super::signal::{Signal, Wakeups};
use super::socket::Socket;

/// Waits until one of its sockets can receive or send.
///
/// Each registered socket notifies the poller's own signal on every change
/// (a message queued, room freed, a peer attached), and [`poll`] re-checks
/// every socket then; so a poll costs one check per socket per change.
///
/// The poller holds a handle to each registered socket (a clone, see
/// [`Socket`]'s "Handles"): a socket stays open while it is registered,
/// even if every other handle is dropped, until it is unregistered or the
/// poller is dropped. pyzmq's poller keeps its sockets alive the same way.
///
/// # Examples
///
/// The zguide's `mspoller`: one loop serving two sockets.
///
/// ```
/// use std::time::Duration;
/// use greenline::zmq::{self, Poller, POLLIN};
/// let ctx = zmq::Context::new();
/// let receiver = ctx.socket(zmq::PULL)?;
/// receiver.bind("tcp://127.0.0.1:*")?;
/// let subscriber = ctx.socket(zmq::SUB)?;
/// subscriber.bind("tcp://127.0.0.1:*")?;
/// subscriber.subscribe("")?;
/// let push = ctx.socket(zmq::PUSH)?;
/// push.connect(&receiver.last_endpoint().unwrap())?;
///
/// let mut poller = Poller::new();
/// poller.register(&receiver, POLLIN);
/// poller.register(&subscriber, POLLIN);
/// assert!(poller.poll(Some(Duration::ZERO))?.is_empty());
/// push.send("task", 0)?;
/// let socks = poller.poll(Some(Duration::from_secs(5)))?;
/// assert!(socks.contains(&receiver));
/// assert_eq!(socks.get(&receiver), Some(POLLIN));
/// assert_eq!(socks.get(&subscriber), None);
/// assert_eq!(receiver.recv(0)?, "task");
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// [`poll`]: Poller::poll
pub struct Poller {
    items: Vec<(Socket, i16)>,
    signal: Arc<Signal>,
}

impl Poller {
    /// An empty poller.
    pub fn new() -> Poller {
        Poller {
            items: Vec::new(),
            signal: Signal::new(),
        }
    }

    /// Watches `socket` (keeping a handle to it) for `events`
    /// ([`POLLIN`](super::POLLIN) `|` [`POLLOUT`](super::POLLOUT));
    /// registering it again replaces its events, and 0 unregisters it.
    pub fn register(&mut self, socket: &Socket, events: i16) {
        if events == 0 {
            return self.unregister(socket);
        }
        socket.core().signal.observe(&self.signal);
        match self.items.iter_mut().find(|(s, _)| s.same(socket)) {
            Some(item) => item.1 = events,
            None => self.items.push((socket.clone(), events)),
        }
    }

    /// Stops watching `socket` and drops the poller's handle to it.
    pub fn unregister(&mut self, socket: &Socket) {
        socket.core().signal.unobserve(&self.signal);
        self.items.retain(|(s, _)| !s.same(socket));
    }

    /// Waits until at least one socket has one of its events, or `timeout`
    /// passes (`None` or `Duration::MAX`: forever); returns the ready
    /// sockets with the events they have, empty on timeout. A greenlet
    /// yields, a thread blocks; the registered sockets wake it on every
    /// change. The caller's [`Timeout`](crate::Timeout) also ends the wait
    /// (with an empty result).
    ///
    /// # Errors
    ///
    /// `ConnectionAborted` ([`ZmqError::ContextTerminated`]) when a
    /// registered socket's context is or gets terminated, `NotConnected`
    /// ([`ZmqError::Closed`]) when a registered socket is or gets closed
    /// through another handle; a poll blocked then returns at once.
    ///
    /// [`ZmqError::ContextTerminated`]: super::ZmqError::ContextTerminated
    /// [`ZmqError::Closed`]: super::ZmqError::Closed
    pub fn poll(&self, timeout: Option<Duration>) -> io::Result<Events> {
        let deadline = timeout.and_then(crate::time::deadline_in);
        let mut wake = Wakeups::default();
        let r = self
            .signal
            .wait(deadline, "zmq::Poller::poll", &mut wake, |_| {
                if let Some((s, _)) = self.items.iter().find(|(s, _)| s.core().is_terminated()) {
                    return Some(Err(s.core().ended_error()));
                }
                let ready: Vec<(Socket, i16)> = self
                    .items
                    .iter()
                    .filter_map(|(s, wanted)| {
                        let got = s.ready(*wanted);
                        (got != 0).then(|| (s.clone(), got))
                    })
                    .collect();
                (!ready.is_empty()).then_some(Ok(Events { ready }))
            });
        r.unwrap_or_else(|_| Ok(Events::default()))
    }
}

impl Default for Poller {
    fn default() -> Self {
        Poller::new()
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        for (s, _) in &self.items {
            s.core().signal.unobserve(&self.signal);
        }
    }
}

impl std::fmt::Debug for Poller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Poller")
            .field("items", &self.items)
            .finish_non_exhaustive()
    }
}

/// The sockets a [`Poller::poll`] found ready, each with the events it has
/// (of those it was registered for): pyzmq's `dict(poller.poll())`.
///
/// Ask it by socket with [`get`](Events::get) and
/// [`contains`](Events::contains), which recognise any handle of a socket;
/// or go through the pairs in registration order, as a slice (it derefs to
/// `[(Socket, i16)]`) or by value (`for (socket, events) in ready`).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use greenline::zmq::{self, Poller, POLLIN, POLLOUT};
/// let ctx = zmq::Context::new();
/// let a = ctx.socket(zmq::PAIR)?;
/// a.bind("tcp://127.0.0.1:*")?;
/// let b = ctx.socket(zmq::PAIR)?;
/// b.connect(&a.last_endpoint().unwrap())?;
/// let mut poller = Poller::new();
/// poller.register(&b, POLLIN | POLLOUT);
/// let ready = poller.poll(Some(Duration::from_secs(5)))?;
/// assert_eq!(ready.get(&b), Some(POLLOUT)); // room, nothing to read
/// assert!(!ready.contains(&a));
/// assert_eq!(ready.len(), 1);
/// for (socket, events) in ready {
///     assert_eq!(socket.socket_type(), zmq::PAIR);
///     assert_eq!(events, POLLOUT);
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Events {
    ready: Vec<(Socket, i16)>,
}

impl Events {
    /// The events `socket` has, `None` when it is not ready (or not
    /// registered): pyzmq's `socks.get(socket)`.
    pub fn get(&self, socket: &Socket) -> Option<i16> {
        self.ready
            .iter()
            .find(|(s, _)| s.same(socket))
            .map(|&(_, events)| events)
    }

    /// Whether `socket` is ready: pyzmq's `socket in socks`.
    pub fn contains(&self, socket: &Socket) -> bool {
        self.get(socket).is_some()
    }
}

impl Deref for Events {
    type Target = [(Socket, i16)];

    fn deref(&self) -> &[(Socket, i16)] {
        &self.ready
    }
}

impl IntoIterator for Events {
    type Item = (Socket, i16);
    type IntoIter = std::vec::IntoIter<(Socket, i16)>;

    fn into_iter(self) -> Self::IntoIter {
        self.ready.into_iter()
    }
}

impl<'a> IntoIterator for &'a Events {
    type Item = &'a (Socket, i16);
    type IntoIter = std::slice::Iter<'a, (Socket, i16)>;

    fn into_iter(self) -> Self::IntoIter {
        self.ready.iter()
    }
}
