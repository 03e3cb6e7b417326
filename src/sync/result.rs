//! A value or an error delivered once to any number of waiters: gevent's
//! `AsyncResult`.

use std::fmt;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::waiter::{self, WaitQueue};

/// A one-shot cell: set once with a value or an error, read by any number
/// of waiters.
///
/// # Examples
///
/// ```
/// use greenline::sync::AsyncResult;
/// let r: AsyncResult<u32, String> = AsyncResult::new();
/// let w = { let r = r.clone(); greenline::spawn(move || r.get()) };
/// r.set(7);
/// assert_eq!(w.join().unwrap(), Ok(7));
/// ```
pub struct AsyncResult<T, E> {
    inner: Arc<Mutex<State<T, E>>>,
}

struct State<T, E> {
    value: Option<Result<T, E>>,
    waiters: WaitQueue,
}

/// Why [`AsyncResult::get`] returned no value.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResultError<E> {
    /// The result was set with this error.
    Failed(E),
    /// The wait's timeout or the caller's `Timeout` passed first.
    TimedOut,
    /// `try_get` found no result yet.
    NotReady,
}

impl<E: fmt::Display> fmt::Display for ResultError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResultError::Failed(e) => write!(f, "result failed: {e}"),
            ResultError::TimedOut => f.write_str("timed out waiting for the result"),
            ResultError::NotReady => f.write_str("result not ready"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for ResultError<E> {}

/// For `get()?` in an `io::Result` function: a set error becomes an
/// `io::Error` of kind `Other` holding it, a timeout `TimedOut`, "not
/// ready" `WouldBlock`.
impl<E: std::error::Error + Send + Sync + 'static> From<ResultError<E>> for io::Error {
    fn from(e: ResultError<E>) -> io::Error {
        match e {
            ResultError::Failed(e) => io::Error::other(e),
            ResultError::TimedOut => crate::time::timed_out(),
            ResultError::NotReady => io::Error::new(io::ErrorKind::WouldBlock, "result not ready"),
        }
    }
}

impl<T: Clone, E: Clone> AsyncResult<T, E> {
    /// An empty result.
    pub fn new() -> AsyncResult<T, E> {
        AsyncResult {
            inner: Arc::new(Mutex::new(State {
                value: None,
                waiters: WaitQueue::new(),
            })),
        }
    }

    /// Sets the value and wakes every waiter. Returns false (and changes
    /// nothing) when the result was already set.
    pub fn set(&self, value: T) -> bool {
        self.complete(Ok(value))
    }

    /// Sets an error and wakes every waiter; false when already set.
    pub fn set_error(&self, error: E) -> bool {
        self.complete(Err(error))
    }

    fn complete(&self, r: Result<T, E>) -> bool {
        let mut s = waiter::lock(&self.inner);
        if s.value.is_some() {
            return false;
        }
        s.value = Some(r);
        s.waiters.notify_all();
        true
    }

    /// True once set (with a value or an error).
    pub fn is_ready(&self) -> bool {
        waiter::lock(&self.inner).value.is_some()
    }

    /// True once set with a value.
    pub fn is_successful(&self) -> bool {
        matches!(waiter::lock(&self.inner).value, Some(Ok(_)))
    }

    /// Waits until the result is set and returns a copy of it.
    ///
    /// Woken by [`set`](AsyncResult::set) or
    /// [`set_error`](AsyncResult::set_error).
    ///
    /// # Errors
    ///
    /// [`ResultError::Failed`] with the error it was set with;
    /// [`ResultError::TimedOut`] when the caller's `Timeout` passes.
    pub fn get(&self) -> Result<T, ResultError<E>> {
        self.get_deadline(None)
    }

    /// Like [`get`](AsyncResult::get), giving up after `timeout`.
    pub fn get_timeout(&self, timeout: Duration) -> Result<T, ResultError<E>> {
        self.get_deadline(crate::time::deadline_in(timeout))
    }

    /// The result if it is set, without waiting.
    pub fn try_get(&self) -> Result<T, ResultError<E>> {
        match &waiter::lock(&self.inner).value {
            Some(r) => r.clone().map_err(ResultError::Failed),
            None => Err(ResultError::NotReady),
        }
    }

    fn get_deadline(&self, deadline: Option<Instant>) -> Result<T, ResultError<E>> {
        let r = waiter::wait_while(
            &self.inner,
            deadline,
            "AsyncResult::get",
            |s| s.value.clone(),
            |s| &mut s.waiters,
        );
        match r {
            Ok(v) => v.map_err(ResultError::Failed),
            Err(_) => Err(ResultError::TimedOut),
        }
    }
}

impl<T: Clone, E: Clone> Default for AsyncResult<T, E> {
    fn default() -> Self {
        AsyncResult::new()
    }
}

impl<T, E> Clone for AsyncResult<T, E> {
    fn clone(&self) -> Self {
        AsyncResult {
            inner: self.inner.clone(),
        }
    }
}

impl<T, E> fmt::Debug for AsyncResult<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ready = waiter::lock(&self.inner).value.is_some();
        f.debug_struct("AsyncResult")
            .field("ready", &ready)
            .finish()
    }
}
