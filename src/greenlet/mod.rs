//! Greenlets: gevent's `spawn`, `Greenlet`, `joinall` and `killall`.
//!
//! A greenlet is a may coroutine with a handle that can be joined with a
//! timeout, killed, linked and inspected. Its body runs under
//! `catch_unwind`: a panic ends that greenlet only, and `join` returns it as
//! [`GreenletError::Panicked`] with the greenlet's name and the message.
//!
//! ```text
//!  spawn ──► pending ──► running ──► finished: value | panicked | killed
//!               │           │ kill: unwinds at the next yield point
//!               └── kill ───┴──────► killed (a pending greenlet never runs)
//! ```

mod current;
mod error;
pub(crate) mod header;
pub(crate) mod members;
mod task;

use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use std::{fmt, io};

pub(crate) use current::{
    current, enter_wait, instrumented, kill_requested, leave_wait, refresh_instrumentation,
};
pub use current::{current_id, current_name};
use current::{on_worker, ON_WORKER};
pub use error::GreenletError;
use header::Header;
pub(crate) use task::task;

use crate::sync::waiter::{self, WaitError};

/// A handle to a running (or finished) greenlet: gevent's `Greenlet`.
///
/// Dropping the handle detaches the greenlet; it keeps running.
pub struct Greenlet<T> {
    header: Arc<Header>,
    value: Arc<Mutex<Option<Result<T, GreenletError>>>>,
}

/// Configures a greenlet before spawning it: name and stack size.
///
/// # Examples
///
/// ```
/// let g = greenline::Builder::new()
///     .name("worker-1")
///     .stack_size(256 * 1024)
///     .spawn(|| greenline::current_name())
///     .unwrap();
/// assert_eq!(g.join().unwrap().as_deref(), Some("worker-1"));
/// ```
#[derive(Debug, Default, Clone)]
pub struct Builder {
    name: Option<String>,
    stack_size: Option<usize>,
    /// Test-harness scope for the new greenlet (children inherit it).
    scope: Option<u64>,
}

impl Builder {
    /// A builder with no name and the default stack size.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Names the greenlet; the name appears in join errors, the blocking
    /// monitor's reports and the test harness's messages.
    pub fn name(mut self, name: impl Into<String>) -> Builder {
        self.name = Some(name.into());
        self
    }

    /// Sets the stack size in bytes (see [`crate::config`] for the default
    /// and why; an overflow ends the greenlet without unwinding).
    pub fn stack_size(mut self, bytes: usize) -> Builder {
        self.stack_size = Some(bytes.max(16 * 1024));
        self
    }

    pub(crate) fn scope(mut self, scope: u64) -> Builder {
        self.scope = Some(scope);
        self
    }

    /// Starts a greenlet running `f`.
    ///
    /// # Errors
    ///
    /// `ErrorKind::OutOfMemory` when the stack cannot be mapped. The usual
    /// cause is Linux's `vm.max_map_count` (65530 by default): may maps two
    /// regions per greenlet stack, so about 32,000 greenlets are the limit
    /// unless it is raised (`sysctl -w vm.max_map_count=262144`).
    pub fn spawn<F, T>(self, f: F) -> io::Result<Greenlet<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let header = Header::new(self.name.clone(), self.scope);
        let value = Arc::new(Mutex::new(None));
        // From a greenlet on a worker, start the child in place so that it
        // queues itself locally (no cross-thread wake-up); see
        // `sys::coroutine::spawn_coroutine`.
        let in_place = may::coroutine::is_coroutine() && on_worker();
        let body = {
            let header = header.clone();
            let value = value.clone();
            move || run_body(header, value, in_place, f)
        };
        crate::config::ensure_started();
        // Counted from here, so `wait` sees a greenlet that has not run yet.
        header::started();
        let spawned = panic::catch_unwind(AssertUnwindSafe(|| {
            crate::sys::coroutine::spawn_coroutine(self.name, self.stack_size, in_place, body)
        }));
        let handle = match spawned {
            Ok(Ok(h)) => h,
            Ok(Err(e)) => {
                header::not_started();
                return Err(e);
            }
            Err(payload) => {
                header::not_started();
                return Err(spawn_failure(&panic_message(payload.as_ref())));
            }
        };
        header.set_coroutine(handle);
        Ok(Greenlet { header, value })
    }
}

fn spawn_failure(detail: &str) -> io::Error {
    let limit = std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into());
    io::Error::new(
        io::ErrorKind::OutOfMemory,
        format!(
            "cannot map a greenlet stack ({detail}): each greenlet needs two memory maps and \
             vm.max_map_count is {limit}; raise it with `sysctl -w vm.max_map_count=262144` \
             or run fewer greenlets at once"
        ),
    )
}

fn run_body<F, T>(
    header: Arc<Header>,
    value: Arc<Mutex<Option<Result<T, GreenletError>>>>,
    in_place: bool,
    f: F,
) where
    F: FnOnce() -> T,
{
    if !in_place {
        // Started from a worker's inbox: this thread is a worker.
        ON_WORKER.with(|w| w.set(true));
    }
    // Started in place by the spawner: give control back before any user
    // code runs, queued on this worker. A kill meanwhile unwinds from here.
    let killed_early = in_place && panic::catch_unwind(may::coroutine::yield_now).is_err();
    let result = if killed_early || header.kill_requested() {
        Err(GreenletError::Killed {
            greenlet: header.label(),
        })
    } else {
        current::enter(&header);
        crate::monitor::greenlet_running(&header);
        let r = panic::catch_unwind(AssertUnwindSafe(f));
        crate::monitor::greenlet_stopped();
        r.map_err(|payload| {
            if header.kill_requested() {
                GreenletError::Killed {
                    greenlet: header.label(),
                }
            } else {
                GreenletError::Panicked {
                    greenlet: header.label(),
                    message: panic_message(payload.as_ref()),
                }
            }
        })
    };
    let outcome = result.as_ref().map(|_| ()).map_err(Clone::clone);
    *waiter::lock(&value) = Some(result);
    header.finish(outcome);
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_string()
    }
}

/// Starts a greenlet running `f`: gevent's `spawn`.
///
/// The greenlet runs on one of the runtime's workers; this call returns at
/// once. Use [`Builder`] for a name or a stack size.
///
/// # Panics
///
/// When the greenlet's stack cannot be mapped (see [`Builder::spawn`] for the
/// error, and how to raise the limit behind it).
///
/// # Examples
///
/// ```
/// let g = greenline::spawn(|| 6 * 7);
/// assert_eq!(g.join().unwrap(), 42);
/// ```
pub fn spawn<F, T>(f: F) -> Greenlet<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    match Builder::new().spawn(f) {
        Ok(g) => g,
        Err(e) => panic!("greenline::spawn: {e}"),
    }
}

/// Starts a greenlet that waits `delay`, then runs `f`: gevent's
/// `spawn_later`. Killing it during the delay means `f` never runs.
pub fn spawn_later<F, T>(delay: Duration, f: F) -> Greenlet<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    spawn(move || {
        // The delay is not subject to an inherited Timeout: there is none in
        // a new greenlet.
        let _ = crate::time::sleep(delay);
        f()
    })
}

impl<U, E: From<GreenletError>> Greenlet<Result<U, E>> {
    /// Waits for the greenlet and returns its own result: its value, its
    /// error, or why it produced neither (panicked, killed), converted
    /// into its error type: gevent's `Greenlet.get()`. One `?` where
    /// `join` needs two.
    ///
    /// Woken when the greenlet ends; the caller's
    /// [`Timeout`](crate::Timeout) bounds the wait
    /// ([`GreenletError::TimedOut`], converted).
    ///
    /// # Errors
    ///
    /// The greenlet's error, or a [`GreenletError`] converted into `E`
    /// (into `io::Error`: `Interrupted` for a kill, `TimedOut`, `Other`).
    ///
    /// # Examples
    ///
    /// ```
    /// fn fetch() -> std::io::Result<u32> {
    ///     let g = greenline::spawn(|| -> std::io::Result<u32> { Ok(7) });
    ///     let v = g.get()?;
    ///     Ok(v)
    /// }
    /// assert_eq!(fetch().unwrap(), 7);
    /// ```
    pub fn get(self) -> Result<U, E> {
        self.join().unwrap_or_else(|e| Err(E::from(e)))
    }

    /// Like [`get`](Greenlet::get), giving up after `timeout`
    /// ([`GreenletError::TimedOut`], converted; the greenlet keeps running
    /// and can be waited for again). A result it returns is taken.
    pub fn get_timeout(&self, timeout: Duration) -> Result<U, E> {
        self.join_timeout(timeout)
            .unwrap_or_else(|e| Err(E::from(e)))
    }
}

impl<T> Greenlet<T> {
    /// This greenlet's process-unique id (ids start at 1).
    pub fn id(&self) -> u64 {
        self.header.id
    }

    /// The name given to [`Builder::name`], if any.
    pub fn name(&self) -> Option<&str> {
        self.header.name.as_deref()
    }

    /// True once the greenlet has finished, whatever the outcome.
    pub fn is_ready(&self) -> bool {
        self.header.is_done()
    }

    /// True once the greenlet has finished by returning a value.
    pub fn is_successful(&self) -> bool {
        matches!(self.header.outcome(), Some(Ok(())))
    }

    /// Waits for the greenlet to finish and takes its value.
    ///
    /// Woken when the greenlet returns, panics or is killed. A greenlet
    /// caller yields; a plain thread blocks.
    ///
    /// # Errors
    ///
    /// [`GreenletError::Panicked`], [`GreenletError::Killed`] or
    /// [`GreenletError::StackOverflow`] when it produced no value; [`GreenletError::TimedOut`] when the caller's
    /// [`Timeout`](crate::Timeout) passes first; [`GreenletError::AlreadyJoined`]
    /// when [`join_timeout`](Greenlet::join_timeout) took the value earlier.
    pub fn join(self) -> Result<T, GreenletError> {
        self.join_deadline(None)
    }

    /// Like [`join`](Greenlet::join), but gives up after `timeout`
    /// (`GreenletError::TimedOut`, the greenlet keeps running and can be
    /// joined again). A successful call takes the value.
    pub fn join_timeout(&self, timeout: Duration) -> Result<T, GreenletError> {
        self.join_deadline(crate::time::deadline_in(timeout))
    }

    fn join_deadline(&self, deadline: Option<Instant>) -> Result<T, GreenletError> {
        match self.header.wait(deadline) {
            Ok(()) => {
                let value = waiter::lock(&self.value).take();
                value.unwrap_or_else(|| match self.header.outcome() {
                    // Ended without storing a value: the stack overflowed.
                    Some(Err(e)) => Err(e),
                    _ => Err(GreenletError::AlreadyJoined),
                })
            }
            Err(WaitError::TimedOut) => Err(GreenletError::TimedOut),
        }
    }

    /// Kills the greenlet and waits until it has died: gevent's `kill()`.
    ///
    /// A greenlet that has not started never runs. A running one unwinds
    /// from its next yield point (any blocking call), so its destructors run
    /// and its sockets close; one that computes without yielding dies when it
    /// next yields. Killing a finished greenlet does nothing.
    pub fn kill(&self) {
        self.header.request_kill();
        let _ = self.header.wait(None);
    }

    /// Kills the greenlet and waits at most `timeout` for it to die.
    ///
    /// # Errors
    ///
    /// `ErrorKind::TimedOut` when it is still running after `timeout` (it
    /// will still die at its next yield point).
    pub fn kill_timeout(&self, timeout: Duration) -> io::Result<()> {
        self.header.request_kill();
        self.header
            .wait(crate::time::deadline_in(timeout))
            .map_err(|_| crate::time::timed_out())
    }

    /// Asks the greenlet to die without waiting: gevent's `kill(block=False)`.
    pub fn kill_nowait(&self) {
        self.header.request_kill();
    }

    /// Calls `f` once the greenlet has finished, with `Ok(())` for a returned
    /// value or the error `join` would give: gevent's `link`.
    ///
    /// Callbacks run in a greenlet of their own, after the joiners are woken;
    /// one linked after the end runs at once.
    pub fn link(&self, f: impl FnOnce(Result<(), GreenletError>) + Send + 'static) {
        self.header.link(Box::new(f));
    }

    pub(crate) fn header(&self) -> &Arc<Header> {
        &self.header
    }
}

impl<T> fmt::Debug for Greenlet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Greenlet")
            .field("id", &self.header.id)
            .field("name", &self.header.name)
            .field("ready", &self.is_ready())
            .finish()
    }
}

/// Waits until every greenlet has finished, or `timeout` passes:
/// gevent's `joinall`. Returns true when all finished.
///
/// Values stay in the handles (take them with `join`).
pub fn joinall<'a, T: 'a>(
    greenlets: impl IntoIterator<Item = &'a Greenlet<T>>,
    timeout: Option<Duration>,
) -> bool {
    let deadline = timeout.and_then(crate::time::deadline_in);
    greenlets
        .into_iter()
        .all(|g| g.header.wait(deadline).is_ok())
}

/// Waits until every other greenlet in the process has finished, or
/// `timeout` passes: gevent's `wait()` with no objects. Returns true when
/// they all finished.
///
/// Counts every greenlet greenline started (servers' connection and accept
/// greenlets too: a running server never lets it return before the
/// timeout), and every thread pool task not yet finished (see
/// [`crate::threadpool`]). Woken when the last other greenlet ends; the caller's
/// [`Timeout`](crate::Timeout) bounds the wait as `timeout` does.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// for i in 0..3 {
///     greenline::spawn(move || greenline::sleep(Duration::from_millis(10 * i)));
/// }
/// assert!(greenline::wait(Some(Duration::from_secs(5))));
/// ```
pub fn wait(timeout: Option<Duration>) -> bool {
    header::wait_all(timeout.and_then(crate::time::deadline_in)).is_ok()
}

/// Kills every greenlet, then waits up to `timeout` for all of them to die:
/// gevent's `killall`. Returns true when all are dead.
pub fn killall<'a, T: 'a>(
    greenlets: impl IntoIterator<Item = &'a Greenlet<T>>,
    timeout: Option<Duration>,
) -> bool {
    let all: Vec<&Greenlet<T>> = greenlets.into_iter().collect();
    for g in &all {
        g.kill_nowait();
    }
    joinall(all, timeout)
}
