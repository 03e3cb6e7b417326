//! Applying the caller's deadline to one socket call.
//!
//! may sockets have per-socket timeouts, not deadlines. While a
//! [`crate::Timeout`] is in force, the socket's timeout for the direction is
//! lowered to the time left for the duration of one call, then restored.

use std::io;
use std::time::Duration;

use crate::time::{timed_out, Deadline};

/// A socket whose timeouts can be set for one direction.
pub(crate) trait Timeouts {
    fn set_timeout(&self, dir: Dir, t: Option<Duration>) -> io::Result<()>;
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Dir {
    Read,
    Write,
}

/// Runs one blocking socket operation under the caller's deadline.
///
/// `own` is the socket's own timeout for `dir` (restored afterwards).
pub(crate) fn call<S: Timeouts, R>(
    sock: &mut S,
    dir: Dir,
    own: Option<Duration>,
    what: &'static str,
    op: impl FnOnce(&mut S) -> io::Result<R>,
) -> io::Result<R> {
    let ticket = crate::greenlet::enter_wait(what);
    let r = match Deadline::effective(None).remaining() {
        None => op(sock),
        Some(left) if left.is_zero() => Err(timed_out()),
        Some(left) => {
            let t = own.map_or(left, |o| o.min(left));
            sock.set_timeout(dir, Some(crate::time::may_timeout(t)))?;
            let r = op(sock);
            sock.set_timeout(dir, own)?;
            r
        }
    };
    crate::greenlet::leave_wait(ticket);
    r.map_err(normalize)
}

/// may reports an expired socket timeout as `TimedOut` on some paths and
/// `WouldBlock` on others; greenline promises `TimedOut`.
pub(crate) fn normalize(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::WouldBlock {
        io::Error::new(io::ErrorKind::TimedOut, e)
    } else {
        e
    }
}

/// Stores an optional duration in an atomic (u64::MAX nanos = none).
#[derive(Debug)]
pub(crate) struct AtomicTimeout(std::sync::atomic::AtomicU64);

impl AtomicTimeout {
    pub(crate) const fn new() -> AtomicTimeout {
        AtomicTimeout(std::sync::atomic::AtomicU64::new(u64::MAX))
    }

    pub(crate) fn get(&self) -> Option<Duration> {
        match self.0.load(std::sync::atomic::Ordering::Relaxed) {
            u64::MAX => None,
            n => Some(Duration::from_nanos(n)),
        }
    }

    pub(crate) fn set(&self, t: Option<Duration>) {
        let n = t.map_or(u64::MAX, |d| d.as_nanos().min(u64::MAX as u128 - 1) as u64);
        self.0.store(n, std::sync::atomic::Ordering::Relaxed);
    }
}
