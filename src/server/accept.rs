//! What a server's accept loop does with an error: skip it, back off, or
//! give up.
//!
//! The classes follow accept(2) and gevent's `BaseServer`:
//!
//! * **Skip**: the error belongs to one connection that is already gone.
//!   Linux "passes already-pending network errors on the new socket as an
//!   error code from accept()", and the man page says to "treat them like
//!   EAGAIN by retrying" (ECONNABORTED, EPROTO, ENETDOWN, ...).
//! * **Back off**: the process or the kernel is out of a resource (EMFILE,
//!   ENFILE, ENOBUFS, ENOMEM, and ENOSPC from registering the socket with
//!   epoll). The pending connection stays in the backlog, so retrying at
//!   once would spin; wait with a growing delay instead (gevent: 10 ms
//!   doubling up to 1 s).
//! * **Fatal**: the listener itself is unusable (gevent's `fatal_errors`:
//!   EBADF, EINVAL, ENOTSOCK). The accept loop ends.
//!
//! An error not listed is treated as back-off: a delay is cheap, while
//! skipping an error that repeats would spin and giving up on one that
//! would pass would end the server.

use std::io;
use std::time::Duration;

/// What the accept loop does with an error from `accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AcceptError {
    /// Retry at once: the error was about one connection.
    Skip,
    /// Retry after a delay: out of descriptors, buffers or memory.
    Backoff,
    /// Stop accepting: the listening socket is broken.
    Fatal,
}

pub(crate) fn classify(e: &io::Error) -> AcceptError {
    let Some(code) = e.raw_os_error() else {
        // Not from the OS (greenline's own errors): an out-of-memory spawn
        // failure is a resource problem, the rest are unknown.
        return AcceptError::Backoff;
    };
    match code {
        libc::EAGAIN
        | libc::EINTR
        | libc::ECONNABORTED
        | libc::ECONNRESET
        | libc::EPROTO
        | libc::EPERM
        | libc::ENETDOWN
        | libc::ENOPROTOOPT
        | libc::EHOSTDOWN
        | libc::EHOSTUNREACH
        | libc::EOPNOTSUPP
        | libc::ENETUNREACH => AcceptError::Skip,
        #[cfg(target_os = "linux")]
        libc::ENONET => AcceptError::Skip,
        libc::EBADF | libc::EINVAL | libc::ENOTSOCK | libc::EFAULT => AcceptError::Fatal,
        // EMFILE, ENFILE, ENOBUFS, ENOMEM, ENOSPC and whatever else.
        _ => AcceptError::Backoff,
    }
}

/// The growing delay between accepts while resources are short.
#[derive(Debug)]
pub(crate) struct Backoff {
    /// The next delay; `None` outside an episode of errors.
    next: Option<Duration>,
    /// Errors in the current episode, reported when it ends.
    errors: u64,
}

const MIN_DELAY: Duration = Duration::from_millis(10);
const MAX_DELAY: Duration = Duration::from_secs(1);

impl Backoff {
    pub(crate) fn new() -> Backoff {
        Backoff {
            next: None,
            errors: 0,
        }
    }

    /// The delay before the next accept, and whether this error starts an
    /// episode (the caller logs once per episode).
    pub(crate) fn fail(&mut self) -> (Duration, bool) {
        self.errors += 1;
        let first = self.next.is_none();
        let delay = self.next.unwrap_or(MIN_DELAY);
        self.next = Some((delay * 2).min(MAX_DELAY));
        (delay, first)
    }

    /// An accept succeeded: ends the episode, returning how many errors it
    /// had (0 when there was none).
    pub(crate) fn succeed(&mut self) -> u64 {
        self.next = None;
        std::mem::take(&mut self.errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        let table = [
            ("EMFILE", libc::EMFILE, AcceptError::Backoff),
            ("ENFILE", libc::ENFILE, AcceptError::Backoff),
            ("ENOBUFS", libc::ENOBUFS, AcceptError::Backoff),
            ("ENOMEM", libc::ENOMEM, AcceptError::Backoff),
            ("ENOSPC", libc::ENOSPC, AcceptError::Backoff),
            ("ECONNABORTED", libc::ECONNABORTED, AcceptError::Skip),
            ("EPROTO", libc::EPROTO, AcceptError::Skip),
            ("EINTR", libc::EINTR, AcceptError::Skip),
            ("EHOSTUNREACH", libc::EHOSTUNREACH, AcceptError::Skip),
            ("EBADF", libc::EBADF, AcceptError::Fatal),
            ("EINVAL", libc::EINVAL, AcceptError::Fatal),
            ("ENOTSOCK", libc::ENOTSOCK, AcceptError::Fatal),
        ];
        for (name, code, want) in table {
            let e = io::Error::from_raw_os_error(code);
            assert_eq!(classify(&e), want, "{name}");
        }
        let spawn_failure = io::Error::new(io::ErrorKind::OutOfMemory, "cannot map a stack");
        assert_eq!(classify(&spawn_failure), AcceptError::Backoff);
    }

    #[test]
    fn backoff_doubles_to_a_second_and_resets() {
        let mut b = Backoff::new();
        let delays: Vec<(u64, bool)> = (0..9)
            .map(|_| b.fail())
            .map(|(d, first)| (d.as_millis() as u64, first))
            .collect();
        assert_eq!(
            delays,
            [
                (10, true),
                (20, false),
                (40, false),
                (80, false),
                (160, false),
                (320, false),
                (640, false),
                (1000, false),
                (1000, false)
            ]
        );
        assert_eq!(b.succeed(), 9);
        assert_eq!(b.succeed(), 0);
        assert_eq!(b.fail(), (MIN_DELAY, true));
    }
}
