//! A set of running greenlets that a stop waits for and then kills: a
//! server's handlers, a service's greenlets. Never kills the greenlet that
//! runs the stop.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::header::Header;
use super::Greenlet;
use crate::sync::waiter::lock;

/// How long [`Members::join_or_kill`] waits for killed greenlets to unwind;
/// one that never yields dies at its next yield.
pub(crate) const KILL_WAIT: Duration = Duration::from_secs(1);

/// Running greenlets by id. Each leaves when it ends (through its link).
/// Cheap to clone; clones share the set.
#[derive(Clone, Default)]
pub(crate) struct Members {
    running: Arc<Mutex<BTreeMap<u64, Arc<Header>>>>,
}

impl Members {
    /// Keeps `g` in the set until it ends.
    pub(crate) fn add<T>(&self, g: &Greenlet<T>) {
        let header = g.header().clone();
        let id = header.id;
        // Inserted before the link: a link added after the end runs at
        // once, so no entry outlives its greenlet.
        lock(&self.running).insert(id, header);
        let running = Arc::downgrade(&self.running);
        g.link(move |_| {
            if let Some(r) = running.upgrade() {
                lock(&r).remove(&id);
            }
        });
    }

    /// Members still running, but the greenlet `except`. Cloned out so no
    /// lock is held while waiting.
    fn running(&self, except: Option<u64>) -> Vec<Arc<Header>> {
        lock(&self.running)
            .iter()
            .filter(|(id, h)| Some(**id) != except && !h.is_done())
            .map(|(_, h)| h.clone())
            .collect()
    }

    /// The number of members still running.
    pub(crate) fn len(&self) -> usize {
        self.running(None).len()
    }

    /// Waits up to `timeout` for the members but `except` to end, then
    /// kills those left and waits up to [`KILL_WAIT`] for them to unwind.
    /// Returns the labels of the killed ones (empty when all ended in
    /// time). Woken by each member's end; members added while it waits
    /// are waited for too. `who` names the set in the warning logged for
    /// a member that does not die ("StreamServer 127.0.0.1:80: a handler").
    pub(crate) fn join_or_kill(
        &self,
        timeout: Duration,
        except: Option<u64>,
        who: &str,
    ) -> Vec<String> {
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
                "{who} did not die within {KILL_WAIT:?} of being killed \
                 (it never yields); it will die at its next yield"
            );
        }
        left.iter().map(|h| h.label()).collect()
    }
}
