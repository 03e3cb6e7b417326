//! A flag greenlets wait on: gevent's `Event`.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::waiter::{self, WaitQueue};

/// A flag that can be set and cleared; waiters wake when it is set.
///
/// # Examples
///
/// ```
/// let ev = greenline::sync::Event::new();
/// let setter = { let ev = ev.clone(); greenline::spawn(move || ev.set()) };
/// ev.wait().unwrap();
/// setter.join().unwrap();
/// assert!(ev.is_set());
/// ```
#[derive(Clone, Default)]
pub struct Event {
    inner: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    set: bool,
    waiters: WaitQueue,
}

impl Event {
    /// A new, unset event.
    pub fn new() -> Event {
        Event::default()
    }

    /// Sets the flag and wakes every waiter.
    pub fn set(&self) {
        let mut s = waiter::lock(&self.inner);
        s.set = true;
        s.waiters.notify_all();
    }

    /// Clears the flag; later waits block until the next `set`.
    pub fn clear(&self) {
        waiter::lock(&self.inner).set = false;
    }

    /// True while the flag is set.
    pub fn is_set(&self) -> bool {
        waiter::lock(&self.inner).set
    }

    /// Waits until the flag is set; returns at once if it already is.
    ///
    /// Woken by [`set`](Event::set). Dropping every handle cannot happen
    /// while a caller waits (the caller holds one).
    ///
    /// # Errors
    ///
    /// `ErrorKind::TimedOut` when the caller's [`crate::Timeout`] passes.
    pub fn wait(&self) -> io::Result<()> {
        self.wait_deadline(None)
    }

    /// Like [`wait`](Event::wait), giving up with `ErrorKind::TimedOut`
    /// after `timeout`.
    pub fn wait_timeout(&self, timeout: Duration) -> io::Result<()> {
        self.wait_deadline(crate::time::deadline_in(timeout))
    }

    fn wait_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        waiter::wait_while(
            &self.inner,
            deadline,
            "Event::wait",
            |s| s.set.then_some(()),
            |s| &mut s.waiters,
        )
        .map_err(|_| crate::time::timed_out())
    }
}

impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Event")
            .field("set", &self.is_set())
            .finish()
    }
}
