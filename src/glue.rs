//! The one place greenline touches may's `unsafe` API.
//!
//! may marks coroutine spawning, coroutine cancellation and fd adoption as
//! `unsafe fn`s. greenline calls each of them here and nowhere else, so the
//! contract that makes those calls sound is written down once. The crate's
//! other `unsafe` is here too: reading from a socket into a buffer's
//! uninitialised spare capacity ([`read_into_spare`]), sound because of how
//! may's sockets read, the raw socket system calls of greenline's
//! readiness path ([`sock_recv`], [`sock_send`], [`sock_send_vectored`]),
//! the epoll system calls behind [`EpollSet`], and reading the clock
//! ([`monotonic_clock`]).
//!
//! # The contract greenline keeps, and asks its users to keep
//!
//! 1. **No thread-local state across a yield.** A greenlet's stack moves
//!    between OS threads at every yield point (any greenline or may blocking
//!    call). A `thread_local!` read before a yield and used after it may belong
//!    to another thread. greenline itself touches thread locals only between
//!    yields (the blocking monitor's per-thread slot, the fair-yield clock);
//!    per-greenlet state lives in [`crate::local::Local`].
//! 2. **No `!Send` values held across a yield** (`Rc`, `RefCell` borrows of
//!    thread locals, a std `MutexGuard`). The closure passed to `spawn` is
//!    `Send + 'static`, which covers what it captures but not what it creates.
//! 3. **Stacks are finite and are not grown.** Overflowing one ends the greenlet
//!    without unwinding (may's guard page and signal handler catch it). The
//!    default is chosen in [`crate::config`] to fit std I/O, panics and
//!    backtraces with room to spare; deep recursion needs
//!    [`crate::Builder::stack_size`].
#![allow(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]

use std::io;
use std::os::unix::io::IntoRawFd;

use may::coroutine::{Builder as CoBuilder, Coroutine, JoinHandle};

/// Starts a may coroutine running `f`.
///
/// `stack_bytes` of `None` uses the runtime default (pooled stacks).
///
/// With `in_place`, the new coroutine is first resumed right here, on the
/// calling worker, and must yield at once (greenline's body does, before any
/// user code): its yield puts it on this worker's local run queue. may's
/// `spawn` instead pushes to a worker's inbox and wakes that worker through
/// an eventfd write, a system call per spawn, which is most of what a spawn
/// costs. Only for callers that are greenlets on a worker.
pub(crate) fn spawn_coroutine<F>(
    name: Option<String>,
    stack_bytes: Option<usize>,
    in_place: bool,
    f: F,
) -> io::Result<JoinHandle<()>>
where
    F: FnOnce() + Send + 'static,
{
    crate::config::ensure_started();
    let mut builder = CoBuilder::new();
    if let Some(name) = name {
        builder = builder.name(name);
    }
    if let Some(bytes) = stack_bytes {
        // may counts stack sizes in machine words; its docs do not say so.
        builder = builder.stack_size(bytes / std::mem::size_of::<usize>());
    }
    // SAFETY: `f` is `Send + 'static`, so everything it captures may move to
    // any worker. What it creates on its own stack is covered by the contract
    // in this module's docs (rules 1 and 2), which greenline's own code keeps
    // and which the crate docs ask users to keep; the stack size is either
    // may's configured default (set by `config`) or the caller's explicit
    // choice (rule 3). `spawn_local` additionally resumes the coroutine on
    // this thread before returning; the caller guarantees it yields before
    // running user code, so nothing of the caller's is observed meanwhile.
    unsafe {
        if in_place {
            builder.spawn_local(f)
        } else {
            builder.spawn(f)
        }
    }
}

/// Starts may's scheduler (its threads), if it has not started: may starts
/// it on first use, and a coroutine that does nothing is the cheapest use.
pub(crate) fn start_scheduler() {
    // SAFETY: the closure captures nothing and does nothing.
    drop(unsafe { may::coroutine::spawn(|| {}) });
}

/// Asks may to cancel a coroutine: at its next yield point it unwinds with
/// may's cancel payload (destructors run, so its sockets close).
pub(crate) fn cancel(co: &Coroutine) {
    // SAFETY: cancellation unwinds the target through its normal drop glue.
    // may's caveat is that drop code running during that unwind must not call
    // coroutine APIs that could raise a second cancel panic; greenline's own
    // drop impls never block or yield, and greenlet bodies run under
    // `catch_unwind` in `greenlet::spawn`, so the unwind ends there.
    unsafe { co.cancel() }
}

/// Hands a connected, non-blocking std TCP stream to may's event loop.
pub(crate) fn adopt_tcp_stream(s: std::net::TcpStream) -> io::Result<may::net::TcpStream> {
    use std::os::unix::io::FromRawFd;
    s.set_nonblocking(true)?;
    let fd = s.into_raw_fd();
    // SAFETY: `fd` was just released by an owned std socket, so nothing else
    // owns or closes it; may takes ownership and closes it on drop.
    Ok(unsafe { may::net::TcpStream::from_raw_fd(fd) })
}

/// Hands a listening, non-blocking std TCP listener to may's event loop.
pub(crate) fn adopt_tcp_listener(l: std::net::TcpListener) -> io::Result<may::net::TcpListener> {
    use std::os::unix::io::FromRawFd;
    l.set_nonblocking(true)?;
    let fd = l.into_raw_fd();
    // SAFETY: as in `adopt_tcp_stream`: sole ownership of `fd` moves to may.
    Ok(unsafe { may::net::TcpListener::from_raw_fd(fd) })
}

/// Hands a bound, non-blocking std UDP socket to may's event loop.
pub(crate) fn adopt_udp_socket(s: std::net::UdpSocket) -> io::Result<may::net::UdpSocket> {
    use std::os::unix::io::FromRawFd;
    s.set_nonblocking(true)?;
    let fd = s.into_raw_fd();
    // SAFETY: as in `adopt_tcp_stream`: sole ownership of `fd` moves to may.
    Ok(unsafe { may::net::UdpSocket::from_raw_fd(fd) })
}

/// Reads from `stream` into the spare capacity of `buf` (at most `max`
/// bytes) without zeroing it first, and extends `buf` by what was read.
///
/// The HTTP server reads once per batch of requests; zeroing up to 16 KiB
/// before each read, as a safe `resize` must, cost more than parsing the
/// few hundred bytes a pipelined batch usually brings.
pub(crate) fn read_into_spare(
    stream: &mut crate::net::TcpStream,
    buf: &mut bytes::BytesMut,
    max: usize,
) -> io::Result<usize> {
    use std::io::Read;
    let spare = buf.spare_capacity_mut();
    let room = spare.len().min(max);
    // SAFETY: `spare[..room]` is allocated, writable, unaliased memory owned
    // by `buf`, possibly uninitialised. A `&mut [u8]` over it is sound as
    // long as nothing reads it before writing it, and nothing does:
    // greenline's `TcpStream::read` passes the slice to may's
    // `TcpStream::read`, which hands its pointer and length to read(2) on
    // the socket (retrying after a wait on EAGAIN); the kernel only writes
    // into it, and only the bytes whose count it returns. The slice does not
    // outlive this call.
    let dst = unsafe { std::slice::from_raw_parts_mut(spare.as_mut_ptr().cast::<u8>(), room) };
    let n = stream.read(dst)?;
    // A count past the slice would expose bytes never written.
    assert!(n <= room, "read returned more than it was given");
    // SAFETY: `read` initialised `dst[..n]`, the `n` bytes after the
    // current length, and `n <= room <= capacity - len`.
    unsafe { buf.set_len(buf.len() + n) };
    Ok(n)
}

/// recv(2) on a non-blocking stream socket, as the raw system call.
///
/// `MSG_DONTWAIT` makes the call non-blocking whatever the descriptor's own
/// mode: a socket someone switched to blocking mode (through a duplicate,
/// say) must still never block a worker thread, which would freeze every
/// greenlet on it.
///
/// glibc's `recv` (which std's `read` calls) is a thread cancellation
/// point: in a process with more than one thread it switches asynchronous
/// cancellation on and off around every call. greenline never cancels
/// threads, and its readiness path makes one read per message, so that
/// bookkeeping was a tenth of the user-space instructions of a keep-alive
/// HTTP request. `WouldBlock` and `Interrupted` come back as errors, as
/// from std.
///
/// The error comes back in the call's result, not through `errno` (see
/// [`socket_syscall`]): these calls are inlined into loops that wait, and a
/// wait may resume on another worker thread, where an `errno` address
/// found before it would be another thread's.
pub(crate) fn sock_recv(fd: std::os::fd::RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid, writable memory of `buf.len()` bytes for the
    // duration of the call, and the kernel writes at most that many; the
    // address arguments are null, which recvfrom(2) allows.
    unsafe {
        socket_syscall(
            libc::SYS_recvfrom,
            [
                libc::c_long::from(fd),
                buf.as_mut_ptr() as libc::c_long,
                buf.len() as libc::c_long,
                libc::c_long::from(libc::MSG_DONTWAIT),
                0,
                0,
            ],
        )
    }
}

/// send(2) on a non-blocking stream socket, as the raw system call (see
/// [`sock_recv`]), with `MSG_NOSIGNAL` as std's `write` has: a peer that
/// closed is `BrokenPipe`, not `SIGPIPE`. `MSG_DONTWAIT` as in `sock_recv`.
pub(crate) fn sock_send(fd: std::os::fd::RawFd, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid, readable memory of `buf.len()` bytes for the
    // duration of the call; the address is null and its length zero, which
    // sendto(2) allows on a connected socket.
    unsafe {
        socket_syscall(
            libc::SYS_sendto,
            [
                libc::c_long::from(fd),
                buf.as_ptr() as libc::c_long,
                buf.len() as libc::c_long,
                libc::c_long::from(libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT),
                0,
                0,
            ],
        )
    }
}

/// sendmsg(2) of several buffers on a non-blocking stream socket, with
/// `MSG_NOSIGNAL` (std's `write_vectored` uses writev(2), which cannot
/// refuse `SIGPIPE`), as the raw system call, with `MSG_DONTWAIT` (see
/// [`sock_recv`]).
pub(crate) fn sock_send_vectored(
    fd: std::os::fd::RawFd,
    bufs: &[std::io::IoSlice<'_>],
) -> io::Result<usize> {
    // SAFETY: an all-zero msghdr is valid (no address, no control data).
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    // std documents `IoSlice` as ABI-compatible with `iovec` on Unix; the
    // kernel only reads through the pointer. More than IOV_MAX buffers
    // would be EINVAL: the rest are left for the caller's next write.
    msg.msg_iov = bufs.as_ptr().cast_mut().cast::<libc::iovec>();
    msg.msg_iovlen = bufs.len().min(1024) as _;
    // SAFETY: `msg` points at `bufs`, and both are valid for reads for the
    // duration of the call.
    unsafe {
        socket_syscall(
            libc::SYS_sendmsg,
            [
                libc::c_long::from(fd),
                std::ptr::addr_of!(msg) as libc::c_long,
                libc::c_long::from(libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT),
                0,
                0,
                0,
            ],
        )
    }
}

/// System call `nr` with six arguments, for a call that returns a count
/// or fails.
///
/// On Linux on x86-64 and AArch64 it is the `syscall`/`svc` instruction
/// itself, which returns the error as `-errno` in its result: no library
/// wrapper, and no thread-local `errno` to read, so it is safe to inline
/// into code that waits and resumes on another thread. Elsewhere it is
/// syscall(3) and `errno`, read in a frame that never yields (never
/// inlined: glibc declares `__errno_location` const, so once inlined into
/// a loop that also waits the compiler may reuse the address found before
/// the wait; stray errors such as `EINPROGRESS` reached a few connections
/// under load that way).
///
/// # Safety
///
/// The arguments must be what system call `nr` accepts, pointers valid for
/// what it does with them for the duration of the call.
#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
#[inline(always)]
unsafe fn socket_syscall(nr: libc::c_long, a: [libc::c_long; 6]) -> io::Result<usize> {
    let n: libc::c_long;
    // SAFETY: the caller's contract for the arguments. The kernel's system
    // call convention: the number and six arguments in these registers, the
    // result in the first; x86-64's `syscall` also overwrites rcx and r11.
    // Memory may be read and written (no `nomem`), the stack is not used.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        std::arch::asm!(
            "syscall",
            inlateout("rax") nr => n,
            in("rdi") a[0],
            in("rsi") a[1],
            in("rdx") a[2],
            in("r10") a[3],
            in("r8") a[4],
            in("r9") a[5],
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    #[cfg(target_arch = "aarch64")]
    unsafe {
        std::arch::asm!(
            "svc 0",
            in("x8") nr,
            inlateout("x0") a[0] => n,
            in("x1") a[1],
            in("x2") a[2],
            in("x3") a[3],
            in("x4") a[4],
            in("x5") a[5],
            options(nostack),
        );
    }
    // The kernel returns -4095..=-1 for an error, never any other negative
    // count from these calls.
    if n < 0 {
        return Err(io::Error::from_raw_os_error(-n as i32));
    }
    Ok(n as usize)
}

/// See the Linux version above: syscall(3) and `errno`, never inlined.
///
/// # Safety
///
/// As above.
#[cfg(not(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
#[inline(never)]
unsafe fn socket_syscall(nr: libc::c_long, a: [libc::c_long; 6]) -> io::Result<usize> {
    // SAFETY: the caller's contract.
    let n = unsafe { libc::syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// An epoll set of greenline's own, beside may's: the HTTP server parks
/// idle keep-alive connections in one (see `server::park`), so they wait for
/// input without a greenlet. may's event loop watches the set's own fd, which
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

impl std::os::fd::AsRawFd for EpollSet {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        std::os::fd::AsRawFd::as_raw_fd(&self.fd)
    }
}

/// The monotonic clock (`CLOCK_MONOTONIC`, as `Instant`), in nanoseconds.
pub(crate) fn monotonic_clock() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the call.
    let r = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    assert_eq!(r, 0, "CLOCK_MONOTONIC is unavailable");
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{IoSlice, Write};
    use std::os::fd::AsRawFd;

    /// A connected pair of non-blocking TCP sockets on the loopback.
    fn pair() -> (std::net::TcpStream, std::net::TcpStream) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let a = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (b, _) = listener.accept().unwrap();
        a.set_nonblocking(true).unwrap();
        b.set_nonblocking(true).unwrap();
        (a, b)
    }

    #[test]
    fn raw_socket_calls_return_counts_and_map_errors() {
        let (a, mut b) = pair();
        let mut buf = [0u8; 16];
        // Nothing queued: EAGAIN, as std reports it.
        let e = sock_recv(a.as_raw_fd(), &mut buf).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
        assert_eq!(e.raw_os_error(), Some(libc::EAGAIN));

        b.write_all(b"hello").unwrap();
        let n = loop {
            match sock_recv(a.as_raw_fd(), &mut buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::yield_now(),
                r => break r.unwrap(),
            }
        };
        assert_eq!(&buf[..n], b"hello");

        assert_eq!(sock_send(a.as_raw_fd(), b"abc").unwrap(), 3);
        let parts = [IoSlice::new(b"de"), IoSlice::new(b""), IoSlice::new(b"f")];
        assert_eq!(sock_send_vectored(a.as_raw_fd(), &parts).unwrap(), 3);
        let mut got = Vec::new();
        while got.len() < 6 {
            match std::io::Read::read(&mut b, &mut buf) {
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::yield_now(),
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(got, b"abcdef");

        // A socket in blocking mode still does not block.
        let (blocking, _peer) = pair();
        blocking.set_nonblocking(false).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4];
            let _ = tx.send(sock_recv(blocking.as_raw_fd(), &mut buf).map_err(|e| e.kind()));
        });
        let got = rx.recv_timeout(std::time::Duration::from_secs(10));
        assert_eq!(got, Ok(Err(io::ErrorKind::WouldBlock)));

        // A descriptor that is not open: EBADF, the error from the result.
        let e = sock_send(-1, b"x").unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EBADF));
        let e = sock_recv(-1, &mut buf).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EBADF));
    }
}
