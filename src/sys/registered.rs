//! A descriptor registered with may's event loop, deregistered before it
//! is closed.
//!
//! may's `CoIo<T>` registers `T`'s descriptor and deregisters it when
//! dropped, but its fields drop in the wrong order: `T` first, which
//! closes the descriptor, and the registration after, whose
//! `EPOLL_CTL_DEL` then fails on a closed descriptor. The kernel drops an
//! epoll registration by itself only once every descriptor of the open
//! file is closed, so when another copy is open (a `try_clone`, or a child
//! process between `fork` and `exec`) the registration stays and goes on
//! reporting events with a pointer to may's freed event data: a
//! use-after-free on the worker (AddressSanitizer caught it while a test
//! ran curl). And if the descriptor number is reused before the late
//! `EPOLL_CTL_DEL`, that call removes the new socket's registration. A
//! [`Registered`] hands the descriptor back from may first, which
//! deregisters it while it is open, and closes it afterwards.

use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};

use may::io::CoIo;

/// `T` registered with may's event loop (see the module docs).
#[derive(Debug)]
pub(crate) struct Registered<T: AsRawFd + IntoRawFd> {
    io: ManuallyDrop<CoIo<T>>,
}

impl<T: AsRawFd + IntoRawFd> Registered<T> {
    /// Registers `inner` with may's event loop and makes it non-blocking.
    pub(crate) fn new(inner: T) -> std::io::Result<Registered<T>> {
        Ok(Registered {
            io: ManuallyDrop::new(CoIo::new(inner).map_err(std::io::Error::from)?),
        })
    }
}

impl<T: AsRawFd + IntoRawFd> Deref for Registered<T> {
    type Target = CoIo<T>;

    #[inline(always)]
    fn deref(&self) -> &CoIo<T> {
        &self.io
    }
}

impl<T: AsRawFd + IntoRawFd> AsRawFd for Registered<T> {
    #[inline(always)]
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl<T: AsRawFd + IntoRawFd> Drop for Registered<T> {
    fn drop(&mut self) {
        // SAFETY: `io` is taken exactly once, here, and not touched again.
        let io = unsafe { ManuallyDrop::take(&mut self.io) };
        // Releases the descriptor from `T` and drops may's registration
        // (EPOLL_CTL_DEL) while the descriptor is still open.
        let fd = io.into_raw_fd();
        // SAFETY: `into_raw_fd` gave up sole ownership of `fd`, which is
        // open; nothing else will close it.
        drop(unsafe { OwnedFd::from_raw_fd(fd) });
    }
}
