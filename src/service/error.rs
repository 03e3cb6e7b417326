//! What a start, a stop or a reload reports: [`ServiceError`] and
//! [`StopReport`].

use std::fmt;
use std::io;
use std::time::Duration;

use super::state::{Hook, State};

/// Why a service did not start, reload, or accept a change to its tree.
/// Every variant names the service by its path in the tree (`app/http`).
///
/// Converts into `io::Error` (kinds given per variant), so a `main`
/// returning `io::Result` needs one `?`.
#[non_exhaustive]
#[derive(Debug)]
pub enum ServiceError {
    /// A hook returned an error. The error's kind is kept in the
    /// conversion to `io::Error` (`AddrInUse` for a port taken).
    Hook {
        /// The service's path in the tree.
        path: String,
        /// The hook that failed.
        hook: Hook,
        /// What it returned.
        source: io::Error,
    },
    /// A hook panicked (kind `Other`).
    Panicked {
        /// The service's path in the tree.
        path: String,
        /// The hook that panicked.
        hook: Hook,
        /// The panic message.
        message: String,
    },
    /// `do_start` returned [`Ready::Later`](super::Ready::Later) and the
    /// service did not call `set_ready` within its ready timeout (kind
    /// `TimedOut`).
    NotReady {
        /// The service's path in the tree.
        path: String,
        /// How long `start` waited.
        timeout: Duration,
    },
    /// A stop began while the service was starting; what had started was
    /// stopped (kind `Interrupted`).
    Aborted {
        /// The service's path in the tree.
        path: String,
    },
    /// The operation needs another state: `start` on a service already
    /// started, `add_service` to a running tree (kind `InvalidInput`).
    WrongState {
        /// The service's path in the tree.
        path: String,
        /// What was attempted (`start`, `add_service`).
        operation: &'static str,
        /// The state it was in.
        state: State,
    },
    /// A child's name is empty, holds a `/`, or is taken by a sibling
    /// (kind `InvalidInput`).
    BadName {
        /// The parent's path in the tree.
        parent: String,
        /// The name refused.
        name: String,
        /// Why.
        reason: &'static str,
    },
}

impl ServiceError {
    /// The path of the service the error names.
    pub fn path(&self) -> &str {
        match self {
            ServiceError::Hook { path, .. }
            | ServiceError::Panicked { path, .. }
            | ServiceError::NotReady { path, .. }
            | ServiceError::Aborted { path }
            | ServiceError::WrongState { path, .. } => path,
            ServiceError::BadName { parent, .. } => parent,
        }
    }

    /// The hook that failed, where one did.
    pub fn hook(&self) -> Option<Hook> {
        match self {
            ServiceError::Hook { hook, .. } | ServiceError::Panicked { hook, .. } => Some(*hook),
            ServiceError::NotReady { .. } => Some(Hook::Ready),
            _ => None,
        }
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServiceError::Hook { path, hook, source } => {
                write!(f, "service '{path}': {hook} failed: {source}")
            }
            ServiceError::Panicked {
                path,
                hook,
                message,
            } => {
                write!(f, "service '{path}': {hook} panicked: {message}")
            }
            ServiceError::NotReady { path, timeout } => {
                write!(
                    f,
                    "service '{path}' did not become ready within {timeout:?}"
                )
            }
            ServiceError::Aborted { path } => {
                write!(f, "service '{path}': start aborted by a stop")
            }
            ServiceError::WrongState {
                path,
                operation,
                state,
            } => {
                write!(f, "service '{path}': cannot {operation} while {state}")
            }
            ServiceError::BadName {
                parent,
                name,
                reason,
            } => {
                write!(
                    f,
                    "service '{parent}': cannot add a child named {name:?}: {reason}"
                )
            }
        }
    }
}

impl std::error::Error for ServiceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ServiceError::Hook { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<ServiceError> for io::Error {
    fn from(e: ServiceError) -> io::Error {
        let kind = match &e {
            ServiceError::Hook { source, .. } => source.kind(),
            ServiceError::Panicked { .. } => io::ErrorKind::Other,
            ServiceError::NotReady { .. } => io::ErrorKind::TimedOut,
            ServiceError::Aborted { .. } => io::ErrorKind::Interrupted,
            ServiceError::WrongState { .. } | ServiceError::BadName { .. } => {
                io::ErrorKind::InvalidInput
            }
        };
        io::Error::new(kind, e)
    }
}

/// What a stop did that was not clean: the services whose greenlets had to
/// be killed, and the stop hooks that failed. A stop never gives up half
/// way: every service is stopped whatever these say.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StopReport {
    /// Services whose greenlets were still running after their stop
    /// timeout and were killed: what held the stop up.
    pub killed: Vec<HeldUp>,
    /// Stop hooks that returned an error or panicked, as `(path, hook,
    /// message)`.
    pub failures: Vec<(String, Hook, String)>,
}

/// A service whose greenlets outlived its stop timeout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldUp {
    /// The service's path in the tree.
    pub path: String,
    /// How many of its greenlets were killed.
    pub greenlets: usize,
    /// Their names (`greenlet#<id>` for unnamed ones).
    pub names: Vec<String>,
    /// The stop timeout they outlived.
    pub timeout: Duration,
}

impl StopReport {
    /// True when every greenlet ended within its grace period and no stop
    /// hook failed.
    pub fn is_clean(&self) -> bool {
        self.killed.is_empty() && self.failures.is_empty()
    }

    /// Adds what `other` reports.
    pub fn merge(&mut self, other: StopReport) {
        self.killed.extend(other.killed);
        self.failures.extend(other.failures);
    }
}

impl fmt::Display for StopReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_clean() {
            return f.write_str("stopped cleanly");
        }
        let mut parts = Vec::new();
        for h in &self.killed {
            parts.push(format!(
                "service '{}' held the stop up: {} greenlet(s) killed after {:?} ({})",
                h.path,
                h.greenlets,
                h.timeout,
                h.names.join(", ")
            ));
        }
        for (path, hook, message) in &self.failures {
            parts.push(format!("service '{path}': {hook} failed: {message}"));
        }
        f.write_str(&parts.join("; "))
    }
}
