//! Waiting on several sockets at once: pyzmq's `zmq.Poller`.

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::error::ZmqError;
use super::signal::{Signal, Wakeups};
use super::socket::Socket;

/// Event flag: a recv would not block.
pub const POLLIN: i16 = 1;
/// Event flag: a send would not block.
pub const POLLOUT: i16 = 2;

/// Waits until one of its sockets can receive or send.
///
/// Each registered socket notifies the poller's own signal on every change
/// (a message queued, room freed, a peer attached), and [`poll`] re-checks
/// every socket then; so a poll costs one check per socket per change.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use greenline::zmq::{self, Poller, POLLIN};
/// let ctx = zmq::Context::new();
/// let pull = ctx.socket(zmq::PULL)?;
/// pull.bind("inproc://poller-doc")?;
/// let push = ctx.socket(zmq::PUSH)?;
/// push.connect("inproc://poller-doc")?;
/// let mut poller = Poller::new();
/// poller.register(&pull, POLLIN);
/// assert!(poller.poll(Some(Duration::ZERO))?.is_empty());
/// push.send("x", 0)?;
/// let ready = poller.poll(Some(Duration::from_secs(1)))?;
/// assert_eq!(ready.len(), 1);
/// assert_eq!(ready[0].1, POLLIN);
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// [`poll`]: Poller::poll
pub struct Poller<'a> {
    items: Vec<(&'a Socket, i16)>,
    signal: Arc<Signal>,
}

impl<'a> Poller<'a> {
    /// An empty poller.
    pub fn new() -> Poller<'a> {
        Poller {
            items: Vec::new(),
            signal: Signal::new(),
        }
    }

    /// Watches `socket` for `events` (`POLLIN | POLLOUT`); registering it
    /// again replaces its events, and 0 unregisters it.
    pub fn register(&mut self, socket: &'a Socket, events: i16) {
        if events == 0 {
            return self.unregister(socket);
        }
        socket.core().signal.observe(&self.signal);
        match self
            .items
            .iter_mut()
            .find(|(s, _)| std::ptr::eq(*s, socket))
        {
            Some(item) => item.1 = events,
            None => self.items.push((socket, events)),
        }
    }

    /// Stops watching `socket`.
    pub fn unregister(&mut self, socket: &Socket) {
        socket.core().signal.unobserve(&self.signal);
        self.items.retain(|(s, _)| !std::ptr::eq(*s, socket));
    }

    /// Waits until at least one socket has one of its events, or `timeout`
    /// passes (`None`: forever); returns the ready sockets with the events
    /// they have, empty on timeout. A greenlet yields, a thread blocks; the
    /// caller's [`Timeout`](crate::Timeout) also ends the wait (with an
    /// empty result).
    ///
    /// # Errors
    ///
    /// `ConnectionAborted` when a registered socket's context was
    /// terminated.
    pub fn poll(&self, timeout: Option<Duration>) -> io::Result<Vec<(&'a Socket, i16)>> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut wake = Wakeups::default();
        let r = self
            .signal
            .wait(deadline, "zmq::Poller::poll", &mut wake, |_| {
                if self.items.iter().any(|(s, _)| s.core().is_terminated()) {
                    return Some(Err(ZmqError::ContextTerminated.into()));
                }
                let ready: Vec<(&'a Socket, i16)> = self
                    .items
                    .iter()
                    .filter_map(|&(s, wanted)| {
                        let (can_recv, can_send) = s.events();
                        let have = (if can_recv { POLLIN } else { 0 })
                            | (if can_send { POLLOUT } else { 0 });
                        let got = have & wanted;
                        (got != 0).then_some((s, got))
                    })
                    .collect();
                (!ready.is_empty()).then_some(Ok(ready))
            });
        r.unwrap_or_else(|_| Ok(Vec::new()))
    }
}

impl Default for Poller<'_> {
    fn default() -> Self {
        Poller::new()
    }
}

impl Drop for Poller<'_> {
    fn drop(&mut self) {
        for (s, _) in &self.items {
            s.core().signal.unobserve(&self.signal);
        }
    }
}
