//! Child processes: a descriptor that turns readable when a child exits,
//! waiting for an exit without reaping it, and sending signals.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

/// pidfd_open(2): a descriptor (close-on-exec) for process `pid`, readable
/// once it has exited. Linux 5.3 and later; `Unsupported` (`ENOSYS`) on
/// older kernels and other systems, and whatever error a sandbox that
/// filters the call gives (often `EPERM`).
///
/// The caller must not have reaped `pid`: until then the number cannot be
/// reused, so the descriptor is the right process's.
#[inline(never)] // reads errno: see `socket::socket_syscall`
pub(crate) fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: pidfd_open takes a pid and flags, no pointers; a
        // non-negative result is a new descriptor nothing else owns.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is open and owned by no one else (above).
        Ok(unsafe { OwnedFd::from_raw_fd(fd as libc::c_int) })
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pid;
        Err(io::Error::from_raw_os_error(libc::ENOSYS))
    }
}

/// Blocks the calling thread until child `pid` has exited, without
/// reaping it (waitid(2) with `WNOWAIT`): the caller reaps it afterwards
/// (std's `Child::try_wait`), so a signal sent meanwhile under the same
/// lock never reaches a recycled pid. Retried when a signal interrupts it.
#[inline(never)] // reads errno: see `socket::socket_syscall`
pub(crate) fn wait_exited(pid: u32) -> io::Result<()> {
    loop {
        // SAFETY: `info` is a valid, writable siginfo_t for the call.
        let r = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if r == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// kill(2): sends `signal` to process `pid`. The caller makes sure `pid`
/// is its own child and not yet reaped.
#[inline(never)] // reads errno: see `socket::socket_syscall`
pub(crate) fn kill(pid: u32, signal: i32) -> io::Result<()> {
    // SAFETY: kill takes no pointers.
    if unsafe { libc::kill(pid as libc::pid_t, signal) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
