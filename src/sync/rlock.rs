//! A reentrant lock: gevent's `RLock`.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use std::{fmt, io};

use super::waiter::{self, WaitQueue};

/// A lock the holder may take again; it is free once every guard is dropped.
///
/// The owner is the calling greenlet (or, on a plain thread, the thread), so
/// a greenlet that moves between workers keeps its lock.
///
/// # Examples
///
/// ```
/// let lock = greenline::sync::RLock::new();
/// let outer = lock.lock().unwrap();
/// let inner = lock.lock().unwrap(); // same owner: no deadlock
/// drop(inner);
/// drop(outer);
/// ```
#[derive(Clone, Default)]
pub struct RLock {
    inner: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    owner: Option<u64>,
    depth: usize,
    waiters: WaitQueue,
}

/// Holds one level of an [`RLock`]; released when dropped.
#[must_use = "the lock is released when the guard is dropped"]
pub struct RLockGuard {
    lock: RLock,
}

impl RLock {
    /// A new, free lock.
    pub fn new() -> RLock {
        RLock::default()
    }

    /// Takes the lock, waiting while another owner holds it.
    ///
    /// Woken when the holder drops its last guard.
    ///
    /// # Errors
    ///
    /// `ErrorKind::TimedOut` when the caller's `Timeout` passes.
    pub fn lock(&self) -> io::Result<RLockGuard> {
        self.lock_deadline(None)
    }

    /// Like [`lock`](RLock::lock), giving up after `timeout`.
    pub fn lock_timeout(&self, timeout: Duration) -> io::Result<RLockGuard> {
        self.lock_deadline(crate::time::deadline_in(timeout))
    }

    /// Takes the lock if it is free or already ours.
    pub fn try_lock(&self) -> Option<RLockGuard> {
        let me = owner_token();
        let mut s = waiter::lock(&self.inner);
        take(&mut s, me).map(|()| RLockGuard { lock: self.clone() })
    }

    fn lock_deadline(&self, deadline: Option<Instant>) -> io::Result<RLockGuard> {
        let me = owner_token();
        waiter::wait_while(
            &self.inner,
            deadline,
            "RLock::lock",
            |s| take(s, me),
            |s| &mut s.waiters,
        )
        .map(|()| RLockGuard { lock: self.clone() })
        .map_err(|_| crate::time::timed_out())
    }

    /// True while some owner holds the lock.
    pub fn is_locked(&self) -> bool {
        waiter::lock(&self.inner).owner.is_some()
    }
}

fn take(s: &mut State, me: u64) -> Option<()> {
    match s.owner {
        None => {
            s.owner = Some(me);
            s.depth = 1;
            Some(())
        }
        Some(o) if o == me => {
            s.depth += 1;
            Some(())
        }
        Some(_) => None,
    }
}

impl Drop for RLockGuard {
    fn drop(&mut self) {
        let mut s = waiter::lock(&self.lock.inner);
        s.depth -= 1;
        if s.depth == 0 {
            s.owner = None;
            s.waiters.notify_one();
        }
    }
}

/// The current greenlet's id, or a per-thread token with the top bit set.
fn owner_token() -> u64 {
    if let Some(id) = crate::greenlet::current_id() {
        return id;
    }
    static NEXT: AtomicU64 = AtomicU64::new(1);
    thread_local! {
        static TOKEN: Cell<u64> = const { Cell::new(0) };
    }
    TOKEN.with(|t| {
        if t.get() == 0 {
            t.set(NEXT.fetch_add(1, Ordering::Relaxed) | 1 << 63);
        }
        t.get()
    })
}

impl fmt::Debug for RLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RLock")
            .field("locked", &self.is_locked())
            .finish()
    }
}

impl fmt::Debug for RLockGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RLockGuard")
    }
}
