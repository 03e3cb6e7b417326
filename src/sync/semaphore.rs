//! Counting semaphores: gevent's `Semaphore` and `BoundedSemaphore`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use std::{fmt, io};

use super::waiter::{self, WaitQueue};

/// A counting semaphore. [`acquire`](Semaphore::acquire) takes a permit
/// (waiting while none is free) and returns a guard that gives it back on
/// drop.
///
/// # Examples
///
/// ```
/// let sem = greenline::sync::Semaphore::new(2);
/// let a = sem.acquire().unwrap();
/// let _b = sem.acquire().unwrap();
/// assert!(sem.try_acquire().is_none());
/// drop(a);
/// assert!(sem.try_acquire().is_some());
/// ```
#[derive(Clone)]
pub struct Semaphore {
    inner: Arc<Mutex<State>>,
}

struct State {
    permits: usize,
    /// The most permits a `BoundedSemaphore` may hold.
    bound: Option<usize>,
    waiters: WaitQueue,
}

/// A permit; released when dropped.
#[must_use = "the permit is released when the guard is dropped"]
pub struct SemaphoreGuard {
    sem: Semaphore,
}

/// [`BoundedSemaphore::release`] would raise the count above its initial
/// value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReleaseError;

impl fmt::Display for ReleaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("semaphore released too many times")
    }
}

impl std::error::Error for ReleaseError {}

impl From<ReleaseError> for std::io::Error {
    fn from(e: ReleaseError) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, e)
    }
}

impl Semaphore {
    /// A semaphore with `permits` free permits.
    pub fn new(permits: usize) -> Semaphore {
        Semaphore::with_bound(permits, None)
    }

    fn with_bound(permits: usize, bound: Option<usize>) -> Semaphore {
        Semaphore {
            inner: Arc::new(Mutex::new(State {
                permits,
                bound,
                waiters: WaitQueue::new(),
            })),
        }
    }

    /// Takes a permit, waiting while none is free.
    ///
    /// Woken by a release (a dropped guard or [`release`](Semaphore::release)).
    ///
    /// # Errors
    ///
    /// `ErrorKind::TimedOut` when the caller's `Timeout` passes.
    pub fn acquire(&self) -> io::Result<SemaphoreGuard> {
        self.acquire_deadline(None)
    }

    /// Like [`acquire`](Semaphore::acquire), giving up after `timeout`.
    pub fn acquire_timeout(&self, timeout: Duration) -> io::Result<SemaphoreGuard> {
        self.acquire_deadline(crate::time::deadline_in(timeout))
    }

    /// Takes a permit if one is free.
    pub fn try_acquire(&self) -> Option<SemaphoreGuard> {
        let mut s = waiter::lock(&self.inner);
        take(&mut s).map(|()| self.guard())
    }

    fn acquire_deadline(&self, deadline: Option<Instant>) -> io::Result<SemaphoreGuard> {
        waiter::wait_while(&self.inner, deadline, "Semaphore::acquire", take, |s| {
            &mut s.waiters
        })
        .map(|()| self.guard())
        .map_err(|_| crate::time::timed_out())
    }

    fn guard(&self) -> SemaphoreGuard {
        SemaphoreGuard { sem: self.clone() }
    }

    /// Adds a permit (gevent's `release()` without a matching acquire).
    pub fn release(&self) {
        let mut s = waiter::lock(&self.inner);
        s.permits += 1;
        s.waiters.notify_one();
    }

    /// Free permits right now.
    pub fn available(&self) -> usize {
        waiter::lock(&self.inner).permits
    }

    fn release_bounded(&self) -> Result<(), ReleaseError> {
        let mut s = waiter::lock(&self.inner);
        if s.bound.is_some_and(|b| s.permits >= b) {
            return Err(ReleaseError);
        }
        s.permits += 1;
        s.waiters.notify_one();
        Ok(())
    }
}

fn take(s: &mut State) -> Option<()> {
    if s.permits > 0 {
        s.permits -= 1;
        Some(())
    } else {
        None
    }
}

impl SemaphoreGuard {
    /// Keeps the permit taken: the guard is consumed without releasing.
    pub fn forget(self) {
        std::mem::forget(self);
    }
}

impl Drop for SemaphoreGuard {
    fn drop(&mut self) {
        // A guard only exists for a taken permit, so even a bounded
        // semaphore has room for it.
        let _ = self.sem.release_bounded();
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("available", &self.available())
            .finish()
    }
}

impl fmt::Debug for SemaphoreGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SemaphoreGuard")
    }
}

/// A semaphore that refuses to be released above its initial count, which
/// catches a release without a matching acquire.
///
/// # Examples
///
/// ```
/// let sem = greenline::sync::BoundedSemaphore::new(1);
/// assert!(sem.release().is_err());
/// ```
#[derive(Clone, Debug)]
pub struct BoundedSemaphore(Semaphore);

impl BoundedSemaphore {
    /// A bounded semaphore with `permits` free permits, which is also its
    /// maximum.
    pub fn new(permits: usize) -> BoundedSemaphore {
        BoundedSemaphore(Semaphore::with_bound(permits, Some(permits)))
    }

    /// See [`Semaphore::acquire`].
    pub fn acquire(&self) -> io::Result<SemaphoreGuard> {
        self.0.acquire()
    }

    /// See [`Semaphore::acquire_timeout`].
    pub fn acquire_timeout(&self, timeout: Duration) -> io::Result<SemaphoreGuard> {
        self.0.acquire_timeout(timeout)
    }

    /// See [`Semaphore::try_acquire`].
    pub fn try_acquire(&self) -> Option<SemaphoreGuard> {
        self.0.try_acquire()
    }

    /// Gives back a permit taken with [`SemaphoreGuard::forget`].
    ///
    /// # Errors
    ///
    /// [`ReleaseError`] when every permit is already free.
    pub fn release(&self) -> Result<(), ReleaseError> {
        self.0.release_bounded()
    }

    /// Free permits right now.
    pub fn available(&self) -> usize {
        self.0.available()
    }
}
