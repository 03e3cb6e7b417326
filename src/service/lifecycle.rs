//! The start, stop and reload of a node and its subtree.
//!
//! Start: `pre_start`, the children in the order added, `do_start` (and
//! the wait for `set_ready`), `post_start`. A failure stops what started,
//! in reverse. Stop, the exact reverse: `pre_stop`, `do_stop`, the
//! service's greenlets (joined for its stop timeout, then killed), the
//! children in reverse order, `post_stop`.

use std::sync::Arc;

use super::context::TreeLink;
use super::error::{HeldUp, ServiceError, StopReport};
use super::node::Node;
use super::state::{Hook, Ready, State};

/// Starts `node` and its subtree; on failure leaves it at rest (`Failed`
/// where the failure arose, `Stopped` above) and returns the error.
pub(super) fn start(node: &Arc<Node>) -> Result<(), ServiceError> {
    if let Err(state) = node.enter(State::is_at_rest, State::Starting) {
        return Err(ServiceError::WrongState {
            path: node.path_of(),
            operation: "start",
            state,
        });
    }
    match start_steps(node) {
        Ok(()) => {
            node.set_state(State::Ready);
            Ok(())
        }
        Err((e, own)) => {
            // An abort is a stop's doing, not a fault of this service.
            let fault = own && !matches!(e, ServiceError::Aborted { .. });
            if fault {
                log::error!("{e}");
            }
            node.set_state(if fault { State::Failed } else { State::Stopped });
            Err(e)
        }
    }
}

/// The steps of a start; the error comes with whether it is this node's
/// own (true) or a child's (false). What started is stopped before it
/// returns an error.
fn start_steps(node: &Arc<Node>) -> Result<(), (ServiceError, bool)> {
    node.call(Hook::PreStart, |s, ctx| s.pre_start(ctx))
        .map_err(|e| (e, true))?;
    let mut started: Vec<Arc<Node>> = Vec::new();
    for child in node.children() {
        let outcome = match node.aborted() {
            Some(_) => Err((aborted(node), true)),
            None => start(&child).map_err(|e| (e, false)),
        };
        if let Err(e) = outcome {
            roll_back(node, &started, false);
            return Err(e);
        }
        started.push(child);
    }
    if node.aborted().is_some() {
        roll_back(node, &started, false);
        return Err((aborted(node), true));
    }
    let own = (|| {
        let ready = node.call(Hook::DoStart, |s, ctx| s.do_start(ctx))?;
        if ready == Ready::Later {
            let timeout = node.ready_timeout();
            let deadline = crate::time::deadline_in(timeout);
            match node.wait_until(|_, ready, abort| ready || abort, deadline) {
                Ok(_) if node.aborted().is_some() => return Err(aborted(node)),
                Ok(_) => {}
                Err(_) => {
                    return Err(ServiceError::NotReady {
                        path: node.path_of(),
                        timeout,
                    })
                }
            }
        }
        if node.aborted().is_some() {
            return Err(aborted(node));
        }
        node.call(Hook::PostStart, |s, ctx| s.post_start(ctx))
    })();
    if let Err(e) = own {
        roll_back(node, &started, true);
        return Err((e, true));
    }
    Ok(())
}

fn aborted(node: &Node) -> ServiceError {
    ServiceError::Aborted {
        path: node.path_of(),
    }
}

/// Stops what a failed start started: when `do_start` ran (`own`), the
/// node's own part, then `started` in reverse, then `post_stop`; else only
/// `started`, in reverse. Spares the greenlet that
/// asked for an abort.
fn roll_back(node: &Arc<Node>, started: &[Arc<Node>], own: bool) {
    let spared = node.aborted().flatten().or(crate::current_id());
    let mut report = StopReport::default();
    if own {
        stop_own(node, spared, &mut report);
    }
    for child in started.iter().rev() {
        report.merge(stop(child, spared));
    }
    if own {
        if let Err(e) = node.call(Hook::PostStop, |s, ctx| s.post_stop(ctx)) {
            failure(&mut report, e);
        }
    }
    if !report.is_clean() {
        log::warn!("rolling back the start of '{}': {report}", node.path_of());
    }
}

/// Stops `node` and its subtree, sparing the greenlet `caller`, and
/// returns what held the stop up. A node starting is told to roll back
/// and waited for; a node stopping is waited for; a node at rest is left.
pub(super) fn stop(node: &Arc<Node>, caller: Option<u64>) -> StopReport {
    match node.enter(|s| s == State::Ready, State::Stopping) {
        Ok(()) => {}
        Err(State::Starting) => {
            if abort_subtree(node, caller) {
                let _ = node.wait_until(|s, _, _| s.is_at_rest(), None);
            }
            return StopReport::default();
        }
        Err(State::Stopping) => {
            if !node.is_busy_in(caller) {
                let _ = node.wait_until(|s, _, _| s.is_at_rest(), None);
            }
            return crate::sync::waiter::lock(&node.last_report).clone();
        }
        Err(_) => return StopReport::default(),
    }
    log::info!("stopping service '{}'", node.path_of());
    let mut report = StopReport::default();
    stop_own(node, caller, &mut report);
    for child in node.children().iter().rev() {
        report.merge(stop(child, caller));
    }
    if let Err(e) = node.call(Hook::PostStop, |s, ctx| s.post_stop(ctx)) {
        failure(&mut report, e);
    }
    *crate::sync::waiter::lock(&node.last_report) = report.clone();
    node.set_state(State::Stopped);
    report
}

/// Asks `node` and its descendants that are starting to roll back; false
/// when `caller` runs one of those starts (it must not wait for itself).
fn abort_subtree(node: &Arc<Node>, caller: Option<u64>) -> bool {
    let mut waits = node.abort_start(caller);
    for child in node.children() {
        if child.state_now() == State::Starting {
            waits &= abort_subtree(&child, caller);
        }
    }
    waits
}

/// The node's own part of a stop: `pre_stop`, `do_stop`, then its
/// greenlets, joined for its stop timeout and killed (but `caller`).
fn stop_own(node: &Node, caller: Option<u64>, report: &mut StopReport) {
    if let Err(e) = node.call(Hook::PreStop, |s, ctx| s.pre_stop(ctx)) {
        failure(report, e);
    }
    if let Err(e) = node.call(Hook::DoStop, |s, ctx| s.do_stop(ctx)) {
        failure(report, e);
    }
    let timeout = node.stop_timeout();
    let killed = node.ctx.greenlets().join_or_kill(timeout, caller);
    if !killed.is_empty() {
        let held = HeldUp {
            path: node.path_of(),
            greenlets: killed.len(),
            names: killed,
            timeout,
        };
        log::warn!(
            "service '{}' held the stop up: {} greenlet(s) still running after {:?} were killed ({})",
            held.path,
            held.greenlets,
            timeout,
            held.names.join(", ")
        );
        report.killed.push(held);
    }
}

fn failure(report: &mut StopReport, e: ServiceError) {
    log::error!("{e}");
    let hook = e.hook().unwrap_or(Hook::DoStop);
    let path = e.path().to_string();
    let message = match e {
        ServiceError::Hook { source, .. } => source.to_string(),
        ServiceError::Panicked { message, .. } => format!("panicked: {message}"),
        other => other.to_string(),
    };
    report.failures.push((path, hook, message));
}

/// Calls `do_reload` on every ready node of the subtree, parents first.
/// Returns the first error; later nodes are still told (their errors are
/// logged).
pub(super) fn reload(node: &Arc<Node>, changed: &[String]) -> Result<(), ServiceError> {
    let mut first = None;
    let mut pending = vec![node.clone()];
    while let Some(n) = pending.pop() {
        if n.state_now() == State::Ready {
            if let Err(e) = n.call(Hook::DoReload, |s, ctx| s.do_reload(ctx, changed)) {
                log::error!("{e}");
                first.get_or_insert(e);
            }
        }
        // Reversed onto the stack: children are told in the order added.
        pending.extend(n.children().into_iter().rev());
    }
    first.map_or(Ok(()), Err)
}

impl TreeLink for Node {
    fn path(&self) -> String {
        self.path_of()
    }

    fn state(&self) -> State {
        self.state_now()
    }

    fn set_ready(&self) {
        self.mark_ready();
    }

    fn stop_root(&self, caller: Option<u64>) -> StopReport {
        stop(&self.root(), caller)
    }
}
