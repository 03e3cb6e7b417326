//! Where a service is in its lifecycle, which hook runs, and what `do_start`
//! says about readiness.

use std::fmt;

/// Where a service is in its lifecycle (see the diagram in
/// [`crate::service`]).
///
/// The order of the variants is the lifecycle's: a wait for a state
/// ([`ServiceTree::wait_state`](super::ServiceTree::wait_state)) also ends
/// when the service has gone past it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    /// Built, never started (or added to a tree and not started yet).
    Init,
    /// `start` runs: its hooks, its children's starts, or the wait for
    /// [`ServiceContext::set_ready`](super::ServiceContext::set_ready).
    Starting,
    /// Started and ready: the service does its work.
    Ready,
    /// `stop` runs: its hooks, its greenlets' grace period, its children's
    /// stops.
    Stopping,
    /// Stopped, after a stop or after a start that was rolled back; it may
    /// be started again.
    Stopped,
    /// Its own start failed (a hook's error or panic, or it did not become
    /// ready in time) and what it had started was stopped; it may be
    /// started again.
    Failed,
}

impl State {
    /// The state's name in lower case, as status files and logs show it.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Init => "init",
            State::Starting => "starting",
            State::Ready => "ready",
            State::Stopping => "stopping",
            State::Stopped => "stopped",
            State::Failed => "failed",
        }
    }

    /// True for the states a service rests in when nothing runs it:
    /// `Init`, `Stopped`, `Failed` (it may be started from them).
    pub fn is_at_rest(self) -> bool {
        matches!(self, State::Init | State::Stopped | State::Failed)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A lifecycle hook of [`Service`](super::Service), as errors name it.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Hook {
    /// [`Service::pre_start`](super::Service::pre_start).
    PreStart,
    /// [`Service::do_start`](super::Service::do_start).
    DoStart,
    /// The wait for [`ServiceContext::set_ready`](super::ServiceContext::set_ready)
    /// after `do_start` returned [`Ready::Later`].
    Ready,
    /// [`Service::post_start`](super::Service::post_start).
    PostStart,
    /// [`Service::pre_stop`](super::Service::pre_stop).
    PreStop,
    /// [`Service::do_stop`](super::Service::do_stop).
    DoStop,
    /// [`Service::post_stop`](super::Service::post_stop).
    PostStop,
    /// [`Service::do_reload`](super::Service::do_reload).
    DoReload,
}

impl Hook {
    /// The hook's name as the trait spells it (`do_start`).
    pub fn as_str(self) -> &'static str {
        match self {
            Hook::PreStart => "pre_start",
            Hook::DoStart => "do_start",
            Hook::Ready => "ready",
            Hook::PostStart => "post_start",
            Hook::PreStop => "pre_stop",
            Hook::DoStop => "do_stop",
            Hook::PostStop => "post_stop",
            Hook::DoReload => "do_reload",
        }
    }
}

impl fmt::Display for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What [`Service::do_start`](super::Service::do_start) says about the
/// service's readiness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ready {
    /// Ready now (a server that listens, a client that connected).
    Now,
    /// Not ready yet: the service calls
    /// [`ServiceContext::set_ready`](super::ServiceContext::set_ready)
    /// later, from a greenlet it spawned; `start` waits for that up to the
    /// service's [`ready_timeout`](super::Service::ready_timeout).
    Later,
}
