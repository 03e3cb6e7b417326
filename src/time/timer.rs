//! greenline's timer: one thread that wakes waiters when their deadlines
//! pass, so that nothing greenline does hands may a timer.
//!
//! may has two timer paths, and both can fire before the coroutine they
//! are for has finished parking: its sleep gives the coroutine to the timer
//! thread before it registers the coroutine's cancel data (the timer thread
//! resumes the coroutine in place, which can finish and free itself while
//! the worker still writes to it), and a park with a timeout queues its
//! timer before it stores the coroutine to wake (a timer firing first wakes
//! nobody, and the park waits forever). `docs/may-defects.md` has the
//! reproductions. greenline therefore parks without a may timeout and keeps
//! every deadline here; a waiter is woken the way any other thread would
//! wake it, through may's race-free unpark or a socket's event flag.
//!
//! Each waiter (a socket, or a greenlet's or thread's `park::Parker`) owns
//! one [`Alarm`]: it stores its deadline there before it waits and clears
//! it after; the thread, `greenline-timer`, wakes it once the deadline
//! passes, and the waiter, seeing its time is up, returns `TimedOut`.
//!
//! ```text
//!   waiter                                   timer thread
//!   set(d): deadline = d                     sleeps until the earliest entry
//!           queue an entry if it has none    entry due: deadline later? queue it again
//!           at or before d                              deadline passed? wake the waiter
//!   wait ◀──────────────── woken by its event, a notifier, or the thread
//!   clear(): deadline = none                            no deadline? drop the entry
//! ```
//!
//! Setting and clearing are an atomic store each in the steady state: the
//! queue holds one entry per alarm, due at or before its deadline, and an
//! alarm that waits again with a later deadline (a keep-alive connection
//! after each request, a greenlet sleeping in a loop) leaves its entry
//! alone; when the entry comes due the thread sees the later deadline and
//! queues it again. An alarm takes the queue's lock only when it has no
//! entry or needs an earlier one.
//!
//! The thread also hands greenlets straight back to the workers
//! ([`Alarm::hand_back`]): a way out of a worker's local run queue and into
//! a worker's inbox, which `yield_now` falls back to when it cannot wait
//! for a poll (see `time::gate`).
//!
//! Times are monotonic-clock nanoseconds (`sys::clock::monotonic_clock`, as
//! `Instant`), read by the waiter when it sets a deadline and when a wait
//! ends without its event, and by the thread each time it wakes: a wait
//! never ends early, and ends the thread's wake-up latency (tens of
//! microseconds) after its time. (The coarse clock, a few nanoseconds
//! cheaper, lags by a tick or more, up to 4 ms late; a waiter comparing
//! with it would also spin on wake-ups the thread sent by the precise one.)
//!
//! The thread never runs user code: waking a waiter only queues it on a
//! worker. The watchdog (`time::watchdog`) reads [`overdue`] to tell a
//! stuck or dead timer thread from a quiet one.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::Ordering::{Relaxed, Release, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use may::io::WaitIoWaker;

use super::park::Parts;

/// No deadline (not waiting), or no entry queued.
pub(crate) const NONE: u64 = u64::MAX;

/// Something parked that the timer thread can wake.
pub(crate) trait Unpark: Send + Sync {
    /// Wakes it (a hint: it re-checks what it waits for).
    fn unpark(&self);
}

/// What the timer thread wakes when a deadline passes.
pub(crate) enum Wake {
    /// A greenlet waiting for a socket's event, through may's event flag.
    Io(WaitIoWaker),
    /// Whatever wait its owner is in now (see `park::Parker`): set before
    /// each wait and cleared after it.
    Current(Mutex<Option<Arc<dyn Unpark>>>),
}

impl Wake {
    /// A wake for the waits of one greenlet or thread, set one at a time.
    pub(crate) fn current() -> Wake {
        Wake::Current(Mutex::new(None))
    }

    fn wake(&self) {
        match self {
            Wake::Io(w) => w.wakeup(),
            Wake::Current(current) => {
                // Taken out of the lock first: waking may drop the last
                // reference to a wait, and that drop can wait.
                let target = current
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone();
                if let Some(t) = target {
                    t.unpark();
                }
            }
        }
    }
}

/// One waiter's deadline, watched by the timer thread.
pub(crate) struct Alarm {
    slot: Arc<Slot>,
}

struct Slot {
    /// When the waiter's time is up; `NONE` while it is not waiting.
    deadline: AtomicU64,
    /// When this slot's entry in the queue comes due; `NONE` without one.
    /// Changed only under the queue's lock.
    queued: AtomicU64,
    /// Handed back (see [`hand_back`]) and not yet woken for it.
    handed_back: AtomicBool,
    wake: Wake,
}

/// The deadline for a wait of `timeout` starting now; a timeout too long
/// to represent is no deadline at all ([`NONE`]). (From the precise clock:
/// the coarse one can lag it by more than its tick, since a tickless
/// kernel skips ticks while idle, which would make the deadline early.)
pub(crate) fn deadline_after(timeout: Duration) -> u64 {
    let now = crate::sys::clock::monotonic_clock();
    match u64::try_from(timeout.as_nanos()) {
        Ok(t) => now.checked_add(t).unwrap_or(NONE),
        Err(_) => NONE,
    }
}

/// The time from now until `deadline` (zero once passed).
pub(crate) fn left(deadline: u64) -> Duration {
    Duration::from_nanos(deadline.saturating_sub(crate::sys::clock::monotonic_clock()))
}

/// Whether `deadline` has passed.
pub(crate) fn passed(deadline: u64) -> bool {
    crate::sys::clock::monotonic_clock() >= deadline
}

impl Alarm {
    /// An alarm that wakes its waiter through `wake`.
    pub(crate) fn new(wake: Wake) -> Alarm {
        Alarm {
            slot: Arc::new(Slot {
                deadline: AtomicU64::new(NONE),
                queued: AtomicU64::new(NONE),
                handed_back: AtomicBool::new(false),
                wake,
            }),
        }
    }

    /// Sets what a [`Wake::Current`] alarm wakes (`None`: nothing).
    pub(crate) fn set_current(&self, target: Option<Arc<dyn Unpark>>) {
        if let Wake::Current(current) = &self.slot.wake {
            let old = std::mem::replace(
                &mut *current.lock().unwrap_or_else(PoisonError::into_inner),
                target,
            );
            // Dropped outside the lock (see `Wake::wake`).
            drop(old);
        }
    }

    /// Wakes the waiter once `deadline` passes, unless cleared first.
    ///
    /// A wake-up with nobody waiting is left for the next wait (a socket's
    /// event flag stays set, a blocker stays unparked), which returns at
    /// once and looks at the time: every waiter treats a wake-up as a hint.
    pub(crate) fn set(&self, deadline: u64) {
        if deadline == NONE {
            return self.clear();
        }
        let slot = &self.slot;
        slot.deadline.store(deadline, SeqCst);
        // The thread, settling this slot's entry, stores `queued` and then
        // reads `deadline`; we store `deadline` and then read `queued`. So
        // either it sees our deadline or we see what it queued.
        if slot.queued.load(SeqCst) > deadline {
            clock().queue(slot, deadline);
        }
    }

    /// No deadline until the next `set`.
    pub(crate) fn clear(&self) {
        // Release, not SeqCst (a full fence on x86, once per wait): the
        // thread seeing the old deadline a little longer only wakes the
        // waiter early, and a wait woken early looks at the time.
        self.slot.deadline.store(NONE, Release);
    }

    /// Has the thread wake this alarm's waiter as soon as it can, whatever
    /// the deadline: a way out of a worker's local run queue, for
    /// `yield_now` when it cannot wait for a poll (a wake-up from a thread
    /// that is not a worker goes to a worker's inbox).
    pub(crate) fn hand_back(&self) {
        self.slot.handed_back.store(true, SeqCst);
        clock().hand_back(&self.slot);
    }

    /// Whether a [`hand_back`](Self::hand_back) waits for its wake-up.
    pub(crate) fn handed_back(&self) -> bool {
        self.slot.handed_back.load(SeqCst)
    }
}

impl Drop for Alarm {
    fn drop(&mut self) {
        // The queue may still hold the slot; the thread drops it when due.
        self.clear();
    }
}

impl fmt::Debug for Alarm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Alarm")
            .field("deadline", &self.slot.deadline.load(SeqCst))
            .finish()
    }
}

/// Drops a batch of waits on the timer thread, soon (see `park::Wait`).
pub(crate) fn retire(batch: Vec<Parts>) {
    clock().retire(batch);
}

/// How far past its time the earliest queued entry is, if the timer thread
/// is late with it (`None` when nothing is due or the thread never
/// started). A healthy thread is late by its wake-up latency; seconds mean
/// it is stuck or gone.
pub(crate) fn overdue() -> Option<Duration> {
    let clock = CLOCK.get()?;
    let due = clock.next_due.load(Relaxed);
    if due == NONE {
        return None;
    }
    let now = crate::sys::clock::monotonic_clock();
    (now > due).then(|| Duration::from_nanos(now - due))
}

/// Whether the timer thread has ended (it never returns; only a panic in
/// may's wake-up path could end it, and the loop catches those).
pub(crate) fn thread_ended() -> bool {
    THREAD.get().is_some_and(|t| {
        t.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_finished()
    })
}

/// The queue and the thread that serves it.
struct Clock {
    queue: Mutex<Queue>,
    /// Signalled when an entry earlier than the thread's wake-up is queued,
    /// or a slot is handed back.
    earlier: Condvar,
    /// The earliest entry's time, for the watchdog (`NONE`: no entry).
    next_due: AtomicU64,
}

struct Queue {
    entries: BinaryHeap<Reverse<Entry>>,
    /// Waits to drop here, off the greenlets (see `park::Wait`).
    retired: Vec<Vec<Parts>>,
    /// Slots to wake at once (see `hand_back`).
    handed_back: Vec<Arc<Slot>>,
    /// When the thread will next look at the queue (`NONE`: when signalled).
    wake_at: u64,
}

struct Entry {
    at: u64,
    slot: Arc<Slot>,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Entry) -> bool {
        self.at == other.at
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Entry) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Entry) -> Ordering {
        self.at.cmp(&other.at)
    }
}

static CLOCK: OnceLock<Clock> = OnceLock::new();
static THREAD: OnceLock<Mutex<std::thread::JoinHandle<()>>> = OnceLock::new();

/// The process's timer thread, started on first use.
fn clock() -> &'static Clock {
    if let Some(c) = CLOCK.get() {
        return c;
    }
    let mut started = false;
    let clock = CLOCK.get_or_init(|| {
        started = true;
        Clock {
            queue: Mutex::new(Queue {
                entries: BinaryHeap::new(),
                retired: Vec::new(),
                handed_back: Vec::new(),
                wake_at: NONE,
            }),
            earlier: Condvar::new(),
            next_due: AtomicU64::new(NONE),
        }
    });
    if started {
        let handle = std::thread::Builder::new()
            .name("greenline-timer".into())
            .spawn(move || clock.run())
            // Without the thread no timeout would ever fire.
            .expect("greenline could not start its timer thread");
        let _ = THREAD.set(Mutex::new(handle));
    }
    clock
}

impl Clock {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Nothing panics while holding the lock; a poisoned queue is whole.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `slot` at `at` unless it has an entry due by then.
    fn queue(&self, slot: &Arc<Slot>, at: u64) {
        let mut q = self.lock();
        if slot.queued.load(SeqCst) <= at {
            return;
        }
        // An entry already queued for a later time stays, and is dropped
        // when it comes due (its time is no longer the slot's `queued`).
        q.push(slot, at);
        if at < q.wake_at {
            q.wake_at = at;
            self.next_due.store(at, Relaxed);
            self.earlier.notify_one();
        }
    }

    fn retire(&self, batch: Vec<Parts>) {
        let mut q = self.lock();
        q.retired.push(batch);
        if q.retired.len() == 1 {
            self.earlier.notify_one();
        }
    }

    fn hand_back(&self, slot: &Arc<Slot>) {
        let mut q = self.lock();
        q.handed_back.push(Arc::clone(slot));
        if q.handed_back.len() == 1 {
            self.earlier.notify_one();
        }
    }

    fn run(&self) {
        let mut due = Vec::new();
        loop {
            // may's wake-up path is not expected to panic; if it ever does,
            // the thread goes on (every deadline in the process depends on
            // it) and says so.
            let r = panic::catch_unwind(AssertUnwindSafe(|| self.serve(&mut due)));
            if r.is_err() {
                eprintln!(
                    "greenline: the timer thread caught a panic while waking a waiter; it goes on"
                );
                due.clear();
            }
        }
    }

    /// Wakes what is due, then sleeps until the next entry or a signal.
    fn serve(&self, due: &mut Vec<Arc<Slot>>) {
        let mut q = self.lock();
        if !q.retired.is_empty() {
            // Dropped outside the lock: a drop can wait for may's park
            // bookkeeping on a worker.
            let retired = std::mem::take(&mut q.retired);
            drop(q);
            drop(retired);
            return;
        }
        let now = crate::sys::clock::monotonic_clock();
        due.append(&mut q.handed_back);
        while q.entries.peek().is_some_and(|e| e.0.at <= now) {
            let Some(Reverse(entry)) = q.entries.pop() else {
                break;
            };
            if entry.slot.queued.load(SeqCst) == entry.at && q.settle(&entry.slot, now) {
                due.push(entry.slot);
            }
        }
        q.wake_at = q.entries.peek().map_or(NONE, |e| e.0.at);
        self.next_due.store(q.wake_at, Relaxed);
        if !due.is_empty() {
            // Woken outside the lock: an unpark from this thread goes to
            // a worker's inbox and writes its eventfd, a system call.
            drop(q);
            for slot in due.drain(..) {
                slot.handed_back.store(false, SeqCst);
                slot.wake.wake();
            }
            return;
        }
        if q.wake_at == NONE {
            drop(self.earlier.wait(q).unwrap_or_else(PoisonError::into_inner));
        } else {
            let sleep = Duration::from_nanos(q.wake_at.saturating_sub(now).max(1));
            drop(
                self.earlier
                    .wait_timeout(q, sleep)
                    .unwrap_or_else(PoisonError::into_inner),
            );
        }
    }
}

impl Queue {
    fn push(&mut self, slot: &Arc<Slot>, at: u64) {
        slot.queued.store(at, SeqCst);
        self.entries.push(Reverse(Entry {
            at,
            slot: Arc::clone(slot),
        }));
    }

    /// Handles a slot whose entry came due: true when its waiter is to be
    /// woken (the deadline passed); otherwise queues it again if the
    /// deadline moved later, or drops it if nothing waits.
    fn settle(&mut self, slot: &Arc<Slot>, now: u64) -> bool {
        slot.queued.store(NONE, SeqCst);
        let mut deadline = slot.deadline.load(SeqCst);
        if deadline == NONE {
            // A `set` from now on sees no entry and queues one itself.
            return false;
        }
        if deadline <= now {
            return true;
        }
        loop {
            self.push(slot, deadline);
            // A `set` that read the old `queued` before we stored it may
            // have asked for an earlier time than we just queued.
            let again = slot.deadline.load(SeqCst);
            if again >= deadline {
                return false;
            }
            deadline = again;
        }
    }
}
