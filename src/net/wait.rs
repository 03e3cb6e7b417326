//! How a socket operation waits: for the socket's next event, at most until
//! the operation's deadline. Every socket type waits here and only here.
//!
//! A socket is registered once with may's event loop (edge-triggered, for
//! input, output and hang-up), which keeps one event flag per socket and
//! one waiting coroutine. A greenlet waits on that flag with may's
//! `wait_io`, which has no timeout: when the operation has a deadline, the
//! socket's [`Alarm`] on greenline's timer thread wakes the waiter through
//! may's `WaitIoWaker` once it passes, and the waiter, seeing its time is
//! up, returns `TimedOut`. A plain thread, which may's event loop does not
//! wake, waits with poll(2) on the descriptor instead.
//!
//! ```text
//!   operation ── attempt (raw, non-blocking) ── ready ──▶ result
//!        ▲            │ EAGAIN
//!        │            ▼
//!        │      deadline passed? ── yes ──▶ TimedOut
//!        │            │ no
//!        └── event ◀──┴── wait: greenlet: alarm.set(deadline), wait_io
//!            or alarm         thread:  poll(2) until the deadline
//! ```
//!
//! A greenlet killed while waiting unwinds out of the wait (may's
//! `wait_io` returns on a cancel; greenline raises the cancel itself). A
//! socket dropped or closed by its owner cannot have a waiter: every
//! operation borrows the socket. `shutdown` from another handle (a
//! `try_clone`) wakes a reader with end of file.

use std::io;
use std::os::fd::AsRawFd;
use std::time::Duration;

use may::io::{CoIo, WaitIo};

use crate::time::timer::{self, Alarm, Wake};
use crate::time::{timed_out, Deadline};

/// Which way an operation goes: what it waits for and which timeout bounds it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Dir {
    /// Waits for input (or a connection to accept).
    Read,
    /// Waits for room to write (or a connect to finish).
    Write,
}

/// may's event flags as greenline reads them.
pub(crate) const INPUT: usize = libc::EPOLLIN as usize;
pub(crate) const OUTPUT: usize = libc::EPOLLOUT as usize;
/// End of input or an error: every waiter in either direction looks again.
pub(crate) const CLOSED: usize = (libc::EPOLLRDHUP | libc::EPOLLHUP | libc::EPOLLERR) as usize;

impl Dir {
    /// The events that end a wait in this direction.
    pub(crate) fn events(self) -> usize {
        match self {
            Dir::Read => INPUT | CLOSED,
            Dir::Write => OUTPUT | CLOSED,
        }
    }
}

/// One operation's deadline, fixed at its first wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OpDeadline {
    /// Not waited yet.
    Unset,
    /// Not waited yet, with a limit of the operation's own (monotonic
    /// nanoseconds) besides the socket's timeout and `Timeout`.
    Limit(u64),
    /// No timeout and no `Timeout` in force.
    Never,
    /// Monotonic nanoseconds (see `time::timer`).
    At(u64),
}

impl OpDeadline {
    /// Fixes the deadline on first use: the socket's `timeout` for the
    /// operation's direction from now, or the caller's [`crate::Timeout`],
    /// whichever ends first.
    fn fix(&mut self, timeout: Option<Duration>) -> OpDeadline {
        let limit = match *self {
            OpDeadline::Unset => timer::NONE,
            OpDeadline::Limit(at) => at,
            fixed => return fixed,
        };
        let own = timeout.map_or(timer::NONE, timer::deadline_after);
        let scope = Deadline::effective(None).clock();
        *self = match own.min(scope).min(limit) {
            timer::NONE => OpDeadline::Never,
            at => OpDeadline::At(at),
        };
        *self
    }

    /// An operation's own limit, besides the socket's timeout.
    pub(crate) fn limited(at: u64) -> OpDeadline {
        if at == timer::NONE {
            OpDeadline::Unset
        } else {
            OpDeadline::Limit(at)
        }
    }
}

/// Whether this wait may take the inlined path: a greenlet, no timeout on
/// the socket, no `Timeout` anywhere, no instrumentation.
#[inline(always)]
pub(crate) fn untimed(timeout: Option<Duration>) -> bool {
    timeout.is_none()
        && !crate::time::any_timeout()
        && !crate::greenlet::instrumented()
        && may::coroutine::is_coroutine()
}

/// Waits for an event on `io` in direction `dir`, at most until the
/// operation's deadline (fixed at its first wait from `timeout`). Returns
/// the event flags it cleared (possibly none: a wake-up is a hint), or
/// `TimedOut`. `alarm` is the socket's, made on its first timed wait.
///
/// `what` names the wait for the test harness and the blocking monitor.
#[inline(never)]
pub(crate) fn wait<T: AsRawFd>(
    io: &CoIo<T>,
    dir: Dir,
    what: &'static str,
    timeout: Option<Duration>,
    deadline: &mut OpDeadline,
    alarm: &std::sync::OnceLock<Alarm>,
) -> io::Result<usize> {
    wait_sliced(io, dir, what, timeout, deadline, alarm, None)
}

/// [`wait`], where a plain thread waits at most `slice` at a time (and
/// then returns no events: the caller looks again), so it can notice what
/// no event announces, such as a `close` from another thread.
#[inline(never)]
pub(crate) fn wait_sliced<T: AsRawFd>(
    io: &CoIo<T>,
    dir: Dir,
    what: &'static str,
    timeout: Option<Duration>,
    deadline: &mut OpDeadline,
    alarm: &std::sync::OnceLock<Alarm>,
    slice: Option<Duration>,
) -> io::Result<usize> {
    let at = match deadline.fix(timeout) {
        OpDeadline::At(at) if timer::passed(at) => return Err(timed_out()),
        OpDeadline::At(at) => Some(at),
        _ => None,
    };
    let ticket = crate::greenlet::enter_wait(what);
    let r = if may::coroutine::is_coroutine() {
        match at {
            Some(at) => {
                let alarm = alarm.get_or_init(|| Alarm::new(Wake::Io(io.waker())));
                alarm.set(at);
                // A kill unwinds out of here with the alarm set: it then
                // wakes no one, or sets the event flag for a later wait,
                // which looks at the time.
                let events = wait_io(io);
                alarm.clear();
                Ok(events)
            }
            None => Ok(wait_io(io)),
        }
    } else {
        // A plain thread may block: poll(2) until the event or the
        // deadline (the caller looks at the time again).
        #[allow(deprecated)] // reset_io: the flags it clears are needed
        let cleared = io.reset_io();
        let left = match (at.map(timer::left), slice) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        crate::sys::epoll::poll_fd(io.as_raw_fd(), dir == Dir::Read, left).map(|e| e | cleared)
    };
    crate::greenlet::leave_wait(ticket);
    r
}

/// may's `wait_io`, unwinding like may's other waits when the greenlet is
/// killed (may's `wait_io` itself just returns). Returns the event flags it
/// cleared.
#[inline(always)]
pub(crate) fn wait_io<S: WaitIo>(io: &S) -> usize {
    let events = io.wait_io();
    if crate::greenlet::kill_requested() {
        may::coroutine::trigger_cancel_panic();
    }
    events
}
