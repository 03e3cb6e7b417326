//! A FIFO queue between greenlets and threads: gevent's `Queue`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use std::{fmt, io};

use super::waiter::{self, WaitQueue};

/// A FIFO queue, unbounded or bounded, that can be closed.
///
/// `get` waits while the queue is empty; on a bounded queue `put` waits while
/// it is full. [`close`](Queue::close) wakes every blocked caller: getters
/// drain what is left, then get [`GetError::Closed`]; putters get their item
/// back in [`PutError::Closed`].
///
/// # Examples
///
/// ```
/// use greenline::sync::Queue;
/// let q = Queue::bounded(2);
/// let producer = {
///     let q = q.clone();
///     greenline::spawn(move || {
///         for i in 0..5 { q.put(i).unwrap(); }
///         q.close();
///     })
/// };
/// let got: Vec<i32> = std::iter::from_fn(|| q.get().ok()).collect();
/// assert_eq!(got, [0, 1, 2, 3, 4]);
/// producer.join().unwrap();
/// ```
pub struct Queue<T> {
    inner: Arc<Mutex<State<T>>>,
}

pub(super) struct State<T> {
    items: VecDeque<T>,
    capacity: Option<usize>,
    closed: bool,
    getters: WaitQueue,
    putters: WaitQueue,
}

/// Why [`Queue::get`] returned no item.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GetError {
    /// The queue is closed and empty.
    Closed,
    /// The timeout (or the caller's `Timeout`) passed.
    TimedOut,
}

/// Why [`Queue::try_get`] returned no item.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryGetError {
    /// Nothing is queued right now.
    Empty,
    /// The queue is closed and empty.
    Closed,
}

/// Why [`Queue::put`] did not queue the item; the item is handed back.
#[non_exhaustive]
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PutError<T> {
    /// The queue is closed.
    Closed(T),
    /// The queue stayed full until the timeout (or `Timeout`) passed.
    TimedOut(T),
}

/// Why [`Queue::try_put`] did not queue the item; the item is handed back.
#[non_exhaustive]
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TryPutError<T> {
    /// The queue is at capacity.
    Full(T),
    /// The queue is closed.
    Closed(T),
}

impl<T> PutError<T> {
    /// The item that was not queued.
    pub fn into_inner(self) -> T {
        match self {
            PutError::Closed(t) | PutError::TimedOut(t) => t,
        }
    }
}

impl<T> TryPutError<T> {
    /// The item that was not queued.
    pub fn into_inner(self) -> T {
        match self {
            TryPutError::Full(t) | TryPutError::Closed(t) => t,
        }
    }
}

impl<T> Queue<T> {
    /// An unbounded queue.
    pub fn new() -> Queue<T> {
        Queue::with_capacity(None)
    }

    /// A queue holding at most `capacity` items; `put` waits while full.
    ///
    /// # Panics
    ///
    /// When `capacity` is 0 (a hand-over without storage is a
    /// [`Channel`](super::Channel)).
    pub fn bounded(capacity: usize) -> Queue<T> {
        assert!(
            capacity > 0,
            "a bounded Queue needs capacity >= 1; use Channel for 0"
        );
        Queue::with_capacity(Some(capacity))
    }

    fn with_capacity(capacity: Option<usize>) -> Queue<T> {
        Queue {
            inner: Arc::new(Mutex::new(State {
                items: VecDeque::new(),
                capacity,
                closed: false,
                getters: WaitQueue::new(),
                putters: WaitQueue::new(),
            })),
        }
    }

    /// Adds an item at the back, waiting while the queue is full.
    ///
    /// Woken by a `get` that makes room, or by [`close`](Queue::close).
    ///
    /// # Errors
    ///
    /// [`PutError::Closed`] when the queue is (or becomes) closed;
    /// [`PutError::TimedOut`] when the caller's `Timeout` passes.
    pub fn put(&self, item: T) -> Result<(), PutError<T>> {
        self.put_deadline(item, None)
    }

    /// Like [`put`](Queue::put), giving up after `timeout`.
    pub fn put_timeout(&self, item: T, timeout: Duration) -> Result<(), PutError<T>> {
        self.put_deadline(item, crate::time::deadline_in(timeout))
    }

    /// Adds an item without waiting.
    pub fn try_put(&self, item: T) -> Result<(), TryPutError<T>> {
        let mut s = waiter::lock(&self.inner);
        if s.closed {
            return Err(TryPutError::Closed(item));
        }
        if s.capacity.is_some_and(|c| s.items.len() >= c) {
            return Err(TryPutError::Full(item));
        }
        s.items.push_back(item);
        s.getters.notify_one();
        Ok(())
    }

    fn put_deadline(&self, item: T, deadline: Option<Instant>) -> Result<(), PutError<T>> {
        let mut item = Some(item);
        let r = waiter::wait_while(
            &self.inner,
            deadline,
            "Queue::put",
            |s| {
                if s.closed {
                    return Some(false);
                }
                if s.capacity.is_some_and(|c| s.items.len() >= c) {
                    return None;
                }
                s.items.push_back(item.take().expect("put once"));
                s.getters.notify_one();
                Some(true)
            },
            |s| &mut s.putters,
        );
        match r {
            Ok(true) => Ok(()),
            Ok(false) => Err(PutError::Closed(item.take().expect("not put"))),
            Err(_) => Err(PutError::TimedOut(item.take().expect("not put"))),
        }
    }

    /// Removes and returns the item at the front, waiting while empty.
    ///
    /// Woken by a `put`, or by [`close`](Queue::close).
    ///
    /// # Errors
    ///
    /// [`GetError::Closed`] once the queue is closed and drained;
    /// [`GetError::TimedOut`] when the caller's `Timeout` passes.
    pub fn get(&self) -> Result<T, GetError> {
        self.get_deadline(None)
    }

    /// Like [`get`](Queue::get), giving up after `timeout`.
    pub fn get_timeout(&self, timeout: Duration) -> Result<T, GetError> {
        self.get_deadline(crate::time::deadline_in(timeout))
    }

    /// Takes the front item without waiting.
    pub fn try_get(&self) -> Result<T, TryGetError> {
        let mut s = waiter::lock(&self.inner);
        match s.items.pop_front() {
            Some(t) => {
                s.putters.notify_one();
                Ok(t)
            }
            None if s.closed => Err(TryGetError::Closed),
            None => Err(TryGetError::Empty),
        }
    }

    fn get_deadline(&self, deadline: Option<Instant>) -> Result<T, GetError> {
        let r = waiter::wait_while(
            &self.inner,
            deadline,
            "Queue::get",
            |s| match s.items.pop_front() {
                Some(t) => {
                    s.putters.notify_one();
                    Some(Ok(t))
                }
                None if s.closed => Some(Err(GetError::Closed)),
                None => None,
            },
            |s| &mut s.getters,
        );
        r.unwrap_or(Err(GetError::TimedOut))
    }

    /// Closes the queue: later puts fail, getters drain what is left and
    /// then fail; every blocked caller wakes.
    pub fn close(&self) {
        let mut s = waiter::lock(&self.inner);
        s.closed = true;
        s.getters.notify_all();
        s.putters.notify_all();
    }

    /// True once [`close`](Queue::close) was called.
    pub fn is_closed(&self) -> bool {
        waiter::lock(&self.inner).closed
    }

    /// Number of queued items.
    pub fn len(&self) -> usize {
        waiter::lock(&self.inner).items.len()
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when a bounded queue is at capacity.
    pub fn is_full(&self) -> bool {
        let s = waiter::lock(&self.inner);
        s.capacity.is_some_and(|c| s.items.len() >= c)
    }

    /// The capacity, `None` for an unbounded queue.
    pub fn capacity(&self) -> Option<usize> {
        waiter::lock(&self.inner).capacity
    }
}

impl<T> Default for Queue<T> {
    fn default() -> Self {
        Queue::new()
    }
}

impl<T> Clone for Queue<T> {
    fn clone(&self) -> Self {
        Queue {
            inner: self.inner.clone(),
        }
    }
}

impl<T> fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = waiter::lock(&self.inner);
        f.debug_struct("Queue")
            .field("len", &s.items.len())
            .field("capacity", &s.capacity)
            .field("closed", &s.closed)
            .finish()
    }
}

impl fmt::Display for GetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GetError::Closed => "queue closed",
            GetError::TimedOut => "timed out waiting for an item",
        })
    }
}

impl fmt::Display for TryGetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryGetError::Empty => "queue empty",
            TryGetError::Closed => "queue closed",
        })
    }
}

impl<T> fmt::Display for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PutError::Closed(_) => "queue closed",
            PutError::TimedOut(_) => "timed out waiting for room",
        })
    }
}

impl<T> fmt::Debug for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PutError::Closed(_) => "Closed(..)",
            PutError::TimedOut(_) => "TimedOut(..)",
        })
    }
}

impl<T> fmt::Display for TryPutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryPutError::Full(_) => "queue full",
            TryPutError::Closed(_) => "queue closed",
        })
    }
}

impl<T> fmt::Debug for TryPutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryPutError::Full(_) => "Full(..)",
            TryPutError::Closed(_) => "Closed(..)",
        })
    }
}

impl std::error::Error for GetError {}
impl std::error::Error for TryGetError {}
impl<T> std::error::Error for PutError<T> {}
impl<T> std::error::Error for TryPutError<T> {}

impl From<GetError> for io::Error {
    fn from(e: GetError) -> io::Error {
        let kind = match e {
            GetError::Closed => io::ErrorKind::BrokenPipe,
            GetError::TimedOut => io::ErrorKind::TimedOut,
        };
        io::Error::new(kind, e)
    }
}

impl From<TryGetError> for io::Error {
    fn from(e: TryGetError) -> io::Error {
        let kind = match e {
            TryGetError::Closed => io::ErrorKind::BrokenPipe,
            TryGetError::Empty => io::ErrorKind::WouldBlock,
        };
        io::Error::new(kind, e)
    }
}

impl<T> From<TryPutError<T>> for io::Error {
    fn from(e: TryPutError<T>) -> io::Error {
        match e {
            TryPutError::Closed(_) => io::Error::new(io::ErrorKind::BrokenPipe, "queue closed"),
            TryPutError::Full(_) => io::Error::new(io::ErrorKind::WouldBlock, "queue full"),
        }
    }
}

impl<T> From<PutError<T>> for io::Error {
    fn from(e: PutError<T>) -> io::Error {
        match e {
            PutError::Closed(_) => io::Error::new(io::ErrorKind::BrokenPipe, "queue closed"),
            PutError::TimedOut(_) => crate::time::timed_out(),
        }
    }
}
