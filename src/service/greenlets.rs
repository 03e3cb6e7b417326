//! The greenlets a service spawned through its context: joined for the
//! service's stop timeout when it stops, then killed, never killing the
//! greenlet that runs the stop (`greenlet::members`, shared with the
//! servers' handlers).

use std::io;
use std::time::Duration;

use crate::greenlet::members::Members;
use crate::{Builder, Greenlet};

/// A service's running greenlets. Cheap to clone; clones share the set.
#[derive(Clone, Default)]
pub(super) struct Greenlets {
    members: Members,
}

impl Greenlets {
    /// Spawns `f` in a greenlet named `name`, as a member.
    pub(super) fn spawn<F, T>(&self, name: String, f: F) -> io::Result<Greenlet<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let g = Builder::new().name(name).spawn(f)?;
        self.members.add(&g);
        Ok(g)
    }

    /// The number of members still running.
    pub(super) fn len(&self) -> usize {
        self.members.len()
    }

    /// Waits up to `timeout` for the members but `except` to end, then
    /// kills those left (see `Members::join_or_kill`); the names of the
    /// killed ones.
    pub(super) fn join_or_kill(&self, timeout: Duration, except: Option<u64>) -> Vec<String> {
        self.members
            .join_or_kill(timeout, except, "a service greenlet")
    }
}
