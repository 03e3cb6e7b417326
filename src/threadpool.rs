//! A thread pool for work that cannot yield: gevent's `threadpool`.
//!
//! Name resolution, file I/O, blocking FFI and any std call that blocks must
//! not run on a worker (it would freeze every greenlet and socket there).
//! [`spawn_blocking`] runs such a closure on a pool thread and returns a
//! [`BlockingTask`] that a greenlet waits on by yielding (a plain thread
//! waits by blocking).
//!
//! The pool starts threads on demand up to a maximum (64 by default,
//! [`set_max_threads`]); a thread idle for 10 seconds exits. Jobs beyond the
//! maximum queue in FIFO order.

use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;
use std::{fmt, io};

use crate::sync::waiter::lock;
use crate::sync::Event;

type Job = Box<dyn FnOnce() + Send>;

struct Pool {
    state: Mutex<PoolState>,
    work: Condvar,
}

struct PoolState {
    jobs: VecDeque<Job>,
    threads: usize,
    idle: usize,
}

static POOL: Pool = Pool {
    state: Mutex::new(PoolState {
        jobs: VecDeque::new(),
        threads: 0,
        idle: 0,
    }),
    work: Condvar::new(),
};

static MAX_THREADS: AtomicUsize = AtomicUsize::new(64);
const IDLE_EXIT: Duration = Duration::from_secs(10);

/// Sets the most threads the pool runs at once (at least 1).
pub fn set_max_threads(n: usize) {
    MAX_THREADS.store(n.max(1), Ordering::Relaxed);
}

/// The result of [`spawn_blocking`].
pub struct BlockingTask<T> {
    done: Event,
    /// The closure's value, or its panic message.
    value: Arc<Mutex<Option<Result<T, String>>>>,
}

/// Runs `f` on a pool thread.
///
/// # Examples
///
/// ```
/// let task = greenline::threadpool::spawn_blocking(|| std::fs::read_to_string("Cargo.toml"));
/// let text = greenline::spawn(move || task.join()).join().unwrap().unwrap().unwrap();
/// assert!(text.contains("greenline"));
/// ```
pub fn spawn_blocking<F, T>(f: F) -> BlockingTask<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let task = BlockingTask {
        done: Event::new(),
        value: Arc::new(Mutex::new(None)),
    };
    let (done, value) = (task.done.clone(), task.value.clone());
    submit(Box::new(move || {
        let r = panic::catch_unwind(AssertUnwindSafe(f)).map_err(|p| panic_text(p.as_ref()));
        *lock(&value) = Some(r);
        done.set();
    }));
    task
}

impl<T> BlockingTask<T> {
    /// Waits for the closure to finish and returns its value.
    ///
    /// Woken when the pool thread finishes the closure.
    ///
    /// # Errors
    ///
    /// `ErrorKind::Other` when the closure panicked (with its message);
    /// `ErrorKind::TimedOut` when the caller's `Timeout` passes (the closure
    /// keeps running on its thread: a thread cannot be interrupted).
    pub fn join(self) -> io::Result<T> {
        self.finish(None)
    }

    /// Like [`join`](BlockingTask::join), giving up after `timeout`.
    pub fn join_timeout(self, timeout: Duration) -> io::Result<T> {
        self.finish(Some(timeout))
    }

    /// True once the closure has finished.
    pub fn is_ready(&self) -> bool {
        self.done.is_set()
    }

    fn finish(self, timeout: Option<Duration>) -> io::Result<T> {
        match timeout {
            Some(t) => self.done.wait_timeout(t)?,
            None => self.done.wait()?,
        }
        match lock(&self.value).take().expect("set before the event") {
            Ok(v) => Ok(v),
            Err(msg) => Err(io::Error::other(format!("blocking task panicked: {msg}"))),
        }
    }
}

impl<T> fmt::Debug for BlockingTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingTask")
            .field("ready", &self.is_ready())
            .finish()
    }
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "<non-string panic payload>".into())
}

fn submit(job: Job) {
    let mut s = pool_lock();
    s.jobs.push_back(job);
    if s.idle > 0 {
        POOL.work.notify_one();
    } else if s.threads < MAX_THREADS.load(Ordering::Relaxed) {
        s.threads += 1;
        drop(s);
        let spawned = std::thread::Builder::new()
            .name("greenline-blocking".into())
            .spawn(run_thread);
        if let Err(e) = spawned {
            pool_lock().threads -= 1;
            log::error!("greenline threadpool: cannot start a thread: {e}");
        }
    }
}

/// Pool threads are plain OS threads: a std guard and condvar are right here.
fn pool_lock() -> std::sync::MutexGuard<'static, PoolState> {
    POOL.state.lock().unwrap_or_else(|e| e.into_inner())
}

fn run_thread() {
    let mut s = pool_lock();
    loop {
        if let Some(job) = s.jobs.pop_front() {
            drop(s);
            job();
            s = pool_lock();
            continue;
        }
        s.idle += 1;
        let (guard, wait) = POOL
            .work
            .wait_timeout(s, IDLE_EXIT)
            .unwrap_or_else(|e| e.into_inner());
        s = guard;
        s.idle -= 1;
        if wait.timed_out() && s.jobs.is_empty() {
            s.threads -= 1;
            return;
        }
    }
}

/// Blocking file helpers that run on the pool.
pub mod fs {
    use std::io;
    use std::path::Path;

    /// Reads a whole file (`std::fs::read` on a pool thread).
    pub fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
        let path = path.as_ref().to_owned();
        super::spawn_blocking(move || std::fs::read(path)).join()?
    }

    /// Reads a whole file as UTF-8 (`std::fs::read_to_string` on a pool thread).
    pub fn read_to_string(path: impl AsRef<Path>) -> io::Result<String> {
        let path = path.as_ref().to_owned();
        super::spawn_blocking(move || std::fs::read_to_string(path)).join()?
    }

    /// Writes a whole file (`std::fs::write` on a pool thread).
    pub fn write(path: impl AsRef<Path>, contents: impl Into<Vec<u8>>) -> io::Result<()> {
        let (path, contents) = (path.as_ref().to_owned(), contents.into());
        super::spawn_blocking(move || std::fs::write(path, contents)).join()?
    }
}

/// Child process helpers: the wait runs on the pool.
pub mod process {
    use std::io;
    use std::process::{Command, Output};

    /// Runs `cmd` to completion and collects its output
    /// (`Command::output` on a pool thread).
    pub fn output(mut cmd: Command) -> io::Result<Output> {
        super::spawn_blocking(move || cmd.output()).join()?
    }
}
