//! [`ServiceContext`]: what a service's hooks are given to reach the tree:
//! its path, its greenlets, `set_ready`, and the stop of the whole tree.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use super::error::StopReport;
use super::greenlets::Greenlets;
use super::state::State;
use crate::Greenlet;

/// What a context asks of the tree node it belongs to. The node implements
/// it; the context holds it weakly, so a context kept by a greenlet does
/// not keep a removed node alive.
pub(super) trait TreeLink: Send + Sync {
    /// The node's path from the root (`app/http`).
    fn path(&self) -> String;
    /// The node's state.
    fn state(&self) -> State;
    /// Marks the node ready (see [`ServiceContext::set_ready`]).
    fn set_ready(&self);
    /// Stops the whole tree from its root, sparing the greenlet `caller`.
    fn stop_root(&self, caller: Option<u64>) -> StopReport;
}

/// A service's handle on its place in the tree, given to every hook of
/// [`Service`](super::Service) and cheap to clone into the greenlets the
/// service spawns.
///
/// It owns the service's greenlets: those spawned with
/// [`spawn`](ServiceContext::spawn) and
/// [`spawn_later`](ServiceContext::spawn_later) are joined when the service
/// stops, for its [`stop_timeout`](super::Service::stop_timeout), and then
/// killed.
#[derive(Clone)]
pub struct ServiceContext {
    link: Weak<dyn TreeLink>,
    greenlets: Greenlets,
    /// Numbers the greenlets for their names.
    spawned: Arc<AtomicU64>,
}

impl ServiceContext {
    pub(super) fn new(link: Weak<dyn TreeLink>) -> ServiceContext {
        ServiceContext {
            link,
            greenlets: Greenlets::default(),
            spawned: Arc::new(AtomicU64::new(0)),
        }
    }

    pub(super) fn greenlets(&self) -> &Greenlets {
        &self.greenlets
    }

    /// The service's path in the tree: its ancestors' names and its own,
    /// joined by `/` (`app/http`). Empty once the service was dropped from
    /// its tree.
    pub fn path(&self) -> String {
        self.link.upgrade().map(|l| l.path()).unwrap_or_default()
    }

    /// The service's state; `Stopped` once the service was dropped from its
    /// tree.
    pub fn state(&self) -> State {
        self.link.upgrade().map_or(State::Stopped, |l| l.state())
    }

    /// Says the service is ready, after its
    /// [`do_start`](super::Service::do_start) returned
    /// [`Ready::Later`](super::Ready::Later): wakes the `start` waiting for
    /// it. Harmless at any other time (a second call, a call before
    /// `do_start` returned, a call while stopping: ignored then).
    pub fn set_ready(&self) {
        if let Some(l) = self.link.upgrade() {
            l.set_ready();
        }
    }

    /// Spawns `f` in a greenlet of the service, named after its path.
    ///
    /// The greenlet is joined when the service stops, for its stop
    /// timeout, and then killed (it unwinds at its next blocking call).
    ///
    /// # Panics
    ///
    /// When the greenlet's stack cannot be mapped, as [`crate::spawn`].
    pub fn spawn<F, T>(&self, f: F) -> Greenlet<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let n = self.spawned.fetch_add(1, Ordering::Relaxed);
        let name = format!("{}#{n}", self.path());
        match self.greenlets.spawn(name, f) {
            Ok(g) => g,
            Err(e) => panic!("ServiceContext::spawn: {e}"),
        }
    }

    /// Spawns a greenlet of the service that sleeps `delay`, then runs `f`:
    /// gevent's `spawn_later`. A stop during the delay kills it before `f`
    /// runs (the sleep is not waited out: the stop's grace period applies).
    ///
    /// # Panics
    ///
    /// As [`spawn`](ServiceContext::spawn).
    pub fn spawn_later<F, T>(&self, delay: Duration, f: F) -> Greenlet<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.spawn(move || {
            // A new greenlet has no Timeout in force; a kill ends the sleep.
            let _ = crate::sleep(delay);
            f()
        })
    }

    /// The number of the service's greenlets still running.
    pub fn greenlet_count(&self) -> usize {
        self.greenlets.len()
    }

    /// Stops the whole tree the service is in, from its root, and returns
    /// what the stop reports: the same as
    /// [`ServiceTree::stop`](super::ServiceTree::stop) on the root.
    ///
    /// Called from one of the tree's greenlets (this service's or
    /// another's), the stop neither waits for nor kills the caller, which
    /// carries on once it returns. Blocks until the tree is stopped; see
    /// `ServiceTree::stop` for what wakes it.
    pub fn stop_tree(&self) -> StopReport {
        match self.link.upgrade() {
            Some(l) => l.stop_root(crate::current_id()),
            None => StopReport::default(),
        }
    }
}

impl fmt::Debug for ServiceContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceContext")
            .field("path", &self.path())
            .field("greenlets", &self.greenlet_count())
            .finish()
    }
}
