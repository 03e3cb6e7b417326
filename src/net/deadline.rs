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
    /// Sets may's timeout for `dir` (already rounded for may).
    fn apply_timeout(&self, dir: Dir, t: Option<Duration>) -> io::Result<()>;

    /// The timeouts the user set, which `call` restores after a deadline.
    fn own_timeouts(&self) -> &OwnTimeouts;

    /// `set_read_timeout`/`set_write_timeout` for every socket type: std's
    /// rules (zero is `InvalidInput`), rounded for may, remembered.
    fn set_own_timeout(&self, dir: Dir, t: Option<Duration>) -> io::Result<()> {
        if t == Some(Duration::ZERO) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "cannot set a zero duration timeout",
            ));
        }
        self.apply_timeout(dir, t.map(crate::time::may_timeout))?;
        self.own_timeouts().set(dir, t);
        Ok(())
    }
}

/// Implements [`Timeouts`] for a socket type with fields `io` (the may
/// socket, which has `set_read_timeout`/`set_write_timeout`) and `timeouts`.
macro_rules! impl_timeouts {
    ($ty:ty) => {
        impl $crate::net::deadline::Timeouts for $ty {
            fn apply_timeout(
                &self,
                dir: $crate::net::deadline::Dir,
                t: Option<std::time::Duration>,
            ) -> std::io::Result<()> {
                match dir {
                    $crate::net::deadline::Dir::Read => self.io.set_read_timeout(t),
                    $crate::net::deadline::Dir::Write => self.io.set_write_timeout(t),
                }
            }

            fn own_timeouts(&self) -> &$crate::net::deadline::OwnTimeouts {
                &self.timeouts
            }
        }
    };
}
pub(crate) use impl_timeouts;

/// A socket's own read and write timeouts.
#[derive(Debug)]
pub(crate) struct OwnTimeouts {
    read: AtomicTimeout,
    write: AtomicTimeout,
}

impl OwnTimeouts {
    pub(crate) const fn new() -> OwnTimeouts {
        OwnTimeouts {
            read: AtomicTimeout::new(),
            write: AtomicTimeout::new(),
        }
    }

    pub(crate) fn get(&self, dir: Dir) -> Option<Duration> {
        match dir {
            Dir::Read => self.read.get(),
            Dir::Write => self.write.get(),
        }
    }

    fn set(&self, dir: Dir, t: Option<Duration>) {
        match dir {
            Dir::Read => self.read.set(t),
            Dir::Write => self.write.set(t),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Dir {
    Read,
    Write,
}

/// Runs one blocking socket operation under the caller's deadline.
///
/// The socket's own timeout for `dir` is restored afterwards.
pub(crate) fn call<S: Timeouts, R>(
    sock: &mut S,
    dir: Dir,
    what: &'static str,
    op: impl FnOnce(&mut S) -> io::Result<R>,
) -> io::Result<R> {
    let ticket = crate::greenlet::enter_wait(what);
    let r = match Deadline::effective(None).remaining() {
        None => op(sock),
        Some(left) if left.is_zero() => Err(timed_out()),
        Some(left) => {
            let own = sock.own_timeouts().get(dir);
            let t = own.map_or(left, |o| o.min(left));
            sock.apply_timeout(dir, Some(crate::time::may_timeout(t)))?;
            let r = op(sock);
            sock.apply_timeout(dir, own.map(crate::time::may_timeout))?;
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
struct AtomicTimeout(std::sync::atomic::AtomicU64);

impl AtomicTimeout {
    const fn new() -> AtomicTimeout {
        AtomicTimeout(std::sync::atomic::AtomicU64::new(u64::MAX))
    }

    fn get(&self) -> Option<Duration> {
        match self.0.load(std::sync::atomic::Ordering::Relaxed) {
            u64::MAX => None,
            n => Some(Duration::from_nanos(n)),
        }
    }

    fn set(&self, t: Option<Duration>) {
        let n = t.map_or(u64::MAX, |d| d.as_nanos().min(u64::MAX as u128 - 1) as u64);
        self.0.store(n, std::sync::atomic::Ordering::Relaxed);
    }
}
