//! Sleeping, yielding and deadlines: gevent's `sleep`, `sleep(0)` and `Timeout`.
//!
//! # Deadlines
//!
//! [`Timeout`] and [`with_timeout`] put a deadline on the calling greenlet
//! (or thread). Every greenline blocking call made while it is in force (a
//! socket read or write, accept, connect, a queue get or put, an event wait,
//! a lock, `join`, [`sleep`]) waits at most until the deadline and then
//! returns `ErrorKind::TimedOut` (or the primitive's own timed-out error).
//! Deadlines nest: the earliest one wins. Code that never blocks is not
//! interrupted (gevent cannot do that either); a loop that only computes
//! should call [`yield_now`].
//!
//! # Timers
//!
//! Every deadline greenline keeps (sleeps, timed waits, `Timeout`, socket
//! timeouts) is kept by its own timer thread ([`timer`]), never by may's:
//! may's timers can fire before the greenlet they are for has finished
//! parking. A waiting greenlet parks on a [`park::Wait`] with no may
//! timeout, and the timer thread unparks it. The watchdog ([`watchdog`])
//! says on stderr when a timer thread stops keeping time.

use std::cell::Cell;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

mod gate;
pub(crate) mod park;
pub(crate) mod timer;
pub(crate) mod watchdog;

may::coroutine_local!(static DEADLINE: Cell<Option<Instant>> = Cell::new(None));

/// How many deadlines are in force process-wide; while zero, blocking calls
/// skip the per-greenlet lookup entirely.
static ACTIVE: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// When this OS thread last let its worker poll for I/O (see `yield_now`).
    /// Read and written between yields only.
    static LAST_FAIR_YIELD: Cell<Option<Instant>> = const { Cell::new(None) };
    /// The poll round (see `gate`) this OS thread's last fair yield waited
    /// for: while it is open, every yield on the thread joins it.
    static ASKED_ROUND: Cell<u64> = const { Cell::new(u64::MAX) };
}

/// The earliest of a call's own deadline and the greenlet's `Timeout`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline(Option<Instant>);

impl Deadline {
    pub(crate) fn effective(call: Option<Instant>) -> Deadline {
        let scope = current_deadline();
        Deadline(match (call, scope) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        })
    }

    /// The deadline `timeout` from now; a timeout too long to represent
    /// is none.
    pub(crate) fn after(timeout: Option<Duration>) -> Deadline {
        Deadline::effective(timeout.and_then(|d| Instant::now().checked_add(d)))
    }

    /// Time left: `None` waits forever, zero means already passed.
    pub(crate) fn remaining(self) -> Option<Duration> {
        self.0.map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// The deadline on the timer's clock (monotonic nanoseconds,
    /// `timer::NONE` for none).
    pub(crate) fn clock(self) -> u64 {
        self.remaining().map_or(timer::NONE, timer::deadline_after)
    }
}

/// The instant `timeout` from now; `None` (no deadline) when it is too far
/// to represent, as `Duration::MAX` is: what a port writes for gevent's
/// `timeout=None`.
pub(crate) fn deadline_in(timeout: Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
}

/// Whether any [`Timeout`] is in force in the process (any greenlet's).
#[inline]
pub(crate) fn any_timeout() -> bool {
    ACTIVE.load(Ordering::Relaxed) != 0
}

/// The deadline of the innermost [`Timeout`] in force for the caller.
pub fn current_deadline() -> Option<Instant> {
    if ACTIVE.load(Ordering::Relaxed) == 0 {
        return None;
    }
    DEADLINE.with(|d| d.get())
}

/// Suspends the caller for `dur`: a greenlet yields, a plain thread sleeps.
///
/// Woken by greenline's timer thread when `dur` has passed (tens of
/// microseconds late at most on an idle machine); the greenlet then
/// continues on a worker. A zero duration is [`yield_now`]. A duration too
/// long to represent sleeps until the greenlet is killed or a [`Timeout`]
/// ends it.
///
/// # Errors
///
/// `ErrorKind::TimedOut` when a [`Timeout`] in force ends before `dur` does;
/// the sleep is then cut short at the deadline.
///
/// If the greenlet is killed while asleep it unwinds from here.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// let t = Instant::now();
/// greenline::spawn(|| greenline::sleep(Duration::from_millis(20))).join().unwrap().unwrap();
/// assert!(t.elapsed() >= Duration::from_millis(20));
/// ```
pub fn sleep(dur: Duration) -> io::Result<()> {
    let (dur, cut) = match Deadline::effective(None).remaining() {
        Some(left) if left < dur => (left, true),
        _ => (dur, false),
    };
    if dur.is_zero() {
        yield_now();
    } else if may::coroutine::is_coroutine() {
        let end = timer::deadline_after(dur);
        let ticket = crate::greenlet::enter_wait("sleep");
        // A wake-up meant for an earlier wait can end a park early: the
        // sleep never returns before its time.
        while !timer::passed(end) {
            park::Wait::new().park(end);
        }
        crate::greenlet::leave_wait(ticket);
    } else {
        std::thread::sleep(dur);
    }
    if cut {
        Err(timed_out())
    } else {
        Ok(())
    }
}

/// Lets other greenlets run, and lets the worker poll for I/O: gevent's
/// `sleep(0)`.
///
/// may's own `yield_now` requeues the greenlet on its worker's local queue,
/// and a worker polls its sockets and its inbox only when that queue is
/// empty, so a loop of it starves every socket on the worker (measured: a
/// greenlet spawned while another spun on it first ran when the spinner
/// stopped). greenline's yield is that cheap local requeue, except that at
/// least once a millisecond per thread it is *fair*: the greenlet waits
/// until a worker has polled for I/O, and every other greenlet yielding on
/// the same thread meanwhile waits for the same poll, so the worker's queue
/// runs dry and the worker polls within one pass over the greenlets
/// yielding on it, however many there are (see `time::gate`). No timer is
/// involved. (Should the gate's socket pair be impossible to make, a fair
/// yield parks and has greenline's timer thread wake it at once instead,
/// which lets the worker poll only when nothing else keeps it busy.) On a
/// plain thread it is `std::thread::yield_now`.
pub fn yield_now() {
    if !may::coroutine::is_coroutine() {
        std::thread::yield_now();
        return;
    }
    let now = Instant::now();
    let gate = gate::get();
    // A poll this thread asked for has not happened yet: wait for it too.
    let round_open = gate.is_some_and(|g| ASKED_ROUND.get() == g.round());
    let due = LAST_FAIR_YIELD.with(|t| match t.get() {
        Some(last) if !round_open && now.duration_since(last) < Duration::from_millis(1) => false,
        _ => {
            t.set(Some(now));
            true
        }
    });
    if !due {
        may::coroutine::yield_now();
        return;
    }
    let ticket = crate::greenlet::enter_wait("yield_now");
    match gate {
        Some(gate) => {
            ASKED_ROUND.set(gate.round());
            gate.wait_for_poll();
        }
        None => park::Wait::new().hand_back(),
    }
    crate::greenlet::leave_wait(ticket);
}

/// A deadline on every blocking call the current greenlet makes until it is
/// dropped or cancelled: gevent's `Timeout`.
///
/// Timeouts nest; the earliest deadline in force applies. Dropping (or
/// [`cancel`](Timeout::cancel)ling) restores the one before.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// greenline::spawn(|| {
///     let q: greenline::sync::Queue<u32> = greenline::sync::Queue::new();
///     let _t = greenline::Timeout::start(Duration::from_millis(10));
///     assert!(q.get().is_err()); // nothing is ever put: times out
/// }).join().unwrap();
/// ```
#[must_use = "the deadline ends when the Timeout is dropped"]
#[derive(Debug)]
pub struct Timeout {
    deadline: Instant,
    previous: Option<Instant>,
    active: bool,
}

impl Timeout {
    /// Puts a deadline `dur` from now on the caller's blocking calls. A
    /// duration too long to represent (`Duration::MAX`) puts a deadline a
    /// century away: in effect none.
    pub fn start(dur: Duration) -> Timeout {
        let now = Instant::now();
        let century = Duration::from_secs(100 * 365 * 24 * 3600);
        Timeout::start_at(now.checked_add(dur).unwrap_or_else(|| now + century))
    }

    /// Puts a deadline at `deadline` on the caller's blocking calls.
    pub fn start_at(deadline: Instant) -> Timeout {
        ACTIVE.fetch_add(1, Ordering::Relaxed);
        let previous = DEADLINE.with(|d| {
            let prev = d.get();
            d.set(Some(prev.map_or(deadline, |p| p.min(deadline))));
            prev
        });
        Timeout {
            deadline,
            previous,
            active: true,
        }
    }

    /// This timeout's own deadline.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// True once the deadline has passed.
    pub fn expired(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Ends the deadline early (same as dropping).
    pub fn cancel(mut self) {
        self.end();
    }

    fn end(&mut self) {
        if self.active {
            self.active = false;
            DEADLINE.with(|d| d.set(self.previous));
            ACTIVE.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

impl Drop for Timeout {
    fn drop(&mut self) {
        self.end();
    }
}

/// Runs `f` with a deadline `dur` from now on its blocking calls:
/// gevent's `with_timeout`.
///
/// `f` returns what it likes: every greenline blocking call inside that
/// hits the deadline returns its timed-out error (`ErrorKind::TimedOut`,
/// `GetError::TimedOut`, ...), which `f` propagates with `?` into its own
/// error type.
///
/// # Examples
///
/// ```
/// use std::io::ErrorKind;
/// use std::time::Duration;
/// let r = greenline::spawn(|| {
///     greenline::with_timeout(Duration::from_millis(10), || {
///         greenline::sleep(Duration::from_secs(5))
///     })
/// }).get();
/// assert_eq!(r.unwrap_err().kind(), ErrorKind::TimedOut);
/// ```
pub fn with_timeout<R>(dur: Duration, f: impl FnOnce() -> R) -> R {
    let _t = Timeout::start(dur);
    f()
}

/// The error every greenline call returns when a deadline passes.
pub(crate) fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "deadline passed")
}
