//! A queue whose consumers report completion: gevent's `JoinableQueue`.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::queue::{GetError, PutError, Queue, TryGetError};
use super::waiter::{self, WaitQueue};

/// A [`Queue`] that counts unfinished items: each `put` adds one, each
/// [`task_done`](JoinableQueue::task_done) removes one, and
/// [`join`](JoinableQueue::join) waits until the count is zero.
///
/// # Examples
///
/// ```
/// use greenline::sync::JoinableQueue;
/// let q = JoinableQueue::new();
/// let worker = {
///     let q = q.clone();
///     greenline::spawn(move || while let Ok(_job) = q.get() { q.task_done().unwrap(); })
/// };
/// for job in 0..10 { q.put(job).unwrap(); }
/// q.join().unwrap();
/// q.close();
/// worker.join().unwrap();
/// ```
pub struct JoinableQueue<T> {
    queue: Queue<T>,
    tasks: Arc<Mutex<Tasks>>,
}

struct Tasks {
    unfinished: usize,
    joiners: WaitQueue,
}

impl<T> JoinableQueue<T> {
    /// An unbounded joinable queue.
    pub fn new() -> JoinableQueue<T> {
        JoinableQueue::from_queue(Queue::new())
    }

    /// A bounded joinable queue (see [`Queue::bounded`]).
    pub fn bounded(capacity: usize) -> JoinableQueue<T> {
        JoinableQueue::from_queue(Queue::bounded(capacity))
    }

    fn from_queue(queue: Queue<T>) -> JoinableQueue<T> {
        JoinableQueue {
            queue,
            tasks: Arc::new(Mutex::new(Tasks {
                unfinished: 0,
                joiners: WaitQueue::new(),
            })),
        }
    }

    /// Queues an item and counts it as unfinished (see [`Queue::put`]).
    pub fn put(&self, item: T) -> Result<(), PutError<T>> {
        self.add_task();
        self.queue.put(item).inspect_err(|_| self.finish_task())
    }

    /// Like [`put`](JoinableQueue::put), giving up after `timeout`.
    pub fn put_timeout(&self, item: T, timeout: Duration) -> Result<(), PutError<T>> {
        self.add_task();
        self.queue
            .put_timeout(item, timeout)
            .inspect_err(|_| self.finish_task())
    }

    /// Takes the front item (see [`Queue::get`]); call
    /// [`task_done`](JoinableQueue::task_done) when it has been handled.
    pub fn get(&self) -> Result<T, GetError> {
        self.queue.get()
    }

    /// Like [`get`](JoinableQueue::get), giving up after `timeout`.
    pub fn get_timeout(&self, timeout: Duration) -> Result<T, GetError> {
        self.queue.get_timeout(timeout)
    }

    /// Takes the front item without waiting.
    pub fn try_get(&self) -> Result<T, TryGetError> {
        self.queue.try_get()
    }

    /// Marks one item as handled; wakes joiners when none is left.
    ///
    /// # Errors
    ///
    /// `ErrorKind::InvalidInput` when called more often than items were put.
    pub fn task_done(&self) -> io::Result<()> {
        let mut t = waiter::lock(&self.tasks);
        if t.unfinished == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "task_done() called more times than items were put",
            ));
        }
        t.unfinished -= 1;
        if t.unfinished == 0 {
            t.joiners.notify_all();
        }
        Ok(())
    }

    /// Number of items put and not yet marked done.
    pub fn unfinished(&self) -> usize {
        waiter::lock(&self.tasks).unfinished
    }

    /// Waits until every item put has been marked done.
    ///
    /// Woken by the `task_done` that brings the count to zero.
    ///
    /// # Errors
    ///
    /// `ErrorKind::TimedOut` when the caller's `Timeout` passes.
    pub fn join(&self) -> io::Result<()> {
        self.join_deadline(None)
    }

    /// Like [`join`](JoinableQueue::join), giving up after `timeout`.
    pub fn join_timeout(&self, timeout: Duration) -> io::Result<()> {
        self.join_deadline(crate::time::deadline_in(timeout))
    }

    fn join_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        waiter::wait_while(
            &self.tasks,
            deadline,
            "JoinableQueue::join",
            |t| (t.unfinished == 0).then_some(()),
            |t| &mut t.joiners,
        )
        .map_err(|_| crate::time::timed_out())
    }

    /// Closes the underlying queue (see [`Queue::close`]).
    pub fn close(&self) {
        self.queue.close();
    }

    /// Number of queued items.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    fn add_task(&self) {
        waiter::lock(&self.tasks).unfinished += 1;
    }

    fn finish_task(&self) {
        let _ = self.task_done();
    }
}

impl<T> Default for JoinableQueue<T> {
    fn default() -> Self {
        JoinableQueue::new()
    }
}

impl<T> Clone for JoinableQueue<T> {
    fn clone(&self) -> Self {
        JoinableQueue {
            queue: self.queue.clone(),
            tasks: self.tasks.clone(),
        }
    }
}
