//! Where a greenline caller waits: a [`Wait`] per wait, on a may
//! `Blocker` (a greenlet yields to its worker, a thread blocks on a
//! condvar), and greenline's timer thread for its deadline.
//!
//! A greenlet parks with no may timeout at all: its deadline goes to the
//! [`Alarm`] of its [`Parker`] (one per greenlet, reused by its waits),
//! and the timer thread unparks the greenlet's current wait when the
//! deadline passes, the way any notifier would. A thread parks with a
//! timed condvar wait, which involves no may timer either.
//!
//! # Why a wait's blocker is never dropped in a greenlet
//!
//! may's park publishes the parked coroutine (so a notifier on another
//! thread can take and resume it) before it has finished its own
//! bookkeeping on the worker, which still writes to the coroutine's cancel
//! data and to the park itself. A greenlet woken at once can run on
//! another worker while that bookkeeping runs (`docs/may-defects.md`).
//! AddressSanitizer caught two ways this freed memory under the stress
//! tests:
//!
//! - the greenlet finished and its coroutine (with its cancel data) was
//!   freed: so a [`Wait`] holds a handle to its greenlet's coroutine,
//!   released only after the blocker;
//! - the blocker was dropped by a greenlet that had just been killed: may's
//!   park waits in its drop, yielding, for the bookkeeping to end, and a
//!   yield in a killed greenlet raises may's cancel panic, which ends the
//!   drop and frees the park under the bookkeeping's feet.
//!
//! So a wait's blocker lives in an allocation of its own, and a wait whose
//! last reference goes in a greenlet hands the blocker and the handle to
//! greenline's timer thread, a batch at a time, to drop where the drop may
//! wait without yielding. (A drop inside may's own bookkeeping, where a
//! finished coroutine's local storage is freed, would also wait for itself
//! for ever; nothing here lives in local storage across a wait.)
//!
//! Wake-ups are hints. A notifier or timer may wake a wait that has
//! already ended (and then wakes nobody), or, through the greenlet's
//! parker, a later wait of the same greenlet; every caller re-checks its
//! condition and the time, and parks again.

use std::cell::RefCell;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use may::coroutine::Coroutine;
use may::sync::Blocker;

use super::timer::{self, Alarm, Unpark, Wake, NONE};

/// One wait of a greenlet or thread (see the module docs).
pub(crate) struct Wait {
    /// Taken only by `drop`.
    parts: Option<Parts>,
    /// Set by a notifier before it unparks, so a waiter that times out at
    /// the same moment knows it swallowed a notification.
    pub(crate) notified: AtomicBool,
}

/// What a wait hands over to be dropped off the greenlets.
pub(crate) struct Parts {
    /// Dropped first: its drop waits until may's park bookkeeping on it is
    /// done. Boxed, so the park stays where may's bookkeeping points while
    /// the parts move.
    blocker: Box<Blocker>,
    /// The greenlet's coroutine, kept alive while may may still touch it.
    _owner: Option<Coroutine>,
}

impl Wait {
    /// A wait for the calling greenlet or thread.
    pub(crate) fn new() -> Arc<Wait> {
        let greenlet = may::coroutine::is_coroutine();
        Arc::new(Wait {
            parts: Some(Parts {
                // Not ignoring cancellation: a killed greenlet unwinds out
                // of its park.
                blocker: Box::new(Blocker::new(false)),
                _owner: greenlet.then(may::coroutine::current),
            }),
            notified: AtomicBool::new(false),
        })
    }

    #[inline]
    fn blocker(&self) -> &Blocker {
        &self.parts.as_ref().expect("taken only by drop").blocker
    }

    /// Wakes the wait (or the park that follows, if it has not started).
    pub(crate) fn unpark(&self) {
        self.blocker().unpark();
    }

    /// Parks until unparked or until `deadline` (monotonic nanoseconds,
    /// [`NONE`] for none) passes. It may also return early: callers
    /// re-check what they wait for.
    ///
    /// A greenlet killed while parked unwinds out of here.
    pub(crate) fn park(self: &Arc<Self>, deadline: u64) {
        if !may::coroutine::is_coroutine() {
            let left = (deadline != NONE).then(|| timer::left(deadline));
            let _ = self.blocker().park(left);
            return;
        }
        if deadline == NONE {
            let _ = self.blocker().park(None);
            return;
        }
        let parker = current();
        let _disarm = parker.arm(self, deadline);
        let _ = self.blocker().park(None);
    }

    /// Leaves the worker for its inbox, through the timer thread: see
    /// `time::yield_now`. Greenlets only.
    ///
    /// If the timer thread is quicker than this greenlet's way into its
    /// park, the park finds the wake-up already there and does not yield;
    /// the next fairness point then does.
    pub(crate) fn hand_back(self: &Arc<Self>) {
        let parker = current();
        let _disarm = parker.arm(self, NONE);
        parker.alarm.hand_back();
        // A wake-up left by an earlier wait ends a park early: park until
        // the hand-back's own wake-up has come.
        loop {
            let _ = self.blocker().park(None);
            if !parker.alarm.handed_back() {
                break;
            }
        }
    }
}

impl Drop for Wait {
    fn drop(&mut self) {
        let Some(parts) = self.parts.take() else {
            return;
        };
        if parts._owner.is_some() && may::coroutine::is_coroutine() {
            retire(parts);
        }
    }
}

/// Waits retired on this thread, handed to the timer thread a batch at a
/// time. Touched only between yields. Each hand-over wakes the timer
/// thread, a cross-thread wake-up that costs microseconds here: at 64 a
/// batch it was a third of a greenlet queue ping-pong's cost; at 1024 it
/// is a few nanoseconds a wait, for at most 1024 small parts (a boxed
/// blocker and a coroutine handle, 100-odd bytes) held per worker.
const RETIRE_BATCH: usize = 1024;

thread_local! {
    static RETIRED: RefCell<Vec<Parts>> = const { RefCell::new(Vec::new()) };
}

/// Keeps `parts` for the timer thread to drop (see the module docs).
fn retire(parts: Parts) {
    RETIRED.with(|r| {
        let mut r = r.borrow_mut();
        r.push(parts);
        if r.len() >= RETIRE_BATCH {
            timer::retire(std::mem::take(&mut *r));
        }
    });
}

impl Unpark for Wait {
    fn unpark(&self) {
        Wait::unpark(self);
    }
}

/// A greenlet's (or thread's) deadline alarm, reused by all its waits.
pub(crate) struct Parker {
    /// Wakes the wait it is armed with.
    alarm: Alarm,
}

may::coroutine_local!(static PARKER: RefCell<Option<Arc<Parker>>> = RefCell::new(None));

/// The calling greenlet's parker (or the calling thread's).
fn current() -> Arc<Parker> {
    PARKER.with(|p| {
        Arc::clone(p.borrow_mut().get_or_insert_with(|| {
            Arc::new(Parker {
                alarm: Alarm::new(Wake::current()),
            })
        }))
    })
}

impl Parker {
    /// Has the alarm wake `wait` at `deadline` until the guard is dropped.
    fn arm<'a>(&'a self, wait: &Arc<Wait>, deadline: u64) -> Disarm<'a> {
        self.alarm
            .set_current(Some(wait.clone() as Arc<dyn Unpark>));
        self.alarm.set(deadline);
        Disarm(&self.alarm)
    }
}

/// Clears a parker's deadline and wait when the wait ends, by any path.
struct Disarm<'a>(&'a Alarm);

impl Drop for Disarm<'_> {
    fn drop(&mut self) {
        self.0.clear();
        self.0.set_current(None);
    }
}
