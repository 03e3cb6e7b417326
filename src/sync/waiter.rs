//! The parking core every greenline primitive waits on.
//!
//! A waiter is a [`Wait`](crate::time::park::Wait): inside a greenlet it
//! parks the greenlet (the worker runs others), on a plain thread it parks
//! the thread on a condvar. So every primitive built on
//! this works across that boundary both ways. Deadlines are kept by
//! greenline's timer thread, never by may's timers.
//!
//! Primitives keep their state and a [`WaitQueue`] under one std `Mutex`,
//! held only for a few instructions and never across a park. [`wait_while`]
//! is the one loop they all use:
//!
//! ```text
//!   lock ──► poll(state) ─ready──► unlock, return value
//!              │ not ready
//!              ▼
//!        deadline passed? ─yes──► unlock, TimedOut
//!              │ no
//!              ▼
//!        enqueue waiter, unlock, park(deadline)
//!              │ woken / timed out / killed
//!              └──► (guard dequeues; a notification it swallowed is passed on)
//! ```
//!
//! Nothing here yields while holding a primitive's mutex: not parking, and
//! not dropping a waiter either (dropping may's park can yield).
//!
//! A wake-up is a hint, never a hand-over: the woken caller re-polls. That is
//! what makes timeouts and kills race-free: a waiter that leaves after being
//! notified passes the notification to the next waiter in its guard's `Drop`,
//! which also runs when a kill unwinds the greenlet out of `park`.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use crate::time::park::Wait;
use crate::time::{timer, Deadline};

/// One parked caller, for one wait (see `time::park` for why each wait is
/// its own).
type Waiter = Wait;

/// Wakes a waiter. The notifier's reference is not dropped here but after
/// the lock is released (see `StateGuard`): if it is the last one, its drop
/// can wait for may's park bookkeeping, and in a greenlet that yields.
fn wake(w: Arc<Waiter>) {
    w.notified.store(true, Ordering::Release);
    w.unpark();
    SPENT.with(|spent| spent.borrow_mut().push(w));
    ANY_SPENT.set(true);
}

thread_local! {
    /// Waiters woken under a lock on this thread, dropped once it is
    /// released. Touched only between yields.
    static SPENT: RefCell<Vec<Arc<Waiter>>> = const { RefCell::new(Vec::new()) };
    /// Whether `SPENT` may hold anything: a plain flag (no destructor, so
    /// no lazy registration on access) that lets the common unlock, after
    /// which nobody was woken, skip `SPENT` altogether.
    static ANY_SPENT: Cell<bool> = const { Cell::new(false) };
}

/// FIFO of parked callers, kept inside a primitive's mutex.
#[derive(Default)]
pub(crate) struct WaitQueue {
    waiters: VecDeque<Arc<Waiter>>,
}

impl WaitQueue {
    pub(crate) const fn new() -> WaitQueue {
        WaitQueue {
            waiters: VecDeque::new(),
        }
    }

    /// Wakes the longest-waiting caller; false when nobody waits.
    pub(crate) fn notify_one(&mut self) -> bool {
        match self.waiters.pop_front() {
            Some(w) => {
                wake(w);
                true
            }
            None => false,
        }
    }

    /// Wakes every caller.
    pub(crate) fn notify_all(&mut self) {
        for w in self.waiters.drain(..) {
            wake(w);
        }
    }

    fn remove(&mut self, w: &Arc<Waiter>) -> bool {
        match self.waiters.iter().position(|x| Arc::ptr_eq(x, w)) {
            Some(i) => {
                self.waiters.remove(i);
                true
            }
            None => false,
        }
    }
}

/// Why a wait ended without a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WaitError {
    /// The call's own deadline or the greenlet's `Timeout` passed.
    TimedOut,
}

/// Locks a primitive's state, ignoring poisoning: greenline never panics
/// while holding one of these locks, and a user panic cannot happen inside.
pub(crate) fn lock<S>(m: &Mutex<S>) -> StateGuard<'_, S> {
    StateGuard {
        guard: m.lock().unwrap_or_else(|e| e.into_inner()),
        _then: DropSpent,
    }
}

/// A primitive's locked state. Dropping it unlocks first, then drops the
/// waiters woken meanwhile, so nothing that can yield runs under the lock.
///
/// The order is the fields' drop order: `guard` (the unlock), then
/// `_then`. No `Drop` of its own and no `Option` to take, so the common
/// unlock, after which nobody was woken, inlines into the caller as the
/// mutex's release and one thread-local read.
pub(crate) struct StateGuard<'a, S> {
    guard: MutexGuard<'a, S>,
    _then: DropSpent,
}

impl<S> Deref for StateGuard<'_, S> {
    type Target = S;
    fn deref(&self) -> &S {
        &self.guard
    }
}

impl<S> DerefMut for StateGuard<'_, S> {
    fn deref_mut(&mut self) -> &mut S {
        &mut self.guard
    }
}

/// Dropped right after a [`StateGuard`]'s mutex guard (see there).
struct DropSpent;

impl Drop for DropSpent {
    #[inline]
    fn drop(&mut self) {
        if ANY_SPENT.get() {
            drop_spent();
        }
    }
}

/// Drops the waiters woken under a lock this thread just released.
#[cold]
#[inline(never)]
fn drop_spent() {
    ANY_SPENT.set(false);
    let spent = SPENT.with(|spent| std::mem::take(&mut *spent.borrow_mut()));
    drop(spent);
}

/// Waits until `poll` returns `Some`, or the deadline passes.
///
/// `poll` runs with the lock held; `queue` selects the wait queue inside the
/// state that notifiers of this condition wake. The effective deadline is the
/// earlier of `deadline` and the calling greenlet's [`crate::Timeout`].
pub(crate) fn wait_while<S, R>(
    state: &Mutex<S>,
    deadline: Option<Instant>,
    what: &'static str,
    mut poll: impl FnMut(&mut S) -> Option<R>,
    queue: impl Fn(&mut S) -> &mut WaitQueue,
) -> Result<R, WaitError> {
    let deadline = Deadline::effective(deadline).clock();
    let mut guard = lock(state);
    loop {
        if let Some(r) = poll(&mut guard) {
            return Ok(r);
        }
        // Checked after the poll: a value that arrived with the deadline
        // is taken. A wait never ends before its deadline.
        if deadline != timer::NONE && timer::passed(deadline) {
            return Err(WaitError::TimedOut);
        }
        let waiter = Waiter::new();
        queue(&mut guard).waiters.push_back(waiter.clone());
        drop(guard);
        {
            let leave = Leave {
                state,
                queue: &queue,
                waiter: &waiter,
            };
            let ticket = crate::greenlet::enter_wait(what);
            waiter.park(deadline);
            crate::greenlet::leave_wait(ticket);
            drop(leave);
        }
        // Drop the waiter before taking the lock again: a greenlet must
        // never yield while it holds a primitive's std mutex (others would
        // block their worker threads on it, with the holder queued behind
        // them), and dropping a wait can yield (it waits for may's park
        // bookkeeping: see `time::park`).
        drop(waiter);
        guard = lock(state);
    }
}

/// Dequeues a waiter that stops waiting, on every exit path including the
/// unwind of a killed greenlet; forwards a notification it swallowed.
struct Leave<'a, S, Q: Fn(&mut S) -> &mut WaitQueue> {
    state: &'a Mutex<S>,
    queue: &'a Q,
    waiter: &'a Arc<Waiter>,
}

impl<S, Q: Fn(&mut S) -> &mut WaitQueue> Drop for Leave<'_, S, Q> {
    fn drop(&mut self) {
        let mut guard = lock(self.state);
        let q = (self.queue)(&mut guard);
        if !q.remove(self.waiter)
            && self.waiter.notified.load(Ordering::Acquire)
            && std::thread::panicking()
        {
            // Killed right after being notified: the wake-up was meant for
            // somebody still waiting.
            q.notify_one();
        }
    }
}
