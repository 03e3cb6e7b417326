//! The raw socket system calls of greenline's readiness path.
//!
//! Each call is non-blocking whatever the descriptor's own mode
//! (`MSG_DONTWAIT`, `SOCK_NONBLOCK`): a socket someone switched to blocking
//! mode (through a duplicate, say) must still never block a worker thread,
//! which would freeze every greenlet on it.

use std::io;
use std::os::fd::RawFd;

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
pub(crate) fn recv(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
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

/// recv(2) with `MSG_PEEK`: the bytes stay queued for the next read.
/// Non-blocking, the error in the result, as [`recv`].
pub(crate) fn peek(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: as in `recv`.
    unsafe {
        socket_syscall(
            libc::SYS_recvfrom,
            [
                libc::c_long::from(fd),
                buf.as_mut_ptr() as libc::c_long,
                buf.len() as libc::c_long,
                libc::c_long::from(libc::MSG_DONTWAIT | libc::MSG_PEEK),
                0,
                0,
            ],
        )
    }
}

/// [`recv`] into the spare capacity of `buf` (at most `max` bytes), without
/// zeroing it first, extending `buf` by what was read.
///
/// The HTTP server and the ZMTP engine read once per batch of messages;
/// zeroing up to 16 KiB before each read, as a safe `resize` must, cost
/// more than parsing the few hundred bytes a pipelined batch usually
/// brings.
pub(crate) fn recv_spare(fd: RawFd, buf: &mut bytes::BytesMut, max: usize) -> io::Result<usize> {
    let spare = buf.spare_capacity_mut();
    let room = spare.len().min(max);
    // SAFETY: `spare[..room]` is allocated, writable, unaliased memory
    // owned by `buf`, possibly uninitialised. The kernel only writes into
    // it, and only the bytes whose count it returns; nothing reads it here.
    let n = unsafe {
        socket_syscall(
            libc::SYS_recvfrom,
            [
                libc::c_long::from(fd),
                spare.as_mut_ptr() as libc::c_long,
                room as libc::c_long,
                libc::c_long::from(libc::MSG_DONTWAIT),
                0,
                0,
            ],
        )?
    };
    // A count past the room would expose bytes never written.
    assert!(n <= room, "recv returned more than it was given");
    // SAFETY: the kernel initialised the `n` bytes after the current
    // length, and `n <= room <= capacity - len`.
    unsafe { buf.set_len(buf.len() + n) };
    Ok(n)
}

/// send(2) on a non-blocking stream socket, as the raw system call (see
/// [`recv`]), with `MSG_NOSIGNAL` as std's `write` has: a peer that
/// closed is `BrokenPipe`, not `SIGPIPE`. `MSG_DONTWAIT` as in `sock_recv`.
pub(crate) fn send(fd: RawFd, buf: &[u8]) -> io::Result<usize> {
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
/// [`recv`]).
pub(crate) fn send_vectored(fd: RawFd, bufs: &[std::io::IoSlice<'_>]) -> io::Result<usize> {
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
        let e = recv(a.as_raw_fd(), &mut buf).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
        assert_eq!(e.raw_os_error(), Some(libc::EAGAIN));

        b.write_all(b"hello").unwrap();
        let n = loop {
            match recv(a.as_raw_fd(), &mut buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::yield_now(),
                r => break r.unwrap(),
            }
        };
        assert_eq!(&buf[..n], b"hello");

        assert_eq!(send(a.as_raw_fd(), b"abc").unwrap(), 3);
        let parts = [IoSlice::new(b"de"), IoSlice::new(b""), IoSlice::new(b"f")];
        assert_eq!(send_vectored(a.as_raw_fd(), &parts).unwrap(), 3);
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
            let _ = tx.send(recv(blocking.as_raw_fd(), &mut buf).map_err(|e| e.kind()));
        });
        let got = rx.recv_timeout(std::time::Duration::from_secs(10));
        assert_eq!(got, Ok(Err(io::ErrorKind::WouldBlock)));

        // A descriptor that is not open: EBADF, the error from the result.
        let e = send(-1, b"x").unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EBADF));
        let e = recv(-1, &mut buf).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EBADF));
    }
}
