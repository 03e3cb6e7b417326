//! The greenlets a service spawned through its context: joined for the
//! service's stop timeout when it stops, then killed, never killing the
//! greenlet that runs the stop.

use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::greenlet::header::Header;
use crate::sync::waiter::lock;
use crate::{Builder, Greenlet};

/// How long a stop waits for killed greenlets to unwind (as the servers'
/// `stop` does); one that never yields dies at its next yield.
const KILL_WAIT: Duration = Duration::from_secs(1);

/// A service's running greenlets, by id. Each leaves when it ends (through
/// its link). Cheap to clone; clones share the set.
#[derive(Clone, Default)]
pub(super) struct Greenlets {
    members: Arc<Mutex<BTreeMap<u64, Arc<Header>>>>,
}

impl Greenlets {
    /// Spawns `f` in a greenlet named `name`, as a member.
    pub(super) fn spawn<F, T>(&self, name: String, f: F) -> io::Result<Greenlet<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let g = Builder::new().name(name).spawn(f)?;
        let header = g.header().clone();
        let id = header.id;
        // Inserted before the link: a link added after the end runs at
        // once, so no entry outlives its greenlet.
        lock(&self.members).insert(id, header);
        let members = Arc::downgrade(&self.members);
        g.link(move |_| {
            if let Some(m) = members.upgrade() {
                lock(&m).remove(&id);
            }
        });
        Ok(g)
    }

    /// Members still running, but the greenlet `except` (the one running
    /// the stop). Cloned out so no lock is held while waiting.
    fn running(&self, except: Option<u64>) -> Vec<Arc<Header>> {
        lock(&self.members)
            .iter()
            .filter(|(id, h)| Some(**id) != except && !h.is_done())
            .map(|(_, h)| h.clone())
            .collect()
    }

    /// The number of members still running.
    pub(super) fn len(&self) -> usize {
        self.running(None).len()
    }

    /// Waits up to `timeout` for the members but `except` to end, then
    /// kills those left and waits up to a second for them to unwind.
    /// Returns the names of the killed ones (empty when all ended in
    /// time). Woken by each member's end; members spawned while it waits
    /// are waited for too.
    pub(super) fn join_or_kill(&self, timeout: Duration, except: Option<u64>) -> Vec<String> {
        let deadline = crate::time::deadline_in(timeout);
        loop {
            let pending = self.running(except);
            if pending.is_empty() {
                return Vec::new();
            }
            if !pending.iter().all(|h| h.wait(deadline).is_ok()) {
                break;
            }
        }
        let left = self.running(except);
        left.iter().for_each(|h| h.request_kill());
        let deadline = Instant::now() + KILL_WAIT;
        if !left.iter().all(|h| h.wait(Some(deadline)).is_ok()) {
            log::warn!(
                "a service greenlet did not die within {KILL_WAIT:?} of being killed \
                 (it never yields); it will die at its next yield"
            );
        }
        left.iter().map(|h| h.label()).collect()
    }
}
