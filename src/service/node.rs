//! A node of the tree: a service, its children, its state and the waits on
//! it. The start and stop algorithms are in `lifecycle.rs`; the public
//! handle is `ServiceTree` (`tree.rs`).

use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use super::context::{ServiceContext, TreeLink};
use super::error::{ServiceError, StopReport};
use super::hooks::Service;
use super::state::{Hook, State};
use crate::sync::waiter::lock;
use crate::sync::Event;

/// A state-change hook: `(path, new state)`.
pub(super) type StateHook = Arc<dyn Fn(&str, State) + Send + Sync>;

pub(super) struct Node {
    /// This node, for the context's link back (see `lifecycle.rs`).
    pub(super) me: Weak<Node>,
    /// The name among siblings, read once from the service.
    pub(super) name: String,
    pub(super) service: Arc<dyn Service>,
    pub(super) ctx: ServiceContext,
    /// The parent, once added to one (empty for a root).
    pub(super) parent: Mutex<Weak<Node>>,
    /// Children in the order added: started in this order, stopped in
    /// reverse.
    pub(super) children: Mutex<Vec<Arc<Node>>>,
    status: Mutex<Status>,
    /// Called on every change of this node's state or a descendant's.
    hooks: Mutex<Vec<StateHook>>,
    /// Overrides of the service's timeouts: (ready, stop).
    pub(super) timeouts: Mutex<(Option<Duration>, Option<Duration>)>,
    /// What the last stop of this node reported, for `serve_forever`.
    pub(super) last_report: Mutex<StopReport>,
}

/// What changes as the node goes through its lifecycle.
struct Status {
    state: State,
    /// Set (and replaced) on every change below: what waiters wait on.
    changed: Event,
    /// `set_ready` was called during this start.
    ready: bool,
    /// A stop was asked for while starting, by this greenlet (`None` off
    /// greenlets): the start rolls back, sparing it.
    abort: Option<Option<u64>>,
    /// The greenlet running this node's start or stop, so a stop asked
    /// from inside it does not wait for itself.
    busy_in: Option<u64>,
}

impl Node {
    pub(super) fn new(service: Arc<dyn Service>) -> Arc<Node> {
        let name = service.name();
        Arc::new_cyclic(|me: &Weak<Node>| {
            let link: Weak<dyn TreeLink> = me.clone();
            Node {
                me: me.clone(),
                name,
                service,
                ctx: ServiceContext::new(link),
                parent: Mutex::new(Weak::new()),
                children: Mutex::new(Vec::new()),
                status: Mutex::new(Status {
                    state: State::Init,
                    changed: Event::new(),
                    ready: false,
                    abort: None,
                    busy_in: None,
                }),
                hooks: Mutex::new(Vec::new()),
                timeouts: Mutex::new((None, None)),
                last_report: Mutex::new(StopReport::default()),
            }
        })
    }

    pub(super) fn parent(&self) -> Option<Arc<Node>> {
        lock(&self.parent).upgrade()
    }

    pub(super) fn root(&self) -> Arc<Node> {
        let mut node = self.me.upgrade().expect("a node is alive while borrowed");
        while let Some(p) = node.parent() {
            node = p;
        }
        node
    }

    pub(super) fn path_of(&self) -> String {
        let mut names = vec![self.name.clone()];
        let mut up = self.parent();
        while let Some(p) = up {
            names.push(p.name.clone());
            up = p.parent();
        }
        names.reverse();
        names.join("/")
    }

    pub(super) fn children(&self) -> Vec<Arc<Node>> {
        lock(&self.children).clone()
    }

    pub(super) fn state_now(&self) -> State {
        lock(&self.status).state
    }

    pub(super) fn ready_timeout(&self) -> Duration {
        lock(&self.timeouts)
            .0
            .unwrap_or_else(|| self.service.ready_timeout())
    }

    pub(super) fn stop_timeout(&self) -> Duration {
        lock(&self.timeouts)
            .1
            .unwrap_or_else(|| self.service.stop_timeout())
    }

    pub(super) fn add_hook(&self, hook: StateHook) {
        lock(&self.hooks).push(hook);
    }

    /// Moves to `state` if the current one passes `from`; returns the state
    /// found otherwise. Marks the calling greenlet busy in the node.
    pub(super) fn enter(&self, from: impl Fn(State) -> bool, state: State) -> Result<(), State> {
        let mut s = lock(&self.status);
        if !from(s.state) {
            return Err(s.state);
        }
        s.state = state;
        s.ready = false;
        s.abort = None;
        s.busy_in = crate::current_id();
        Self::wake(&mut s);
        drop(s);
        self.announce(state);
        Ok(())
    }

    /// Moves to `state` (the end of a start or a stop) and tells waiters
    /// and hooks.
    pub(super) fn set_state(&self, state: State) {
        let mut s = lock(&self.status);
        s.state = state;
        if state.is_at_rest() || state == State::Ready {
            s.busy_in = None;
        }
        Self::wake(&mut s);
        drop(s);
        self.announce(state);
    }

    /// Wakes every waiter: sets the event they hold and gives later ones a
    /// fresh one.
    fn wake(s: &mut Status) {
        let old = std::mem::take(&mut s.changed);
        old.set();
    }

    /// Calls the state-change hooks of this node and of its ancestors.
    fn announce(&self, state: State) {
        let path = self.path_of();
        let mut hooks: Vec<StateHook> = lock(&self.hooks).clone();
        let mut up = self.parent();
        while let Some(p) = up {
            hooks.extend(lock(&p.hooks).iter().cloned());
            up = p.parent();
        }
        for h in hooks {
            h(&path, state);
        }
    }

    /// Asks a start in progress to roll back, sparing `caller`. Returns
    /// false when the caller is the greenlet running the start (which must
    /// not wait for itself).
    pub(super) fn abort_start(&self, caller: Option<u64>) -> bool {
        let mut s = lock(&self.status);
        s.abort = Some(caller);
        let waits = caller.is_none() || s.busy_in != caller;
        Self::wake(&mut s);
        waits
    }

    /// The abort asked for during this start, if any: `Some(spared)`.
    pub(super) fn aborted(&self) -> Option<Option<u64>> {
        lock(&self.status).abort
    }

    /// True when `caller` runs this node's start or stop now.
    pub(super) fn is_busy_in(&self, caller: Option<u64>) -> bool {
        caller.is_some() && lock(&self.status).busy_in == caller
    }

    /// Marks `set_ready` as called, if the node is starting.
    pub(super) fn mark_ready(&self) {
        let mut s = lock(&self.status);
        if s.state == State::Starting && !s.ready {
            s.ready = true;
            Self::wake(&mut s);
        }
    }

    /// Waits until `until` holds for (state, ready, aborted), or `deadline`
    /// passes: `Err` with the state then. Woken by every change.
    pub(super) fn wait_until(
        &self,
        until: impl Fn(State, bool, bool) -> bool,
        deadline: Option<Instant>,
    ) -> Result<State, State> {
        loop {
            let (state, changed) = {
                let s = lock(&self.status);
                if until(s.state, s.ready, s.abort.is_some()) {
                    return Ok(s.state);
                }
                (s.state, s.changed.clone())
            };
            let left = match deadline {
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => left,
                    _ => return Err(state),
                },
                None => Duration::MAX,
            };
            if changed.wait_timeout(left).is_err() && deadline.is_none_or(|d| Instant::now() >= d) {
                return Err(lock(&self.status).state);
            }
        }
    }

    /// Runs `hook` of the service, turning an error or a panic into a
    /// `ServiceError` naming the node. A kill unwinding through the hook is
    /// let through.
    pub(super) fn call<T>(
        &self,
        hook: Hook,
        f: impl FnOnce(&dyn Service, &ServiceContext) -> std::io::Result<T>,
    ) -> Result<T, ServiceError> {
        match panic::catch_unwind(AssertUnwindSafe(|| f(&*self.service, &self.ctx))) {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(source)) => Err(ServiceError::Hook {
                path: self.path_of(),
                hook,
                source,
            }),
            Err(payload) => {
                if crate::greenlet::kill_requested() {
                    panic::resume_unwind(payload);
                }
                let message = if let Some(s) = payload.downcast_ref::<&str>() {
                    (*s).to_string()
                } else if let Some(s) = payload.downcast_ref::<String>() {
                    s.clone()
                } else {
                    "<non-string panic payload>".to_string()
                };
                Err(ServiceError::Panicked {
                    path: self.path_of(),
                    hook,
                    message,
                })
            }
        }
    }
}
