//! [`ServiceTree`]: the public handle on a node of a service tree, gservice's
//! `Service` with its `add_service`, `start`, `stop` and `serve_forever`.

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use super::error::{ServiceError, StopReport};
use super::hooks::Service;
use super::lifecycle;
use super::node::Node;
use super::state::State;
use crate::sync::waiter::lock;

/// A service and its children: a tree started children first, in the order
/// added, and stopped in reverse.
///
/// The handle is cheap to clone; clones control one node. A node added to
/// another with [`add_service`](ServiceTree::add_service) is part of that
/// tree: starting and stopping the root starts and stops it.
///
/// # Examples
///
/// The talk's `Service()` holding a server, started and stopped:
///
/// ```
/// use greenline::server::StreamServer;
/// use greenline::service::{ServiceTree, State};
///
/// let app = ServiceTree::new("app");
/// let server = StreamServer::bind("127.0.0.1:0", |_conn, _peer| {}).unwrap();
/// app.add_service(server).unwrap();
/// app.start().unwrap();
/// assert!(app.is_ready());
/// assert!(app.stop().is_clean());
/// assert_eq!(app.state(), State::Stopped);
/// ```
#[derive(Clone)]
pub struct ServiceTree {
    pub(super) node: Arc<Node>,
}

/// A node that is only a container for its children (gservice's bare
/// `Service()`).
struct Container(String);

impl Service for Container {
    fn name(&self) -> String {
        self.0.clone()
    }
}

impl<S: Service> From<S> for ServiceTree {
    fn from(service: S) -> ServiceTree {
        ServiceTree::with_service(service)
    }
}

impl ServiceTree {
    /// A node named `name` with no service of its own: a container for the
    /// services added to it.
    pub fn new(name: impl Into<String>) -> ServiceTree {
        ServiceTree::with_service(Container(name.into()))
    }

    pub(super) fn from_node(node: Arc<Node>) -> ServiceTree {
        ServiceTree { node }
    }

    /// A node running `service`, with no children yet.
    pub fn with_service(service: impl Service) -> ServiceTree {
        ServiceTree {
            node: Node::new(Arc::new(service)),
        }
    }

    /// Adds `child` (a service, or a tree) as the last child of this node,
    /// and returns its handle (to add children to it).
    ///
    /// # Errors
    ///
    /// [`ServiceError::BadName`] when the child's name is empty, holds a
    /// `/`, or is a sibling's already, or when the child is in a tree
    /// already; [`ServiceError::WrongState`] when this node is starting,
    /// ready or stopping (add children before `start`, or after `stop`).
    pub fn add_service(&self, child: impl Into<ServiceTree>) -> Result<ServiceTree, ServiceError> {
        let child = child.into();
        let bad = |reason| ServiceError::BadName {
            parent: self.path(),
            name: child.node.name.clone(),
            reason,
        };
        let name = &child.node.name;
        if name.is_empty() {
            return Err(bad("the name is empty"));
        }
        if name.contains('/') {
            return Err(bad("a name may not hold '/', the path separator"));
        }
        if child.node.parent().is_some() || Arc::ptr_eq(&child.node, &self.node.root()) {
            return Err(bad("it is in a tree already"));
        }
        let state = self.node.state_now();
        if !state.is_at_rest() {
            return Err(ServiceError::WrongState {
                path: self.path(),
                operation: "add_service",
                state,
            });
        }
        let mut children = lock(&self.node.children);
        if children.iter().any(|c| &c.name == name) {
            drop(children);
            return Err(bad("a sibling has that name"));
        }
        *lock(&child.node.parent) = self.node.me.clone();
        children.push(child.node.clone());
        Ok(child)
    }

    /// Removes the child named `name`, stopping it first if it runs (see
    /// [`stop`](ServiceTree::stop): this blocks as that does). Returns what
    /// the stop reports, or `None` when no child has that name.
    pub fn remove_service(&self, name: &str) -> Option<StopReport> {
        let child = lock(&self.node.children)
            .iter()
            .find(|c| c.name == name)
            .cloned()?;
        let report = lifecycle::stop(&child, crate::current_id());
        lock(&self.node.children).retain(|c| !Arc::ptr_eq(c, &child));
        *lock(&child.parent) = std::sync::Weak::new();
        Some(report)
    }

    /// The child named `name`.
    pub fn child(&self, name: &str) -> Option<ServiceTree> {
        let children = lock(&self.node.children);
        let node = children.iter().find(|c| c.name == name)?.clone();
        Some(ServiceTree { node })
    }

    /// The service's name among its siblings.
    pub fn name(&self) -> &str {
        &self.node.name
    }

    /// The path from the root: names joined by `/` (`app/http`).
    pub fn path(&self) -> String {
        self.node.path_of()
    }

    /// This node's state.
    pub fn state(&self) -> State {
        self.node.state_now()
    }

    /// Every node of this subtree, this one first, then depth first in the
    /// order added, with its path and state.
    pub fn states(&self) -> Vec<(String, State)> {
        let mut out = Vec::new();
        let mut pending = vec![self.node.clone()];
        while let Some(n) = pending.pop() {
            out.push((n.path_of(), n.state_now()));
            pending.extend(n.children().into_iter().rev());
        }
        out
    }

    /// True when this node and every node under it are ready: what a
    /// readiness probe reports. False from the moment a stop begins.
    pub fn is_ready(&self) -> bool {
        self.states().iter().all(|(_, s)| *s == State::Ready)
    }

    /// Calls `hook(path, state)` on every state change of this node or of a
    /// node under it, in the greenlet (or thread) making the change, after
    /// the change and with no lock held. It must return quickly and must
    /// not start or stop the tree (write a status file, send systemd a
    /// `STATUS=`). Hooks are kept for the node's life.
    pub fn on_state_change(&self, hook: impl Fn(&str, State) + Send + Sync + 'static) {
        self.node.add_hook(Arc::new(hook));
    }

    /// Waits until this node's state is `target` or one after it in the
    /// lifecycle's order (see [`State`]), and returns the state reached.
    ///
    /// Woken by every change of the node's state; a greenlet yields, a
    /// thread blocks.
    ///
    /// # Errors
    ///
    /// `TimedOut` after `timeout` (or the caller's [`crate::Timeout`]),
    /// naming the node and its state then.
    pub fn wait_state(&self, target: State, timeout: Duration) -> io::Result<State> {
        self.node
            .wait_until(|s, _, _| s >= target, crate::time::deadline_in(timeout))
            .map_err(|now| {
                io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "service '{}' still {now} after {timeout:?}, waiting for {target}",
                        self.path()
                    ),
                )
            })
    }

    /// Overrides the service's [`ready_timeout`](Service::ready_timeout)
    /// for this node.
    pub fn set_ready_timeout(&self, timeout: Duration) {
        lock(&self.node.timeouts).0 = Some(timeout);
    }

    /// Overrides the service's [`stop_timeout`](Service::stop_timeout) for
    /// this node.
    pub fn set_stop_timeout(&self, timeout: Duration) {
        lock(&self.node.timeouts).1 = Some(timeout);
    }

    /// Starts the subtree: `pre_start`, the children in the order added,
    /// `do_start` and the wait for readiness, `post_start`, at every node.
    /// Returns once every node is ready.
    ///
    /// Blocks in the hooks, and in each wait for
    /// [`set_ready`](super::ServiceContext::set_ready) up to that service's
    /// ready timeout (woken by `set_ready`, or by a `stop`, which aborts the
    /// start). Calling it on a node that is not at rest fails.
    ///
    /// # Errors
    ///
    /// The first failure, naming the service by its path and the hook
    /// (a port in use: [`ServiceError::Hook`] with an `AddrInUse` source
    /// that names the address); [`ServiceError::NotReady`];
    /// [`ServiceError::Aborted`] when a stop came first. Before returning
    /// the error, what had started is stopped, in reverse order.
    pub fn start(&self) -> Result<(), ServiceError> {
        lifecycle::start(&self.node)
    }

    /// Stops the subtree: at every node `pre_stop`, `do_stop`, its
    /// greenlets (joined for its stop timeout, then killed), its children in
    /// reverse order, `post_stop`. Returns what held the stop up.
    ///
    /// Blocks in the hooks and in the joins; a killed greenlet is waited
    /// for up to a second more. Called from a greenlet of the tree (one
    /// spawned through a [`ServiceContext`](super::ServiceContext)), it
    /// neither waits for nor kills the caller. On a node starting, it
    /// makes the start roll back and waits for it; on one stopping, it
    /// waits for that stop; on one at rest, it returns at once. Callers
    /// blocked in [`serve_forever`](ServiceTree::serve_forever) return once
    /// it is done.
    pub fn stop(&self) -> StopReport {
        lifecycle::stop(&self.node, crate::current_id())
    }

    /// Starts the subtree, then waits until it is stopped (by
    /// [`stop`](ServiceTree::stop) from another greenlet, a thread or a
    /// signal handler) and returns what that stop reported.
    ///
    /// The wait has no timeout of its own; the caller's
    /// [`crate::Timeout`] ends it with the tree left running (and an empty
    /// report: check [`state`](ServiceTree::state)). Killing the
    /// greenlet blocked here stops the tree in a greenlet of its own.
    ///
    /// # Errors
    ///
    /// As [`start`](ServiceTree::start); `ServiceError::WrongState` when
    /// the tree runs already.
    pub fn serve_forever(&self) -> Result<StopReport, ServiceError> {
        self.start()?;
        let mut guard = StopOnKill(Some(self.clone()));
        let waited = self.node.wait_until(|s, _, _| s.is_at_rest(), None);
        guard.0 = None;
        if waited.is_err() {
            // The caller's Timeout: the tree runs on.
            return Ok(StopReport::default());
        }
        Ok(lock(&self.node.last_report).clone())
    }

    /// Tells every ready service of the subtree that the settings named in
    /// `changed` have new values ([`Service::do_reload`]), parents first.
    ///
    /// # Errors
    ///
    /// [`ServiceError::WrongState`] when this node is not ready; else the
    /// first `do_reload` failure (services after it are still told).
    pub fn reload(&self, changed: &[String]) -> Result<(), ServiceError> {
        let state = self.state();
        if state != State::Ready {
            return Err(ServiceError::WrongState {
                path: self.path(),
                operation: "reload",
                state,
            });
        }
        lifecycle::reload(&self.node, changed)
    }
}

/// Stops the tree when the greenlet in `serve_forever` unwinds (a kill).
/// Nothing may yield during an unwind, so it only spawns the stop.
struct StopOnKill(Option<ServiceTree>);

impl Drop for StopOnKill {
    fn drop(&mut self) {
        if let Some(tree) = self.0.take() {
            if let Err(e) = crate::Builder::new().spawn(move || tree.stop()) {
                log::error!("cannot stop a service tree after serve_forever was killed: {e}");
            }
        }
    }
}

impl fmt::Debug for ServiceTree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceTree")
            .field("path", &self.path())
            .field("state", &self.state())
            .field("children", &self.node.children().len())
            .finish()
    }
}
