//! Writing to a pipe without `SIGPIPE`.
//!
//! A socket write passes `MSG_NOSIGNAL`; write(2) on a pipe has no such
//! flag, so a write to a pipe whose reading end is closed (a child that
//! exited without reading its input) raises `SIGPIPE`, whose default action
//! ends the process. Rust's runtime ignores `SIGPIPE` in binaries, but a
//! library cannot count on that (a C host, or a program that restored the
//! default). So the write blocks the signal on the calling thread for the
//! call and, when it failed with `EPIPE`, takes the signal it raised off the
//! thread's pending set before unblocking: the caller sees `BrokenPipe`.
//! The signal of a failed write is directed at the thread that wrote, so
//! nothing else can take it. (The technique of OpenSSL and libcurl.)

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::RawFd;

/// write(2) of `buf` to the non-blocking pipe `fd`, `EPIPE` reported as
/// `BrokenPipe` and never as a signal (see the module docs). Does not
/// yield: the signal mask it changes is the calling thread's, and is put
/// back before it returns.
#[inline(never)] // reads errno: see `socket::socket_syscall`
pub(crate) fn write(fd: RawFd, buf: &[u8]) -> io::Result<usize> {
    let sigpipe = sigpipe_set();
    let mut old = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: both sets are valid for the call; `old` is written by it.
    let r = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &sigpipe, old.as_mut_ptr()) };
    if r != 0 {
        return Err(io::Error::from_raw_os_error(r));
    }
    // SAFETY: pthread_sigmask succeeded, so it wrote `old`.
    let old = unsafe { old.assume_init() };
    // A SIGPIPE already pending (blocked by the caller, or raised by
    // someone else) is not ours to take.
    let was_pending = pending_sigpipe();
    // SAFETY: `buf` is valid, readable memory of `buf.len()` bytes for
    // the duration of the call.
    let n = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
    let result = if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    };
    if matches!(&result, Err(e) if e.raw_os_error() == Some(libc::EPIPE)) && !was_pending {
        take_sigpipe(&sigpipe);
    }
    // SAFETY: `old` is the mask read above; the last argument may be null.
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut()) };
    result
}

fn sigpipe_set() -> libc::sigset_t {
    let mut set = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: sigemptyset initialises the set it is given; sigaddset then
    // takes the initialised set and a valid signal number.
    unsafe {
        libc::sigemptyset(set.as_mut_ptr());
        libc::sigaddset(set.as_mut_ptr(), libc::SIGPIPE);
        set.assume_init()
    }
}

/// Whether `SIGPIPE` is pending for this thread or the process.
fn pending_sigpipe() -> bool {
    let mut set = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: sigpending writes the set it is given; sigismember reads it.
    unsafe {
        if libc::sigpending(set.as_mut_ptr()) != 0 {
            return false;
        }
        libc::sigismember(set.as_ptr(), libc::SIGPIPE) == 1
    }
}

/// Takes the pending `SIGPIPE` a failed write raised (it is blocked, so
/// it waits in the thread's pending set).
fn take_sigpipe(sigpipe: &libc::sigset_t) {
    let zero = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    loop {
        // SAFETY: the set and the timeout are valid for the call; the
        // signal information pointer may be null.
        let r = unsafe { libc::sigtimedwait(sigpipe, std::ptr::null_mut(), &zero) };
        if r >= 0 || io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return;
        }
    }
}
