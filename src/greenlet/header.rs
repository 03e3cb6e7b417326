//! The part of a greenlet that does not depend on its value type: identity,
//! completion, kill requests, links, and what it is blocked on.
//!
//! `Group`, `joinall`, the test harness and the blocking monitor all work on
//! headers, so they handle greenlets of any value type.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Instant;

use crate::sync::waiter::{self, WaitError, WaitQueue};

use super::GreenletError;

/// How a greenlet ended, as link callbacks see it.
pub(crate) type Outcome = Result<(), GreenletError>;
type Link = Box<dyn FnOnce(Outcome) + Send>;

pub(crate) struct Header {
    pub(crate) id: u64,
    pub(crate) name: Option<String>,
    /// The test-harness scope this greenlet belongs to (0: none); children
    /// inherit their parent's.
    pub(crate) scope: u64,
    state: Mutex<State>,
    /// Set by `kill`; checked before the body starts so it never runs.
    kill_requested: AtomicBool,
    /// may's handle, set right after spawning; used to cancel the coroutine.
    coroutine: OnceLock<may::coroutine::JoinHandle<()>>,
    /// What the greenlet is parked in, while instrumentation is on.
    waiting_on: Mutex<Option<&'static str>>,
}

struct State {
    /// `Some` once the greenlet has finished.
    outcome: Option<Outcome>,
    /// Callers of `join`/`wait`.
    waiters: WaitQueue,
    links: Vec<Link>,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl Header {
    pub(crate) fn new(name: Option<String>, scope: Option<u64>) -> Arc<Header> {
        let tracked = TRACKED.load(Ordering::Relaxed) > 0;
        let scope = match scope {
            Some(s) => s,
            None if tracked => super::current().map_or(0, |parent| parent.scope),
            None => 0,
        };
        let h = Arc::new(Header {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            name,
            scope,
            state: Mutex::new(State {
                outcome: None,
                waiters: WaitQueue::new(),
                links: Vec::new(),
            }),
            kill_requested: AtomicBool::new(false),
            coroutine: OnceLock::new(),
            waiting_on: Mutex::new(None),
        });
        if tracked && scope != 0 {
            waiter::lock(&REGISTRY).insert(h.id, Arc::downgrade(&h));
        }
        h
    }

    /// The name used in errors and reports.
    pub(crate) fn label(&self) -> String {
        match &self.name {
            Some(n) => n.clone(),
            None => format!("greenlet#{}", self.id),
        }
    }

    pub(crate) fn set_coroutine(&self, handle: may::coroutine::JoinHandle<()>) {
        let _ = self.coroutine.set(handle);
        if self.kill_requested.load(Ordering::SeqCst) && !self.is_done() {
            crate::sys::coroutine::cancel(self.coroutine.get().expect("just set").coroutine());
        }
    }

    pub(crate) fn kill_requested(&self) -> bool {
        self.kill_requested.load(Ordering::SeqCst)
    }

    /// Asks the greenlet to die at its next yield point (or before it starts).
    pub(crate) fn request_kill(&self) {
        if self.is_done() || self.kill_requested.swap(true, Ordering::SeqCst) {
            return;
        }
        // Counted before the cancel that wakes the greenlet, so the woken
        // greenlet sees it (see `kills_pending`).
        KILLS_PENDING.fetch_add(1, Ordering::SeqCst);
        if let Some(h) = self.coroutine.get() {
            crate::sys::coroutine::cancel(h.coroutine());
        }
    }

    pub(crate) fn is_done(&self) -> bool {
        waiter::lock(&self.state).outcome.is_some()
    }

    pub(crate) fn outcome(&self) -> Option<Outcome> {
        waiter::lock(&self.state).outcome.clone()
    }

    /// Waits until the greenlet has finished.
    pub(crate) fn wait(&self, deadline: Option<Instant>) -> Result<(), WaitError> {
        waiter::wait_while(
            &self.state,
            deadline,
            "join",
            |s| s.outcome.as_ref().map(|_| ()),
            |s| &mut s.waiters,
        )
    }

    /// Records the end, wakes joiners, and hands the links to a new greenlet.
    pub(crate) fn finish(&self, outcome: Outcome) {
        let live = LIVE.fetch_sub(1, Ordering::SeqCst) - 1;
        if live <= 1 && WAITING_FOR_ALL.load(Ordering::SeqCst) > 0 {
            waiter::lock(&ALL_DONE).notify_all();
        }
        if self.kill_requested() {
            KILLS_PENDING.fetch_sub(1, Ordering::SeqCst);
        }
        let links = {
            let mut s = waiter::lock(&self.state);
            s.outcome = Some(outcome.clone());
            s.waiters.notify_all();
            std::mem::take(&mut s.links)
        };
        if TRACKED.load(Ordering::Relaxed) > 0 {
            waiter::lock(&REGISTRY).remove(&self.id);
        }
        if !links.is_empty() {
            run_links(links, outcome);
        }
    }

    /// Adds a completion callback; runs it (in a new greenlet) right away if
    /// the greenlet has already finished.
    pub(crate) fn link(&self, f: Link) {
        let done = {
            let mut s = waiter::lock(&self.state);
            match &s.outcome {
                Some(o) => Some(o.clone()),
                None => {
                    s.links.push(f);
                    return;
                }
            }
        };
        if let Some(o) = done {
            run_links(vec![f], o);
        }
    }

    pub(crate) fn set_waiting_on(&self, what: Option<&'static str>) {
        *waiter::lock(&self.waiting_on) = what;
    }

    pub(crate) fn waiting_on(&self) -> Option<&'static str> {
        *waiter::lock(&self.waiting_on)
    }
}

/// Links run in a greenlet of their own, like gevent's (which run from the
/// hub): a killed greenlet may not yield again, and a slow callback must not
/// delay the joiners that were just woken.
fn run_links(links: Vec<Link>, outcome: Outcome) {
    let body = move || {
        for f in links {
            f(outcome.clone());
        }
    };
    crate::config::ensure_started();
    if let Err(e) =
        crate::sys::coroutine::spawn_coroutine(Some("greenline-links".into()), None, false, body)
    {
        log::error!("greenline: could not start link callbacks: {e}");
    }
}

// ---- Tracking of live greenlets (test harness) ------------------------------

/// While non-zero, every new greenlet is entered in `REGISTRY`.
/// Greenlets asked to die that have not finished (a hint: a finish racing
/// the request can leave it too high, never too low while a killed
/// greenlet runs).
static KILLS_PENDING: AtomicUsize = AtomicUsize::new(0);

/// Whether any greenlet may have a kill pending: when not, a wait that
/// must notice kills skips looking up its own greenlet.
#[inline]
pub(crate) fn kills_pending() -> bool {
    KILLS_PENDING.load(Ordering::Relaxed) != 0
}

/// Greenlets started and not finished.
static LIVE: AtomicUsize = AtomicUsize::new(0);
/// The most greenlets live at once since the watchdog last looked after a
/// flood (see `time::watchdog`).
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// Uncounts a greenlet whose spawn failed.
pub(crate) fn not_started() {
    LIVE.fetch_sub(1, Ordering::SeqCst);
}

/// Counts a greenlet being spawned (it ends with `Header::finish`).
pub(crate) fn started() {
    let n = LIVE.fetch_add(1, Ordering::Relaxed) + 1;
    if n > PEAK.load(Ordering::Relaxed) {
        PEAK.fetch_max(n, Ordering::Relaxed);
    }
}

/// Callers of [`wait_all`], woken when at most one greenlet is left (the
/// caller itself, when it is a greenlet).
static ALL_DONE: Mutex<WaitQueue> = Mutex::new(WaitQueue::new());
static WAITING_FOR_ALL: AtomicUsize = AtomicUsize::new(0);

/// Waits until every greenlet but the caller has finished, or `deadline`.
pub(crate) fn wait_all(deadline: Option<Instant>) -> Result<(), WaitError> {
    let own = usize::from(super::current().is_some());
    WAITING_FOR_ALL.fetch_add(1, Ordering::SeqCst);
    let r = waiter::wait_while(
        &ALL_DONE,
        deadline,
        "wait",
        |_| (LIVE.load(Ordering::SeqCst) <= own).then_some(()),
        |q| q,
    );
    WAITING_FOR_ALL.fetch_sub(1, Ordering::SeqCst);
    r
}

/// Greenlets live now, and the most live at once since the last
/// [`reset_peak`].
pub(crate) fn live_and_peak() -> (usize, usize) {
    (LIVE.load(Ordering::Relaxed), PEAK.load(Ordering::Relaxed))
}

/// Starts a new peak from `n`.
pub(crate) fn reset_peak(n: usize) {
    PEAK.store(n, Ordering::Relaxed);
}

static TRACKED: AtomicUsize = AtomicUsize::new(0);
static REGISTRY: Mutex<BTreeMap<u64, Weak<Header>>> = Mutex::new(BTreeMap::new());

/// Turns registration on for as long as the guard lives.
pub(crate) struct TrackGuard(());

pub(crate) fn track() -> TrackGuard {
    TRACKED.fetch_add(1, Ordering::SeqCst);
    crate::greenlet::refresh_instrumentation();
    TrackGuard(())
}

impl Drop for TrackGuard {
    fn drop(&mut self) {
        if TRACKED.fetch_sub(1, Ordering::SeqCst) == 1 {
            waiter::lock(&REGISTRY).clear();
        }
        crate::greenlet::refresh_instrumentation();
    }
}

pub(crate) fn tracking() -> bool {
    TRACKED.load(Ordering::Relaxed) > 0
}

/// The live greenlets of a harness scope, oldest first.
pub(crate) fn live(scope: u64) -> Vec<Arc<Header>> {
    let mut v: Vec<Arc<Header>> = waiter::lock(&REGISTRY)
        .values()
        .filter_map(Weak::upgrade)
        .filter(|h| h.scope == scope && !h.is_done())
        .collect();
    v.sort_by_key(|h| h.id);
    v
}
