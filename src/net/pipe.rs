//! One end of a pipe on the socket core: registered with may's event loop
//! and read or written with non-blocking calls, so a wait parks only the
//! calling greenlet. What `subprocess`'s child pipes are made of.
//!
//! A pipe is not a socket: it is read with read(2) (std's `&File`, which
//! on the non-blocking descriptor returns `WouldBlock` for the socket
//! core's [`op`](Socket::op) to wait on) and written with
//! `sys::pipe::write`, write(2) without `SIGPIPE`, since write(2) has no
//! `MSG_NOSIGNAL`.
//!
//! A pipe's waits follow its socket core's: woken by the pipe's event
//! (data, room, the other end closing), ended by the caller's
//! [`crate::Timeout`] (`TimedOut`); a killed greenlet unwinds out of them.
//! Reads and writes borrow the pipe, so it cannot be closed under a
//! waiter: dropping it closes the descriptor, which the other end sees as
//! end of file (a reader) or `EPIPE` (a writer).

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use super::socket::Socket;
use super::wait::Dir;

/// A pipe end registered with may's event loop (see the module docs).
#[derive(Debug)]
pub(crate) struct Pipe {
    sock: Socket<File>,
}

impl Pipe {
    /// Registers `fd`, one end of a pipe, and makes it non-blocking (its
    /// own open file: the other end, in a child, keeps its mode).
    pub(crate) fn new(fd: OwnedFd) -> io::Result<Pipe> {
        Ok(Pipe {
            sock: Socket::new(File::from(fd))?,
        })
    }

    /// Reads what is there into `buf`, waiting while the pipe is empty;
    /// 0 at end of file (every writer closed). `what` names the wait.
    pub(crate) fn read(&self, buf: &mut [u8], what: &'static str) -> io::Result<usize> {
        self.sock.op(Dir::Read, what, |mut file| file.read(buf))
    }

    /// Writes what the pipe takes of `buf`, waiting while it is full.
    /// `BrokenPipe` once the reading end is closed, never `SIGPIPE`.
    pub(crate) fn write(&self, buf: &[u8], what: &'static str) -> io::Result<usize> {
        self.sock.op(Dir::Write, what, |file| {
            crate::sys::pipe::write(file.as_raw_fd(), buf)
        })
    }
}

impl AsRawFd for Pipe {
    fn as_raw_fd(&self) -> RawFd {
        self.sock.fd()
    }
}
