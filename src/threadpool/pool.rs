//! [`ThreadPool`]: a set of OS threads running closures that cannot
//! yield, each task a [`Greenlet`] handle.
//!
//! Threads start on demand up to the pool's maximum; a thread idle for 10
//! seconds exits, and every thread exits once the pool's last handle is
//! dropped and the queue is empty. Jobs beyond the maximum queue in FIFO
//! order.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use crate::greenlet::Greenlet;

type Job = Box<dyn FnOnce() + Send>;

/// A pool of OS threads for work that cannot yield: gevent's
/// `ThreadPool(maxsize)`.
///
/// [`spawn`](ThreadPool::spawn) returns a [`Greenlet`] handle for the
/// task, so everything that waits for greenlets waits for it:
/// `join`/`join_timeout` (a timed wait leaves the value for a later one),
/// [`crate::joinall`], [`crate::Group`], `link`. The handle is cheap to
/// clone; the pool's threads exit once every handle is dropped and the
/// queued tasks are done (the tasks' own handles stay valid).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// let pool = greenline::threadpool::ThreadPool::new(2);
/// let tasks: Vec<_> = (1..=4u64).map(|i| pool.spawn(move || i * 10)).collect();
/// assert!(greenline::joinall(&tasks, Some(Duration::from_secs(5))));
/// let sum: u64 = tasks.into_iter().map(|t| t.join().unwrap()).sum();
/// assert_eq!(sum, 100);
/// ```
#[derive(Clone)]
pub struct ThreadPool {
    owner: Arc<Owner>,
}

/// Closes the pool when the last [`ThreadPool`] handle goes.
struct Owner(Arc<Shared>);

impl Drop for Owner {
    fn drop(&mut self) {
        self.0.close();
    }
}

impl ThreadPool {
    /// A pool running at most `max_threads` tasks at once, on threads
    /// named `greenline-pool`, started when tasks come.
    ///
    /// # Panics
    ///
    /// When `max_threads` is 0.
    pub fn new(max_threads: usize) -> ThreadPool {
        assert!(max_threads > 0, "a ThreadPool needs at least one thread");
        ThreadPool {
            owner: Arc::new(Owner(Shared::new("greenline-pool", max_threads))),
        }
    }

    /// Runs `f` on a pool thread and returns its greenlet handle at once.
    ///
    /// Waiting on the handle (`join`, `join_timeout`, `joinall`, a
    /// `Group`) is woken when `f` returns or panics; a greenlet caller
    /// yields, a plain thread blocks. A timed wait that passes returns
    /// `GreenletError::TimedOut` and leaves the value for a later wait.
    /// A panic in `f` ends the task only: its `join` returns
    /// `GreenletError::Panicked` with the message, and the thread goes on.
    ///
    /// Killing the handle before `f` starts keeps it from running (the
    /// task ends `GreenletError::Killed`); once `f` runs, a thread cannot
    /// be interrupted, so `kill` waits for `f` to finish, and its value is
    /// kept. Inside `f`, [`crate::current_id`] is `None`: it is not a
    /// greenlet, and may block freely.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenline::{threadpool::ThreadPool, GreenletError};
    /// let pool = ThreadPool::new(1);
    /// let (tx, rx) = std::sync::mpsc::channel::<()>();
    /// let busy = pool.spawn(move || rx.recv().is_ok());
    /// // Queued behind `busy` on the only thread: killed before it starts.
    /// let queued = pool.spawn(|| "never runs");
    /// queued.kill_nowait();
    /// tx.send(()).unwrap();
    /// assert!(busy.join().unwrap());
    /// assert!(matches!(queued.join(), Err(GreenletError::Killed { .. })));
    /// ```
    pub fn spawn<F, T>(&self, f: F) -> Greenlet<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.owner.0.spawn(f)
    }

    /// The most threads the pool runs at once.
    pub fn max_threads(&self) -> usize {
        self.owner.0.max_threads()
    }

    /// Sets the most threads the pool runs at once (at least 1). Running
    /// threads above a lowered maximum finish their tasks first.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = greenline::threadpool::ThreadPool::new(1);
    /// pool.set_max_threads(4);
    /// assert_eq!(pool.max_threads(), 4);
    /// assert_eq!(pool.threads(), 0, "threads start with the first tasks");
    /// ```
    pub fn set_max_threads(&self, n: usize) {
        self.owner.0.set_max_threads(n);
    }

    /// The threads the pool has now, busy or idle.
    pub fn threads(&self) -> usize {
        self.owner.0.lock().threads
    }
}

impl fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.owner.0.lock();
        f.debug_struct("ThreadPool")
            .field("max_threads", &self.max_threads())
            .field("threads", &s.threads)
            .field("queued", &s.jobs.len())
            .finish()
    }
}

/// A pool's queue and threads, shared with the threads themselves.
pub(super) struct Shared {
    /// The threads' name, and the name of their tasks' greenlet handles.
    name: &'static str,
    max: AtomicUsize,
    state: Mutex<State>,
    /// Signalled for each queued job, and for all at close.
    work: Condvar,
}

struct State {
    jobs: VecDeque<Job>,
    /// Threads started and not exited.
    threads: usize,
    /// Of those, the ones waiting for a job.
    idle: usize,
    /// Every handle is gone: threads exit once the queue is empty.
    closed: bool,
}

/// A thread idle this long exits.
const IDLE_EXIT: Duration = Duration::from_secs(10);

/// The pool behind `spawn_blocking` (threads named `greenline-blocking`),
/// started on first use and never closed.
pub(super) fn global() -> &'static Arc<Shared> {
    static GLOBAL: OnceLock<Arc<Shared>> = OnceLock::new();
    GLOBAL.get_or_init(|| Shared::new("greenline-blocking", 64))
}

impl Shared {
    fn new(name: &'static str, max: usize) -> Arc<Shared> {
        Arc::new(Shared {
            name,
            max: AtomicUsize::new(max),
            state: Mutex::new(State {
                jobs: VecDeque::new(),
                threads: 0,
                idle: 0,
                closed: false,
            }),
            work: Condvar::new(),
        })
    }

    pub(super) fn spawn<F, T>(self: &Arc<Self>, f: F) -> Greenlet<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (greenlet, completion) = crate::greenlet::task(Some(self.name.to_string()));
        self.submit(Box::new(move || completion.run(f)));
        greenlet
    }

    pub(super) fn max_threads(&self) -> usize {
        self.max.load(Ordering::Relaxed)
    }

    pub(super) fn set_max_threads(&self, n: usize) {
        self.max.store(n.max(1), Ordering::Relaxed);
    }

    /// Pool threads are plain OS threads, and the lock is held for a few
    /// instructions: a std guard and condvar are right here.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn submit(self: &Arc<Self>, job: Job) {
        let mut s = self.lock();
        s.jobs.push_back(job);
        if s.idle > 0 {
            self.work.notify_one();
            return;
        }
        if s.threads >= self.max_threads() {
            return; // a busy thread takes it when done
        }
        s.threads += 1;
        drop(s);
        let shared = self.clone();
        let spawned = std::thread::Builder::new()
            .name(self.name.into())
            .spawn(move || shared.run_thread());
        if let Err(e) = spawned {
            // The job stays queued for a thread that exists or comes later;
            // with none at all, its handle waits until one does.
            self.lock().threads -= 1;
            log::error!("greenline threadpool: cannot start a thread: {e}");
        }
    }

    fn run_thread(&self) {
        let mut s = self.lock();
        loop {
            if let Some(job) = s.jobs.pop_front() {
                drop(s);
                job();
                s = self.lock();
                continue;
            }
            if s.closed {
                s.threads -= 1;
                return;
            }
            s.idle += 1;
            let (guard, wait) = self
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

    /// The last handle is gone: idle threads exit now, busy ones once the
    /// queue is empty.
    fn close(&self) {
        self.lock().closed = true;
        self.work.notify_all();
    }
}
