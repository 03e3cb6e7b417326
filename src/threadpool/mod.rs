//! Thread pools for work that cannot yield: gevent's `threadpool`.
//!
//! Name resolution, file I/O, blocking FFI and any std call that blocks must
//! not run on a worker (it would freeze every greenlet and socket there).
//! [`spawn_blocking`] runs such a closure on the global pool's threads and
//! returns a [`BlockingTask`] that a greenlet waits on by yielding (a plain
//! thread waits by blocking). A [`ThreadPool`] is a pool of its own, with
//! its own bound, whose tasks are [`Greenlet`] handles:
//! `joinall` and `Group` wait for them like for any greenlet.
//!
//! The global pool starts threads (`greenline-blocking`) on demand up to a
//! maximum (64 by default, [`set_max_threads`]); a thread idle for 10
//! seconds exits. Jobs beyond the maximum queue in FIFO order.
//!
//! A task counts as a live greenlet until it ends, so [`crate::wait`]
//! waits for queued and running tasks too.

mod pool;

use std::time::Duration;
use std::{fmt, io};

use crate::{Greenlet, GreenletError};

pub use pool::ThreadPool;

/// Sets the most threads the global pool runs at once (at least 1).
pub fn set_max_threads(n: usize) {
    pool::global().set_max_threads(n);
}

/// The result of [`spawn_blocking`]: the task's greenlet handle, with
/// errors as `io::Error`.
pub struct BlockingTask<T> {
    greenlet: Greenlet<T>,
}

/// Runs `f` on a thread of the global pool.
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
    BlockingTask {
        greenlet: pool::global().spawn(f),
    }
}

impl<T> BlockingTask<T> {
    /// Waits for the closure to finish and returns its value.
    ///
    /// Woken when the pool thread finishes the closure.
    ///
    /// # Errors
    ///
    /// `ErrorKind::Other` when the closure panicked (with its message) or
    /// when [`join_timeout`](BlockingTask::join_timeout) took the value
    /// already; `ErrorKind::TimedOut` when the caller's `Timeout` passes
    /// (the closure keeps running on its thread: a thread cannot be
    /// interrupted).
    pub fn join(self) -> io::Result<T> {
        self.greenlet.join().map_err(task_error)
    }

    /// Like [`join`](BlockingTask::join), giving up after `timeout` with
    /// `ErrorKind::TimedOut`. A timed-out wait loses nothing: the closure
    /// keeps running and a later `join` or `join_timeout` returns its
    /// value. A successful call takes the value.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let (tx, rx) = std::sync::mpsc::channel::<()>();
    /// let task = greenline::threadpool::spawn_blocking(move || rx.recv().map(|_| 7));
    /// let err = task.join_timeout(Duration::from_millis(10)).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    /// tx.send(()).unwrap();
    /// assert_eq!(task.join_timeout(Duration::from_secs(5)).unwrap().unwrap(), 7);
    /// ```
    pub fn join_timeout(&self, timeout: Duration) -> io::Result<T> {
        self.greenlet.join_timeout(timeout).map_err(task_error)
    }

    /// True once the closure has finished.
    pub fn is_ready(&self) -> bool {
        self.greenlet.is_ready()
    }

    /// The task's greenlet handle, for [`crate::joinall`],
    /// [`Group::add`](crate::Group::add) or `link`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let group = greenline::Group::new();
    /// let task = greenline::threadpool::spawn_blocking(|| 1 + 1);
    /// group.add(task.as_greenlet());
    /// assert!(group.join(Some(Duration::from_secs(5))));
    /// assert_eq!(task.join().unwrap(), 2);
    /// ```
    pub fn as_greenlet(&self) -> &Greenlet<T> {
        &self.greenlet
    }
}

impl<T> fmt::Debug for BlockingTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingTask")
            .field("ready", &self.is_ready())
            .finish()
    }
}

/// A task's `GreenletError` as the `io::Error` `BlockingTask` returns.
fn task_error(e: GreenletError) -> io::Error {
    match e {
        GreenletError::Panicked { message, .. } => {
            io::Error::other(format!("blocking task panicked: {message}"))
        }
        e => e.into(),
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
