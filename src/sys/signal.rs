//! What a signal's disposition was before greenline handled it.

use std::io;
use std::mem::MaybeUninit;

/// A signal's disposition as sigaction(2) reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Disposition {
    /// `SIG_DFL`: the signal's default action (end the process, stop it,
    /// or nothing).
    Default,
    /// `SIG_IGN`.
    Ignore,
    /// A handler function (someone else's, or signal-hook's).
    Handler,
}

/// The current disposition of `signal`, changing nothing.
#[inline(never)] // reads errno: see `socket::socket_syscall`
pub(crate) fn disposition(signal: i32) -> io::Result<Disposition> {
    let mut old = MaybeUninit::<libc::sigaction>::uninit();
    // SAFETY: a null new action only reads the old one into `old`, which
    // is valid and writable for the call.
    if unsafe { libc::sigaction(signal, std::ptr::null(), old.as_mut_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: sigaction succeeded, so it wrote `old`.
    let old = unsafe { old.assume_init() };
    Ok(match old.sa_sigaction {
        libc::SIG_DFL => Disposition::Default,
        libc::SIG_IGN => Disposition::Ignore,
        _ => Disposition::Handler,
    })
}
