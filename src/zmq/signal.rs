//! The one wait primitive every socket, connection and poller parks on.
//!
//! A [`Signal`] is a generation counter with a wait queue. Whoever changes
//! something another party may wait for (a message pushed into a pipe, room
//! freed, a peer attached, a connection closed) calls [`Signal::notify`] on
//! that party's signal *after* releasing its own locks. A waiter reads the
//! generation, checks its condition with no signal lock held, and parks only
//! if the generation is still the one it read: a change made between its
//! check and its park bumps the generation first, so it cannot be missed.
//!
//! Nobody takes a signal's lock while holding a socket state or pipe lock
//! (pipe operations return the signals to notify instead of notifying), and
//! a signal's lock is never held while taking another lock.

use std::sync::{Arc, Mutex, Weak};
use std::time::Instant;

use crate::sync::waiter::{self, WaitError, WaitQueue};

/// Parked callers plus the signals (pollers) that watch this one.
#[derive(Default)]
struct State {
    /// Bumped by every notify.
    generation: u64,
    waiters: WaitQueue,
    /// Pollers that want to hear about every change here.
    observers: Vec<Weak<Signal>>,
}

/// Wakes everybody waiting for a change on one party (see the module docs).
#[derive(Default)]
pub(crate) struct Signal {
    state: Mutex<State>,
}

impl Signal {
    pub(crate) fn new() -> Arc<Signal> {
        Arc::new(Signal::default())
    }

    /// Wakes every waiter and every observer. Must be called with no socket
    /// or pipe lock held.
    pub(crate) fn notify(&self) {
        let observers: Vec<Arc<Signal>> = {
            let mut s = waiter::lock(&self.state);
            s.generation = s.generation.wrapping_add(1);
            s.waiters.notify_all();
            s.observers.retain(|o| o.strong_count() > 0);
            s.observers.iter().filter_map(Weak::upgrade).collect()
        };
        for o in observers {
            o.notify();
        }
    }

    /// Makes `observer` hear about every change on this signal.
    pub(crate) fn observe(&self, observer: &Arc<Signal>) {
        let mut s = waiter::lock(&self.state);
        if !s
            .observers
            .iter()
            .any(|o| o.as_ptr() == Arc::as_ptr(observer))
        {
            s.observers.push(Arc::downgrade(observer));
        }
    }

    /// Stops `observer` hearing about changes here.
    pub(crate) fn unobserve(&self, observer: &Arc<Signal>) {
        let mut s = waiter::lock(&self.state);
        s.observers
            .retain(|o| o.as_ptr() != Arc::as_ptr(observer) && o.strong_count() > 0);
    }

    /// Calls `poll` until it returns `Some`, parking between calls until
    /// [`notify`](Signal::notify) or the deadline (merged with the caller's
    /// `Timeout`). `poll` runs with no signal lock held; the signals it
    /// collects in the [`Wakeups`] are notified before each park and before
    /// returning.
    pub(crate) fn wait<R>(
        &self,
        deadline: Option<Instant>,
        what: &'static str,
        wake: &mut Wakeups,
        mut poll: impl FnMut(&mut Wakeups) -> Option<R>,
    ) -> Result<R, WaitError> {
        loop {
            let seen = waiter::lock(&self.state).generation;
            let ready = poll(wake);
            wake.run();
            if let Some(r) = ready {
                return Ok(r);
            }
            let changed = waiter::wait_while(
                &self.state,
                deadline,
                what,
                |s| (s.generation != seen).then_some(()),
                |s| &mut s.waiters,
            );
            if changed.is_err() {
                // One last look: a value that arrived with the deadline is taken.
                let last = poll(wake);
                wake.run();
                return last.ok_or(WaitError::TimedOut);
            }
        }
    }
}

/// Signals to notify once the caller's locks are released.
#[derive(Default)]
pub(crate) struct Wakeups(Vec<Arc<Signal>>);

impl Wakeups {
    #[inline]
    pub(crate) fn push(&mut self, signal: Option<Arc<Signal>>) {
        if let Some(s) = signal {
            self.add(s);
        }
    }

    fn add(&mut self, s: Arc<Signal>) {
        if !self.0.iter().any(|x| Arc::ptr_eq(x, &s)) {
            self.0.push(s);
        }
    }

    /// Notifies every collected signal (call with no lock held).
    #[inline]
    pub(crate) fn run(&mut self) {
        if !self.0.is_empty() {
            self.notify_all(); // the common case is nobody waiting
        }
    }

    fn notify_all(&mut self) {
        for s in self.0.drain(..) {
            s.notify();
        }
    }
}
