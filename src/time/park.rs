//! Where a greenline caller waits: one [`Parker`] per greenlet (and per
//! plain thread), reused by every wait it makes.
//!
//! A parker is a may `Blocker` (a greenlet yields to its worker, a thread
//! blocks on a condvar) plus an [`Alarm`] on greenline's timer thread. A
//! greenlet parks with no may timeout at all: its deadline goes to the
//! alarm, and the timer thread unparks it when the deadline passes, the way
//! any notifier would. may's unpark is race-free against a park still
//! under way (the blocker keeps the wake-up for it), which may's own timers
//! are not (see `timer`). A thread parks with a timed condvar wait, which
//! involves no may timer either.
//!
//! Wake-ups are hints. A notifier that woke a wait after it had already
//! ended (timed out, say) leaves the wake-up for the same parker's next
//! wait, which then returns early; every caller re-checks its condition
//! and the time, and parks again.

use std::cell::RefCell;
use std::sync::{Arc, Mutex};

use may::sync::Blocker;

use super::timer::{self, Alarm, Wake, NONE};

/// A greenlet's or thread's place to wait (see the module docs).
pub(crate) struct Parker {
    /// Holds the blocker (`Wake::Park`) the timer thread unparks.
    alarm: Alarm,
    /// Made in a greenlet (it parks greenlets), not on a thread.
    greenlet: bool,
}

/// The parker in a greenlet's (or thread's) local storage.
struct Local(RefCell<Option<Arc<Parker>>>);

may::coroutine_local!(static PARKER: Local = Local(RefCell::new(None)));

/// The calling greenlet's parker (or the calling thread's).
pub(crate) fn current() -> Arc<Parker> {
    PARKER.with(|l| {
        Arc::clone(l.0.borrow_mut().get_or_insert_with(|| {
            if may::coroutine::is_coroutine() {
                if let Some(p) = lock_pool().pop() {
                    return p;
                }
            }
            Arc::new(Parker::new())
        }))
    })
}

/// Greenlets' parkers kept for reuse, at most this many.
const POOL_MAX: usize = 1024;

/// Parkers of finished greenlets, for the next greenlets to wait on.
///
/// A finished greenlet's parker is never dropped where its greenlet ends.
/// may's park, when a wake-up came before the park finished, resumes the
/// greenlet from inside the park's bookkeeping on the worker; the greenlet
/// can run to its end there, and may then frees the coroutine, with its
/// local storage, still inside that bookkeeping. Dropping the park then
/// would wait for the bookkeeping to finish, on the thread that is doing
/// it: for ever. Reusing it is safe (a park waits for earlier bookkeeping
/// before parking again), and a wake-up left in it is a hint its next
/// owner re-checks. Past the pool's bound, the timer thread drops them.
static POOL: Mutex<Vec<Arc<Parker>>> = Mutex::new(Vec::new());

fn lock_pool() -> std::sync::MutexGuard<'static, Vec<Arc<Parker>>> {
    POOL.lock().unwrap_or_else(|e| e.into_inner())
}

impl Drop for Local {
    fn drop(&mut self) {
        let Some(p) = self.0.get_mut().take() else {
            return;
        };
        if !p.greenlet {
            return;
        }
        let mut pool = lock_pool();
        if pool.len() < POOL_MAX {
            pool.push(p);
        } else {
            drop(pool);
            super::timer::retire(Box::new(p));
        }
    }
}

impl Parker {
    /// A parker for the calling context: made inside a greenlet, it parks
    /// greenlets; made on a thread, it parks threads.
    fn new() -> Parker {
        Parker {
            // Not ignoring cancellation: a killed greenlet unwinds out of
            // its park.
            alarm: Alarm::new(Wake::Park(Blocker::new(false))),
            greenlet: may::coroutine::is_coroutine(),
        }
    }

    fn blocker(&self) -> &Blocker {
        self.alarm
            .blocker()
            .expect("a parker's alarm wakes its blocker")
    }

    /// Wakes the owner's current or next wait.
    pub(crate) fn unpark(&self) {
        self.blocker().unpark();
    }

    /// Waits until unparked or until `deadline` (monotonic nanoseconds,
    /// [`NONE`] for none) passes. It may also return early, for a wake-up
    /// meant for an earlier wait: callers re-check what they wait for.
    ///
    /// A greenlet killed while parked unwinds out of here.
    pub(crate) fn park(&self, deadline: u64) {
        if !may::coroutine::is_coroutine() {
            let left = (deadline != NONE).then(|| timer::left(deadline));
            let _ = self.blocker().park(left);
            return;
        }
        let _clear = ClearAlarm(&self.alarm);
        self.alarm.set(deadline);
        let _ = self.blocker().park(None);
    }

    /// Leaves the worker for its inbox, through the timer thread: see
    /// `time::yield_now`. Greenlets only.
    ///
    /// If the timer thread is quicker than this greenlet's way into its
    /// park, the park finds the wake-up already there and does not yield;
    /// the next fairness point then does.
    pub(crate) fn hand_back(&self) {
        self.alarm.hand_back();
        // A wake-up left by an earlier wait ends a park early: park until
        // the hand-back's own wake-up has come.
        loop {
            let _ = self.blocker().park(None);
            if !self.alarm.handed_back() {
                break;
            }
        }
    }
}

/// Clears a parker's deadline when its wait ends, by any path.
struct ClearAlarm<'a>(&'a Alarm);

impl Drop for ClearAlarm<'_> {
    fn drop(&mut self) {
        self.0.clear();
    }
}
