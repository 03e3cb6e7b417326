//! The socket core every greenline socket type holds: the descriptor as
//! may's event loop knows it, the socket's own timeouts, and the
//! operations shared through `&self` (accept, datagrams, connect).
//!
//! A [`Socket`] wraps a std socket `T` in may's `CoIo` (through
//! `sys::registered`, which deregisters it before closing it), which registers the
//! descriptor with may's event loop and makes it non-blocking; greenline
//! never calls may's own socket operations. Each operation is a raw,
//! non-blocking attempt (`T`'s std method, or a `sys::socket` call) and,
//! on `EAGAIN`, a [`wait`](super::wait::wait) for the socket's event.
//! Streams add their own bookkeeping of the event flag on top (see
//! `net::stream`).

use std::io;
use std::os::fd::{AsRawFd, IntoRawFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use may::io::WaitIo;

use super::wait::{self, Dir, OpDeadline, CLOSED};
use crate::sys::registered::Registered;
use crate::time::timer::Alarm;

/// A registered socket and its timeouts (see the module docs).
#[derive(Debug)]
pub(crate) struct Socket<T: AsRawFd + IntoRawFd> {
    io: Registered<T>,
    read_timeout: AtomicTimeout,
    write_timeout: AtomicTimeout,
    /// Wakes a greenlet whose timed wait passes its deadline; made on the
    /// socket's first timed wait.
    alarm: OnceLock<Alarm>,
    /// Event flags a `&self` operation cleared that belong to the other
    /// direction, kept for it (the flag is one for both directions).
    pending: AtomicUsize,
    /// A greenlet waits on the socket through a `&self` operation. may
    /// keeps one waiting coroutine per socket, so a second one is refused
    /// instead of silently taking the first one's wake-ups.
    waiting: AtomicBool,
    /// [`close`](Socket::close) was called: every `&self` operation fails.
    closed: AtomicBool,
}

impl<T: AsRawFd + IntoRawFd> Socket<T> {
    /// Registers `inner` with may's event loop and makes it non-blocking.
    pub(crate) fn new(inner: T) -> io::Result<Socket<T>> {
        crate::config::ensure_started();
        let io = Registered::new(inner)?;
        Ok(Socket {
            io,
            read_timeout: AtomicTimeout::new(),
            write_timeout: AtomicTimeout::new(),
            alarm: OnceLock::new(),
            pending: AtomicUsize::new(0),
            waiting: AtomicBool::new(false),
            closed: AtomicBool::new(false),
        })
    }

    /// The std socket.
    #[inline(always)]
    pub(crate) fn inner(&self) -> &T {
        self.io.inner()
    }

    #[inline(always)]
    pub(crate) fn fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }

    /// The timeout bounding each operation in `dir`.
    #[inline(always)]
    pub(crate) fn timeout(&self, dir: Dir) -> Option<Duration> {
        match dir {
            Dir::Read => self.read_timeout.get(),
            Dir::Write => self.write_timeout.get(),
        }
    }

    /// Sets the timeout for `dir`, with std's rules: zero is `InvalidInput`,
    /// `None` waits forever.
    pub(crate) fn set_timeout(&self, dir: Dir, t: Option<Duration>) -> io::Result<()> {
        if t == Some(Duration::ZERO) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "cannot set a zero duration timeout",
            ));
        }
        match dir {
            Dir::Read => self.read_timeout.set(t),
            Dir::Write => self.write_timeout.set(t),
        }
        Ok(())
    }

    /// Clears may's event flag and returns what it held.
    #[inline(always)]
    pub(crate) fn take_events(&self) -> usize {
        #[allow(deprecated)] // reset_io: the flags it clears are needed here
        self.io.reset_io()
    }

    /// Waits for an event in `dir` (see [`wait::wait`]); for a socket used
    /// by one greenlet at a time (through `&mut`).
    #[inline(always)]
    pub(crate) fn wait(
        &self,
        dir: Dir,
        what: &'static str,
        deadline: &mut OpDeadline,
    ) -> io::Result<usize> {
        let timeout = self.timeout(dir);
        if wait::untimed(timeout) {
            return Ok(wait::wait_io(&*self.io));
        }
        wait::wait(&self.io, dir, what, timeout, deadline, &self.alarm)
    }

    /// Runs `attempt` until it does not fail with `WouldBlock`, waiting for
    /// an event in `dir` in between: accept, datagrams, a connect's end.
    ///
    /// Woken by the socket's event, its timeout for `dir` or the caller's
    /// [`crate::Timeout`] (`ErrorKind::TimedOut`). Killing the greenlet
    /// unwinds out of the wait.
    ///
    /// # Errors
    ///
    /// `attempt`'s error; `TimedOut`; `ResourceBusy` when another greenlet
    /// already waits on this socket (gevent's `ConcurrentObjectUseError`:
    /// may wakes one waiter per socket, so a second would take the first
    /// one's wake-ups or lose its own).
    pub(crate) fn op<R>(
        &self,
        dir: Dir,
        what: &'static str,
        attempt: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        self.op_until(dir, what, None, attempt)
    }

    /// [`op`](Self::op) with a deadline of its own as well (`limit`, from
    /// [`crate::time::timer::deadline_after`]): the earliest of it, the
    /// socket's timeout and the caller's `Timeout` ends the wait.
    pub(crate) fn op_until<R>(
        &self,
        dir: Dir,
        what: &'static str,
        limit: Option<u64>,
        mut attempt: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        let mut deadline = match limit {
            Some(at) => OpDeadline::limited(at),
            None => OpDeadline::Unset,
        };
        loop {
            if self.closed.load(Ordering::Acquire) {
                return Err(closed());
            }
            match attempt(self.inner()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => return r,
            }
            if self.closed.load(Ordering::Acquire) {
                return Err(closed());
            }
            // An event that came after the attempt is in the flag: try
            // again rather than wait for one that has been and gone.
            if self.sort_events(dir, self.take_events()) {
                continue;
            }
            let events = if may::coroutine::is_coroutine() {
                if self.waiting.swap(true, Ordering::Acquire) {
                    return Err(busy());
                }
                let _idle = Idle(&self.waiting);
                self.wait_shared(dir, what, &mut deadline)?
            } else {
                self.wait_shared(dir, what, &mut deadline)?
            };
            self.sort_events(dir, events);
        }
    }

    /// Closes this handle for every `&self` operation: a greenlet waiting
    /// in one wakes with `NotConnected` at once, a thread within
    /// [`THREAD_SLICE`], and every later call fails the same way. Other
    /// handles to the socket (clones) are not affected, as gevent's
    /// `close()` leaves a `dup` open; the descriptor is released when this
    /// handle is dropped, since another thread may be using its number.
    pub(crate) fn close(&self) {
        if !self.closed.swap(true, Ordering::AcqRel) {
            self.io.waker().wakeup();
        }
    }

    fn wait_shared(
        &self,
        dir: Dir,
        what: &'static str,
        deadline: &mut OpDeadline,
    ) -> io::Result<usize> {
        wait::wait_sliced(
            &self.io,
            dir,
            what,
            self.timeout(dir),
            deadline,
            &self.alarm,
            Some(THREAD_SLICE),
        )
    }

    /// Sorts cleared event flags: true when they (or flags kept for this
    /// direction earlier) concern `dir`; the other direction's are kept.
    fn sort_events(&self, dir: Dir, cleared: usize) -> bool {
        let events = cleared | self.pending.swap(0, Ordering::AcqRel);
        let other = events & !dir.events() & !CLOSED;
        if other != 0 {
            self.pending.fetch_or(other, Ordering::AcqRel);
        }
        events & dir.events() != 0
    }
}

/// How long a plain thread waits in a `&self` operation before it looks
/// whether the socket was closed (a greenlet is woken at once).
pub(crate) const THREAD_SLICE: Duration = Duration::from_millis(50);

/// Ends a `&self` wait's claim on the socket, however it ends.
struct Idle<'a>(&'a AtomicBool);

impl Drop for Idle<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

fn closed() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "the socket was closed")
}

fn busy() -> io::Error {
    io::Error::new(
        io::ErrorKind::ResourceBusy,
        "another greenlet is already waiting on this socket",
    )
}

impl<T: AsRawFd + IntoRawFd> AsRawFd for Socket<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.fd()
    }
}

/// An optional duration in an atomic (`u64::MAX` nanoseconds: none).
#[derive(Debug)]
struct AtomicTimeout(AtomicU64);

impl AtomicTimeout {
    const fn new() -> AtomicTimeout {
        AtomicTimeout(AtomicU64::new(u64::MAX))
    }

    #[inline(always)]
    fn get(&self) -> Option<Duration> {
        match self.0.load(Ordering::Relaxed) {
            u64::MAX => None,
            n => Some(Duration::from_nanos(n)),
        }
    }

    fn set(&self, t: Option<Duration>) {
        // A timeout too long to represent is none.
        let n = t.map_or(u64::MAX, |d| {
            u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
        });
        self.0.store(n, Ordering::Relaxed);
    }
}
