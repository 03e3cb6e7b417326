//! The stream core TCP and Unix streams hold: a [`Socket`] plus greenline's
//! bookkeeping of the socket's event flag, so that a read after a short
//! read waits for the poller's event instead of first trying and failing
//! with `EAGAIN`: one system call per message saved for a request-reply
//! peer (tokio keeps the same hint).
//!
//! may keeps one event flag per socket. greenline clears it itself (when
//! it waits, or with `reset_io`, which returns the flags it clears) and
//! then reads or writes the non-blocking socket with raw system calls
//! (`sys::socket`), so it sees every event: a read clears the flag before
//! each attempt, a write only after an attempt failed with `EAGAIN` (until
//! then the flag keeps its events for the next read or wait), input taken
//! by a write's clearing is remembered for the next read, and end of input
//! or an error (`EPOLLRDHUP`, `EPOLLHUP`, `EPOLLERR`) stops all waiting for
//! good.
//!
//! A read may wait before trying only when the last read came back short
//! (a stream socket's read stops short only when nothing more is queued,
//! though an end of file may be), nothing since said input or end, and the
//! socket is *trusted*: one of our reads has failed with `EAGAIN` since the
//! socket was registered, so no end of file can be queued that an event we
//! did not see announced.

use std::io::{self, IoSlice};
use std::os::fd::{AsRawFd, IntoRawFd, RawFd};

use bytes::BytesMut;

use super::socket::Socket;
use super::wait::{Dir, OpDeadline, CLOSED, INPUT, OUTPUT};

/// A stream socket and what greenline knows of its event flag.
#[derive(Debug)]
pub(crate) struct Stream<T: AsRawFd + IntoRawFd> {
    pub(crate) sock: Socket<T>,
    ready: Readiness,
}

/// See the module docs.
#[derive(Debug, Default)]
struct Readiness {
    /// One of our reads failed with `EAGAIN`.
    trusted: bool,
    /// The last read came back short.
    drained: bool,
    /// An event announcing input was taken by a write, not yet by a read.
    input: bool,
    /// An event announced end of input or an error.
    closed: bool,
}

impl Readiness {
    fn note(&mut self, events: usize) {
        self.input |= events & INPUT != 0;
        self.closed |= events & CLOSED != 0;
    }

    /// Whether a read should wait for an event before trying.
    fn read_waits(&self) -> bool {
        self.trusted && self.drained && !self.input && !self.closed
    }
}

impl<T: AsRawFd + IntoRawFd> Stream<T> {
    /// Registers `inner` with may's event loop (see [`Socket::new`]).
    pub(crate) fn new(inner: T) -> io::Result<Stream<T>> {
        Ok(Stream {
            sock: Socket::new(inner)?,
            ready: Readiness::default(),
        })
    }

    #[inline(always)]
    fn fd(&self) -> RawFd {
        self.sock.fd()
    }

    /// Reads what is available into `buf`, waiting (yielding) while nothing
    /// is. Woken by input, end of file, an error, the read timeout or a
    /// `Timeout` deadline (`ErrorKind::TimedOut`); killing the greenlet
    /// unwinds out of the wait.
    #[inline(always)]
    pub(crate) fn read(&mut self, buf: &mut [u8], what: &'static str) -> io::Result<usize> {
        let fd = self.fd();
        let len = buf.len();
        self.read_with(what, len, |_| crate::sys::socket::recv(fd, buf))
    }

    /// Reads what is available into the spare capacity of `buf` (at most
    /// `max` bytes; reserve room first), waiting like [`read`](Self::read).
    #[inline(always)]
    pub(crate) fn read_buf(
        &mut self,
        buf: &mut BytesMut,
        max: usize,
        what: &'static str,
    ) -> io::Result<usize> {
        let fd = self.fd();
        let room = (buf.capacity() - buf.len()).min(max);
        self.read_with(what, room, |_| crate::sys::socket::recv_spare(fd, buf, max))
    }

    /// Reads without consuming, waiting for data like [`read`](Self::read).
    pub(crate) fn peek(&mut self, buf: &mut [u8], what: &'static str) -> io::Result<usize> {
        let fd = self.fd();
        let n = self.read_with(what, usize::MAX, |_| crate::sys::socket::peek(fd, buf))?;
        // What was peeked is still queued: the next read must not wait.
        self.ready.input = true;
        Ok(n)
    }

    /// The read loop: `attempt` reads at most `len` bytes.
    #[inline(always)]
    fn read_with(
        &mut self,
        what: &'static str,
        len: usize,
        mut attempt: impl FnMut(&mut Self) -> io::Result<usize>,
    ) -> io::Result<usize> {
        let mut deadline = OpDeadline::Unset;
        loop {
            let events = if self.ready.read_waits() {
                self.sock.wait(Dir::Read, what, &mut deadline)?
            } else {
                self.sock.take_events()
            };
            self.ready.note(events);
            self.ready.input = false;
            match attempt(self) {
                Ok(n) => {
                    self.ready.drained = n > 0 && n < len;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    // Not seen after end of input; if it ever is, wait for
                    // the next event without believing the last.
                    self.ready.closed = false;
                    self.ready.trusted = true;
                    self.ready.drained = true;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Writes what the kernel buffer takes, waiting (yielding) while it is
    /// full. Woken by buffer space, an error, the write timeout or a
    /// deadline. A peer that closed is `BrokenPipe`, never `SIGPIPE`.
    #[inline(always)]
    pub(crate) fn write(&mut self, buf: &[u8], what: &'static str) -> io::Result<usize> {
        let fd = self.fd();
        self.write_with(what, || crate::sys::socket::send(fd, buf))
    }

    /// Writes several buffers with one system call, waiting like
    /// [`write`](Self::write).
    #[inline(always)]
    pub(crate) fn write_vectored(
        &mut self,
        bufs: &[IoSlice<'_>],
        what: &'static str,
    ) -> io::Result<usize> {
        let fd = self.fd();
        self.write_with(what, || crate::sys::socket::send_vectored(fd, bufs))
    }

    /// Waits until the socket is writable, for a write the caller made
    /// itself on the descriptor (sendfile(2), splice(2)) that failed with
    /// `EAGAIN`. As the write loop does after `EAGAIN`: clears the event
    /// flag (noting input for the next read) and returns at once if it
    /// said writable or closed, since that may have come after the
    /// caller's attempt; else waits. Woken like [`write`](Self::write).
    pub(crate) fn wait_writable(&mut self, what: &'static str) -> io::Result<()> {
        let events = self.sock.take_events();
        self.ready.note(events);
        if events & (OUTPUT | CLOSED) != 0 {
            return Ok(());
        }
        let events = self.sock.wait(Dir::Write, what, &mut OpDeadline::Unset)?;
        self.ready.note(events);
        Ok(())
    }

    /// The write loop. The first attempt leaves the event flag alone:
    /// clearing it is a locked instruction, and what it holds stays for the
    /// next read or wait. Only after `EAGAIN` is it cleared (and noted); if
    /// it said the socket was writable or failed, that may have come after
    /// the attempt, so the write is tried again at once instead of waiting
    /// for an event that has been and gone.
    #[inline(always)]
    fn write_with(
        &mut self,
        what: &'static str,
        mut attempt: impl FnMut() -> io::Result<usize>,
    ) -> io::Result<usize> {
        let mut deadline = OpDeadline::Unset;
        let mut cleared = false;
        loop {
            match attempt() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if !cleared {
                        cleared = true;
                        let events = self.sock.take_events();
                        self.ready.note(events);
                        if events & (OUTPUT | CLOSED) != 0 {
                            continue;
                        }
                    }
                    let events = self.sock.wait(Dir::Write, what, &mut deadline)?;
                    self.ready.note(events);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                r => return r,
            }
        }
    }
}
