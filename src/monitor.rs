//! The blocking detector: greenline's answer to "no monkey patching".
//!
//! gevent patches the standard library so that blocking calls yield; Rust
//! cannot, so a greenlet that calls `std::thread::sleep`, a blocking std
//! socket, a std lock under contention or a slow FFI function freezes its
//! worker, and with it every socket that worker's event loop owns. This
//! module finds such greenlets, in the spirit of gevent's monitor thread and
//! its `max_blocking_time`.
//!
//! # How it works
//!
//! Each OS thread that runs greenlets has a slot saying which greenlet it is
//! running and since when. A greenlet fills the slot when it starts or
//! resumes from a greenline blocking call, and empties it when it parks in
//! one. A monitor thread looks at the slots every quarter threshold; a slot
//! that has held the same greenlet for longer than the threshold is reported
//! once per episode: its id, name, thread and how long it has held the
//! worker so far.
//!
//! Only greenline's calls count as switches: a greenlet waiting inside a raw
//! `may` call looks busy to the monitor. The monitor is off unless started
//! ([`start`], [`crate::config::Config::max_blocking`], or
//! `GREENLINE_MAX_BLOCKING_MS`); when off, the cost is one relaxed atomic
//! load per blocking call.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! greenline::monitor::start(Duration::from_millis(50));
//! let g = greenline::spawn(|| std::thread::sleep(Duration::from_millis(200)));
//! g.join().unwrap(); // a report names this greenlet on stderr
//! greenline::monitor::stop();
//! ```

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::greenlet::header::Header;
use crate::sync::waiter::lock;

/// One blocking episode, as reported to the hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockingReport {
    /// The greenlet's id.
    pub greenlet_id: u64,
    /// The greenlet's name, or `greenlet#<id>`.
    pub greenlet: String,
    /// The OS thread it holds (may's workers are unnamed: its id).
    pub thread: String,
    /// How long it had held the thread without switching when reported.
    pub blocked_for: Duration,
}

type Hook = Arc<dyn Fn(&BlockingReport) + Send + Sync>;

static ENABLED: AtomicBool = AtomicBool::new(false);
/// Threshold in nanoseconds.
static THRESHOLD: AtomicU64 = AtomicU64::new(100_000_000);
static SLOTS: Mutex<Vec<Arc<Slot>>> = Mutex::new(Vec::new());
static HOOK: Mutex<Option<Hook>> = Mutex::new(None);
static THREAD_STARTED: OnceLock<()> = OnceLock::new();

/// What one OS thread is running.
struct Slot {
    thread: String,
    /// The greenlet holding the thread (0: none) and since when.
    running: Mutex<Option<(Arc<Header>, Instant)>>,
    /// The episode already reported, so each is reported once.
    reported: AtomicU64,
}

thread_local! {
    static SLOT: Arc<Slot> = {
        let slot = Arc::new(Slot {
            thread: format!("{:?}", std::thread::current().id()),
            running: Mutex::new(None),
            reported: AtomicU64::new(0),
        });
        lock(&SLOTS).push(slot.clone());
        slot
    };
}

/// Starts the monitor (or changes its threshold). Reports go to the hook set
/// with [`set_hook`], or to stderr.
pub fn start(threshold: Duration) {
    THRESHOLD.store(threshold.as_nanos().max(1) as u64, Ordering::Relaxed);
    ENABLED.store(true, Ordering::SeqCst);
    crate::greenlet::refresh_instrumentation();
    THREAD_STARTED.get_or_init(|| {
        std::thread::Builder::new()
            .name("greenline-monitor".into())
            .spawn(watch)
            .expect("spawn the greenline monitor thread");
    });
}

pub(crate) fn start_from_config(threshold: Duration) {
    start(threshold);
}

/// Stops reporting (the monitor thread idles until started again).
pub fn stop() {
    ENABLED.store(false, Ordering::SeqCst);
    crate::greenlet::refresh_instrumentation();
}

/// True while the monitor is reporting.
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// The greenlets holding a worker without yielding for longer than the
/// threshold right now (empty while the monitor is off). Unlike the hook,
/// which hears of an episode once, this says whether one is still going
/// on: the systemd watchdog withholds its pings while it is not empty.
pub fn stuck() -> Vec<BlockingReport> {
    if !enabled() {
        return Vec::new();
    }
    let threshold = Duration::from_nanos(THRESHOLD.load(Ordering::Relaxed));
    let slots: Vec<Arc<Slot>> = lock(&SLOTS).clone();
    let mut stuck = Vec::new();
    for slot in slots {
        if let Some((header, since)) = &*lock(&slot.running) {
            let held = since.elapsed();
            if held >= threshold {
                stuck.push(BlockingReport {
                    greenlet_id: header.id,
                    greenlet: header.label(),
                    thread: slot.thread.clone(),
                    blocked_for: held,
                });
            }
        }
    }
    stuck
}

/// Sends reports to `hook` instead of stderr.
pub fn set_hook(hook: impl Fn(&BlockingReport) + Send + Sync + 'static) {
    *lock(&HOOK) = Some(Arc::new(hook));
}

/// Sends reports to stderr again.
pub fn clear_hook() {
    *lock(&HOOK) = None;
}

/// Called when a greenlet starts or resumes on the current thread.
#[inline]
pub(crate) fn greenlet_running(h: &Arc<Header>) {
    if enabled() {
        SLOT.with(|s| *lock(&s.running) = Some((h.clone(), Instant::now())));
    }
}

/// Called when the current thread's greenlet parks or ends.
#[inline]
pub(crate) fn greenlet_stopped() {
    if enabled() {
        SLOT.with(|s| *lock(&s.running) = None);
    }
}

fn watch() {
    loop {
        let threshold = Duration::from_nanos(THRESHOLD.load(Ordering::Relaxed));
        std::thread::sleep((threshold / 4).clamp(Duration::from_millis(1), Duration::from_secs(1)));
        if !enabled() {
            continue;
        }
        let slots: Vec<Arc<Slot>> = lock(&SLOTS).clone();
        for slot in slots {
            let (header, since) = match &*lock(&slot.running) {
                Some((h, t)) => (h.clone(), *t),
                None => continue,
            };
            let held = since.elapsed();
            // An episode is one (greenlet, start) pair; hash it into a u64.
            let episode =
                header.id ^ (since.duration_since(epoch()).as_nanos() as u64).rotate_left(17);
            if held < threshold || slot.reported.swap(episode, Ordering::Relaxed) == episode {
                continue;
            }
            report(&BlockingReport {
                greenlet_id: header.id,
                greenlet: header.label(),
                thread: slot.thread.clone(),
                blocked_for: held,
            });
        }
    }
}

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(|| Instant::now() - Duration::from_secs(1))
}

fn report(r: &BlockingReport) {
    let hook = lock(&HOOK).clone();
    match hook {
        Some(h) => h(r),
        None => eprintln!(
            "greenline: greenlet '{}' (#{}) has held worker thread {} for {} ms without yielding; \
             a blocking std call in a greenlet stops every socket on that worker (use greenline's \
             sockets, sleep and sync, or greenline::threadpool::spawn_blocking)",
            r.greenlet,
            r.greenlet_id,
            r.thread,
            r.blocked_for.as_millis()
        ),
    }
}
