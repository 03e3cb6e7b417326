//! Runtime configuration in one place: workers, default stack size, pinning.
//!
//! may reads its configuration once, when its scheduler starts (the first
//! spawn or the first socket). greenline therefore applies one [`Config`] just
//! before that moment: the one passed to [`configure`] if that was called
//! first, otherwise the defaults below adjusted by environment variables.
//! **First use wins**: a `configure` call after the runtime has started
//! returns an error and changes nothing. (If the application started may
//! itself before greenline, may's own settings are in force; greenline cannot
//! tell.)
//!
//! | setting | default | environment |
//! |---|---|---|
//! | workers | number of CPUs | `GREENLINE_WORKERS` |
//! | default stack | 128 KiB | `GREENLINE_STACK_SIZE` (bytes) |
//! | pin workers to cores | off | `GREENLINE_PIN_WORKERS=1` |
//! | blocking monitor | off | `GREENLINE_MAX_BLOCKING_MS` (see [`crate::monitor`]) |
//!
//! # Why 128 KiB stacks
//!
//! may's default is 32 KiB. Measured on this project's machines in debug
//! builds: `std::io::copy` uses about 12 KiB (its 8 KiB buffer), a panic with
//! `catch_unwind` about 7 KiB, and capturing a backtrace (which the default
//! panic hook does under `RUST_BACKTRACE=1`) about 20 KiB; debug builds also
//! use several times the stack of release builds for the same code. An
//! overflow ends a greenlet without unwinding, so the margin must be generous.
//! Stacks are mapped lazily: a greenlet that touches 8 KiB costs 8 KiB of
//! resident memory whatever its stack size, so the larger default costs
//! address space, not RAM. Each stack is two memory mappings (stack and guard
//! page), which is what `vm.max_map_count` counts; see [`crate::spawn`].

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// The default greenlet stack size, in bytes.
pub const DEFAULT_STACK_SIZE: usize = 128 * 1024;

/// Runtime settings applied when the scheduler starts.
///
/// # Examples
///
/// ```
/// // Must run before the first spawn or socket of the process.
/// let _ = greenline::config::configure(
///     greenline::config::Config::from_env().workers(1),
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    workers: usize,
    stack_size: usize,
    pin_workers: bool,
    max_blocking: Option<Duration>,
}

impl Config {
    /// The defaults, without looking at the environment.
    pub fn new() -> Config {
        Config {
            workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            stack_size: DEFAULT_STACK_SIZE,
            pin_workers: false,
            max_blocking: None,
        }
    }

    /// The defaults adjusted by the `GREENLINE_*` environment variables.
    ///
    /// Unparsable values are ignored with a warning on stderr, not fatal.
    pub fn from_env() -> Config {
        let mut c = Config::new();
        if let Some(n) = env_number("GREENLINE_WORKERS") {
            c = c.workers(n as usize);
        }
        if let Some(n) = env_number("GREENLINE_STACK_SIZE") {
            c = c.stack_size(n as usize);
        }
        if let Ok(v) = std::env::var("GREENLINE_PIN_WORKERS") {
            c.pin_workers = v == "1" || v.eq_ignore_ascii_case("true");
        }
        if let Some(ms) = env_number("GREENLINE_MAX_BLOCKING_MS") {
            c.max_blocking = Some(Duration::from_millis(ms));
        }
        c
    }

    /// Number of worker threads (each one an event loop); at least 1.
    pub fn workers(mut self, n: usize) -> Config {
        self.workers = n.max(1);
        self
    }

    /// Default stack size for greenlets, in bytes; rounded up to 16 KiB.
    pub fn stack_size(mut self, bytes: usize) -> Config {
        self.stack_size = bytes.max(16 * 1024).next_multiple_of(16 * 1024);
        self
    }

    /// Pin each worker to a core (may's default; off here because on shared
    /// hosts and in containers pinning hurts more than it helps).
    pub fn pin_workers(mut self, pin: bool) -> Config {
        self.pin_workers = pin;
        self
    }

    /// Start the blocking monitor with this threshold (see [`crate::monitor`]).
    pub fn max_blocking(mut self, threshold: Option<Duration>) -> Config {
        self.max_blocking = threshold;
        self
    }

    /// The configured number of workers.
    pub fn get_workers(&self) -> usize {
        self.workers
    }

    /// The configured default stack size in bytes.
    pub fn get_stack_size(&self) -> usize {
        self.stack_size
    }
}

impl Default for Config {
    fn default() -> Config {
        Config::new()
    }
}

fn env_number(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    match v.trim().parse() {
        Ok(n) => Some(n),
        Err(_) => {
            eprintln!("greenline: ignoring {name}={v:?}: not a whole number");
            None
        }
    }
}

/// The configuration waiting to be applied, and whether it has been: one
/// lock, so a `configure` racing the first spawn either lands before the
/// runtime starts or is refused, never silently lost.
struct Startup {
    pending: Option<Config>,
    started: bool,
}

static STARTUP: Mutex<Startup> = Mutex::new(Startup {
    pending: None,
    started: false,
});
static APPLIED: OnceLock<Config> = OnceLock::new();
/// Mirrors `Startup::started` for the lock-free fast path.
static STARTED: AtomicBool = AtomicBool::new(false);

/// Sets the configuration the runtime will start with.
///
/// # Errors
///
/// `ErrorKind::AlreadyExists` when the runtime has already started; the
/// configuration in force is then [`current`].
pub fn configure(config: Config) -> io::Result<()> {
    let mut startup = STARTUP.lock().unwrap_or_else(|e| e.into_inner());
    if startup.started {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "greenline runtime already started: configure() must run before the first spawn or socket",
        ));
    }
    startup.pending = Some(config);
    Ok(())
}

/// The configuration in force (starting the runtime if needed).
pub fn current() -> &'static Config {
    ensure_started();
    APPLIED.get().expect("set by ensure_started")
}

/// Applies the configuration to may exactly once, before may starts.
#[inline]
pub(crate) fn ensure_started() {
    if !STARTED.load(Ordering::Acquire) {
        start_slow();
    }
}

#[cold]
fn start_slow() {
    let mut startup = STARTUP.lock().unwrap_or_else(|e| e.into_inner());
    if startup.started {
        return;
    }
    let config = startup.pending.take().unwrap_or_else(Config::from_env);
    let may_config = may::config();
    may_config.set_workers(config.workers);
    // may counts stack sizes in machine words.
    may_config.set_stack_size(config.stack_size / std::mem::size_of::<usize>());
    may_config.set_worker_pin(config.pin_workers);
    let threshold = config.max_blocking;
    let _ = APPLIED.set(config);
    // may starts its scheduler (its timer thread, then its workers) on
    // first use: start it here, so the watchdog knows which thread is
    // may's timer. Started before `STARTED` is published and with the
    // lock held: may reads its scheduler pointer with a plain load, so a
    // thread that saw `STARTED` early would race with its initialisation
    // (ThreadSanitizer's report, docs/may-defects.md). Once the flag is
    // set, every caller's Acquire load of it orders may's init (and the
    // watchdog's note of may's threads) before it.
    let before = crate::time::watchdog::thread_ids();
    crate::sys::coroutine::start_scheduler();
    crate::time::watchdog::note_may_threads(
        &before,
        &crate::time::watchdog::thread_ids(),
        APPLIED.get().map_or(1, |c| c.workers),
    );
    startup.started = true;
    STARTED.store(true, Ordering::Release);
    drop(startup);
    crate::time::watchdog::start();
    if let Some(threshold) = threshold {
        crate::monitor::start_from_config(threshold);
    }
}
