//! An epoll set of greenline's own, and `poll(2)` for waits on plain
//! threads.

use std::io;

/// An epoll set of greenline's own, beside may's: a server's idle lot
/// keeps idle keep-alive connections in one (see `server::idle`), so they
/// wait for input without a greenlet. may's event loop watches the set's own fd, which
/// turns readable when a member has an event.
///
/// Members are registered one-shot for input, keyed by a `u64` the caller
/// chooses: an event disables the member until it is removed or added again,
/// so each registration reports once.
#[derive(Debug)]
pub(crate) struct EpollSet {
    fd: std::os::fd::OwnedFd,
}

impl EpollSet {
    /// A new, empty set (close-on-exec).
    #[inline(never)] // reads errno: see `socket_syscall`
    pub(crate) fn new() -> io::Result<EpollSet> {
        use std::os::fd::FromRawFd;
        // SAFETY: epoll_create1 takes no pointers; a non-negative result is
        // a new descriptor that nothing else owns.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is open and owned by no one else (above).
        Ok(EpollSet {
            fd: unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) },
        })
    }

    /// Adds `member` to the set, to report `key` once when it has input,
    /// end of file or an error.
    #[inline(never)] // reads errno: see `socket_syscall`
    pub(crate) fn add_once(&self, member: &impl std::os::fd::AsRawFd, key: u64) -> io::Result<()> {
        use std::os::fd::{AsRawFd, RawFd};
        let mut event = libc::epoll_event {
            events: (libc::EPOLLIN | libc::EPOLLRDHUP | libc::EPOLLONESHOT) as u32,
            u64: key,
        };
        let member: RawFd = member.as_raw_fd();
        // SAFETY: both descriptors are open (ours is owned; `member` is an
        // object alive for the call, which owns its descriptor) and `event` is a valid epoll_event the kernel only reads.
        let r = unsafe {
            libc::epoll_ctl(self.fd.as_raw_fd(), libc::EPOLL_CTL_ADD, member, &mut event)
        };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Removes `member` from the set. Call it before the member is closed:
    /// the kernel forgets a closed descriptor only once every copy of it is.
    #[inline(never)] // reads errno: see `socket_syscall`
    pub(crate) fn remove(&self, member: &impl std::os::fd::AsRawFd) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        // SAFETY: both descriptors are open (as in `add_once`); EPOLL_CTL_DEL ignores the event
        // pointer, and null is allowed since Linux 2.6.9.
        let r = unsafe {
            libc::epoll_ctl(
                self.fd.as_raw_fd(),
                libc::EPOLL_CTL_DEL,
                member.as_raw_fd(),
                std::ptr::null_mut(),
            )
        };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// The keys of members with an event now, without waiting: appends at
    /// most 64 to `keys` and returns how many. Fewer than 64 means the set
    /// had no more.
    #[inline(never)] // reads errno: see `socket_syscall`
    pub(crate) fn ready(&self, keys: &mut Vec<u64>) -> io::Result<usize> {
        use std::os::fd::AsRawFd;
        const MAX: usize = 64;
        let mut events = [libc::epoll_event { events: 0, u64: 0 }; MAX];
        let n = loop {
            // SAFETY: `events` is writable memory for MAX entries; timeout 0
            // makes the call return at once.
            let n = unsafe {
                libc::epoll_wait(self.fd.as_raw_fd(), events.as_mut_ptr(), MAX as i32, 0)
            };
            if n >= 0 {
                break n as usize;
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        };
        // Copied out of the packed struct before use.
        keys.extend(events[..n].iter().map(|e| e.u64));
        Ok(n)
    }
}

impl std::os::fd::IntoRawFd for EpollSet {
    fn into_raw_fd(self) -> std::os::fd::RawFd {
        self.fd.into_raw_fd()
    }
}

impl std::os::fd::AsRawFd for EpollSet {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        std::os::fd::AsRawFd::as_raw_fd(&self.fd)
    }
}

/// Waits on a plain thread until `fd` is readable (`read`) or writable, or
/// `timeout` passes (`None`: no bound). Returns the events as epoll flags
/// (`EPOLLIN`, `EPOLLOUT`, `EPOLLHUP`, `EPOLLERR`, `EPOLLRDHUP`), empty when
/// the time ran out. For greenline's readiness path off the workers, where
/// may's `wait_io` cannot wait.
#[inline(never)] // reads errno: see `socket_syscall`
pub(crate) fn poll_fd(
    fd: std::os::unix::io::RawFd,
    read: bool,
    timeout: Option<std::time::Duration>,
) -> io::Result<usize> {
    let events = if read {
        libc::POLLIN | libc::POLLRDHUP
    } else {
        libc::POLLOUT
    };
    let mut pfd = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    // Rounded up, so the wait is never shorter than asked.
    let ms = timeout.map_or(-1, |t| {
        let ms = t.as_nanos().div_ceil(1_000_000);
        libc::c_int::try_from(ms).unwrap_or(libc::c_int::MAX)
    });
    // SAFETY: `pfd` is one valid, writable pollfd, and the count says one.
    let n = unsafe { libc::poll(&mut pfd, 1, ms) };
    if n < 0 {
        let e = io::Error::last_os_error();
        return if e.kind() == io::ErrorKind::Interrupted {
            Ok(0)
        } else {
            Err(e)
        };
    }
    let r = pfd.revents;
    let mut flags = 0;
    for (poll, epoll) in [
        (libc::POLLIN, libc::EPOLLIN),
        (libc::POLLOUT, libc::EPOLLOUT),
        (libc::POLLHUP, libc::EPOLLHUP),
        (libc::POLLERR, libc::EPOLLERR),
        (libc::POLLRDHUP, libc::EPOLLRDHUP),
    ] {
        if r & poll != 0 {
            flags |= epoll as usize;
        }
    }
    Ok(flags)
}
