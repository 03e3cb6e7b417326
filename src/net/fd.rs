//! Waiting for a descriptor greenline does not own: gevent's
//! `socket.wait_read` and `wait_write`.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::sync::OnceLock;
use std::time::Duration;

use may::io::CoIo;

use super::wait::{self, Dir, OpDeadline};

/// Waits until `fd` is readable (or at end of file, or in error): gevent's
/// `wait_read(fileno, timeout)`. For descriptors the caller owns and
/// reads itself (a pipe, a socket from another library, sendfile-style
/// code), so it need not poll with sleeps.
///
/// In a greenlet the descriptor is watched by the worker's event loop for
/// the call (registered, then deregistered; its blocking mode is put back
/// as it was); on a plain thread the call blocks in poll(2). Woken by
/// readiness, `timeout` (`ErrorKind::TimedOut`) or the caller's
/// [`crate::Timeout`]; killing the greenlet unwinds out of the wait.
///
/// # Errors
///
/// `TimedOut`; what registering the descriptor returns (`EPERM` for a
/// regular file, which is always ready: read it directly; `EEXIST` for a
/// descriptor greenline already watches, such as a greenline socket's).
///
/// # Examples
///
/// ```
/// use std::io::Write;
/// use std::time::Duration;
/// let (mut tx, rx) = std::os::unix::net::UnixStream::pair().unwrap();
/// let waiter = greenline::spawn(move || greenline::net::wait_read(&rx, Some(Duration::from_secs(5))));
/// tx.write_all(b"x").unwrap();
/// waiter.join().unwrap().unwrap();
/// ```
pub fn wait_read(fd: impl AsFd, timeout: Option<Duration>) -> io::Result<()> {
    wait_for(fd.as_fd(), Dir::Read, timeout, "wait_read")
}

/// Waits until `fd` is writable (or in error): gevent's
/// `wait_write(fileno, timeout)`. As [`wait_read`].
pub fn wait_write(fd: impl AsFd, timeout: Option<Duration>) -> io::Result<()> {
    wait_for(fd.as_fd(), Dir::Write, timeout, "wait_write")
}

/// A descriptor may watches for one call; never closed by it.
struct Watched(RawFd);

impl AsRawFd for Watched {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

fn wait_for(
    fd: BorrowedFd<'_>,
    dir: Dir,
    timeout: Option<Duration>,
    what: &'static str,
) -> io::Result<()> {
    let raw = fd.as_raw_fd();
    let limit = timeout.map(crate::time::timer::deadline_after);
    let mut deadline = limit.map_or(OpDeadline::Unset, OpDeadline::limited);
    if !may::coroutine::is_coroutine() {
        let left = match deadline {
            OpDeadline::Limit(at) => Some(crate::time::timer::left(at)),
            _ => None,
        };
        let scope = crate::time::Deadline::effective(None).remaining();
        let left = match (left, scope) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        return match crate::sys::epoll::poll_fd(raw, dir == Dir::Read, left)? {
            0 => Err(crate::time::timed_out()),
            _ => Ok(()),
        };
    }
    crate::config::ensure_started();
    let blocking = Restore {
        fd: raw,
        blocking: !crate::sys::fd::is_nonblocking(raw)?,
    };
    // Dropped before `blocking`, on every path: `CoIo` drops the owner
    // first, which here owns nothing, then deregisters, the right order
    // for a descriptor it does not close.
    let io = CoIo::new(Watched(raw)).map_err(io::Error::from)?;
    let alarm = OnceLock::new();
    loop {
        let events = wait::wait(&io, dir, what, None, &mut deadline, &alarm)?;
        if events & dir.events() != 0 {
            drop(io);
            drop(blocking);
            return Ok(());
        }
    }
}

/// Puts a descriptor back in blocking mode, if it was, after may's
/// registration made it non-blocking.
struct Restore {
    fd: RawFd,
    blocking: bool,
}

impl Drop for Restore {
    fn drop(&mut self) {
        if self.blocking {
            let _ = crate::sys::fd::set_nonblocking(self.fd, false);
        }
    }
}
