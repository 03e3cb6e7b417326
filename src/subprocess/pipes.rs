//! A child's standard streams as cooperative pipes: [`ChildStdin`],
//! [`ChildStdout`], [`ChildStderr`], named after std's.
//!
//! Each is the parent's end of a pipe on greenline's socket core (see
//! `net::pipe`): a read or write that would block parks only the calling
//! greenlet (a plain thread blocks). Woken when the pipe has data or room,
//! or the child closes its end; the caller's [`crate::Timeout`] ends the
//! wait with `ErrorKind::TimedOut`; killing the greenlet unwinds out of
//! it. Reads and writes take `&mut self`, so the handle cannot be dropped
//! under a waiter; dropping it closes the parent's end.

use std::fmt;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use crate::net::Pipe;

/// The writing end of a child's standard input, if it was
/// [`Stdio::piped`](std::process::Stdio::piped).
///
/// Dropping it closes the pipe: the child reads end of file.
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
/// use std::process::{Command, Stdio};
/// use greenline::subprocess::Popen;
///
/// let mut cat = Popen::spawn(Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped())).unwrap();
/// let mut stdin = cat.stdin.take().unwrap();
/// stdin.write_all(b"hello").unwrap();
/// drop(stdin);
/// let mut out = String::new();
/// cat.stdout.as_mut().unwrap().read_to_string(&mut out).unwrap();
/// assert_eq!(out, "hello");
/// assert!(cat.wait().unwrap().success());
/// ```
pub struct ChildStdin {
    pipe: Pipe,
}

/// The reading end of a child's standard output, if it was
/// [`Stdio::piped`](std::process::Stdio::piped).
///
/// A read returns 0 (end of file) once every writer has closed it: the
/// child and any process it passed the descriptor to.
///
/// # Examples
///
/// ```
/// use std::io::Read;
/// use std::process::{Command, Stdio};
/// use greenline::subprocess::Popen;
///
/// let mut echo = Popen::spawn(Command::new("echo").arg("hi").stdout(Stdio::piped())).unwrap();
/// let mut out = String::new();
/// echo.stdout.as_mut().unwrap().read_to_string(&mut out).unwrap();
/// assert_eq!(out, "hi\n");
/// ```
pub struct ChildStdout {
    pipe: Pipe,
}

/// The reading end of a child's standard error, if it was
/// [`Stdio::piped`](std::process::Stdio::piped). Reads as
/// [`ChildStdout`] does.
///
/// # Examples
///
/// ```
/// use std::io::Read;
/// use std::process::{Command, Stdio};
/// use greenline::subprocess::Popen;
///
/// let mut sh = Popen::spawn(Command::new("sh").args(["-c", "echo oops >&2"]).stderr(Stdio::piped())).unwrap();
/// let mut err = String::new();
/// sh.stderr.as_mut().unwrap().read_to_string(&mut err).unwrap();
/// assert_eq!(err, "oops\n");
/// ```
pub struct ChildStderr {
    pipe: Pipe,
}

impl ChildStdin {
    pub(super) fn new(fd: impl Into<OwnedFd>) -> io::Result<ChildStdin> {
        Ok(ChildStdin {
            pipe: Pipe::new(fd.into())?,
        })
    }
}

impl ChildStdout {
    pub(super) fn new(fd: impl Into<OwnedFd>) -> io::Result<ChildStdout> {
        Ok(ChildStdout {
            pipe: Pipe::new(fd.into())?,
        })
    }
}

impl ChildStderr {
    pub(super) fn new(fd: impl Into<OwnedFd>) -> io::Result<ChildStderr> {
        Ok(ChildStderr {
            pipe: Pipe::new(fd.into())?,
        })
    }
}

/// Writes what the pipe takes, waiting (yielding) while it is full.
///
/// # Errors
///
/// `BrokenPipe` when the child closed its end (or exited), never a
/// `SIGPIPE`; `TimedOut` when the caller's `Timeout` passes.
impl Write for ChildStdin {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pipe.write(buf, "ChildStdin::write")
    }

    /// Nothing is buffered: does nothing.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Reads what the child wrote, waiting (yielding) while there is nothing;
/// 0 at end of file.
///
/// # Errors
///
/// `TimedOut` when the caller's `Timeout` passes.
impl Read for ChildStdout {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.pipe.read(buf, "ChildStdout::read")
    }
}

/// As [`ChildStdout`]'s.
impl Read for ChildStderr {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.pipe.read(buf, "ChildStderr::read")
    }
}

macro_rules! fd_and_debug {
    ($($t:ident),*) => {$(
        impl AsRawFd for $t {
            fn as_raw_fd(&self) -> RawFd {
                self.pipe.as_raw_fd()
            }
        }

        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($t)).field("fd", &self.as_raw_fd()).finish()
            }
        }
    )*};
}

fd_and_debug!(ChildStdin, ChildStdout, ChildStderr);
