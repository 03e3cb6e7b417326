//! Unix domain stream sockets whose calls yield.

use std::io;
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use super::deadline::{self, Dir, OwnTimeouts, Readiness, Timeouts};
use super::SocketFile;

/// A Unix domain socket server.
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
/// use greenline::net::{UnixListener, UnixStream};
/// let dir = std::env::temp_dir().join(format!("greenline-doc-{}", std::process::id()));
/// let _ = std::fs::remove_file(&dir);
/// let l = UnixListener::bind(&dir).unwrap();
/// let server = greenline::spawn(move || -> std::io::Result<String> {
///     let (mut s, _) = l.accept()?;
///     let mut text = String::new();
///     s.read_to_string(&mut text)?;
///     Ok(text)
/// });
/// UnixStream::connect(&dir).unwrap().write_all(b"over ipc").unwrap();
/// assert_eq!(server.join().unwrap().unwrap(), "over ipc");
/// std::fs::remove_file(&dir).unwrap();
/// ```
#[derive(Debug)]
pub struct UnixListener {
    io: may::os::unix::net::UnixListener,
}

impl UnixListener {
    /// Binds to `path` (which must not exist).
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        crate::config::ensure_started();
        Ok(UnixListener {
            io: may::os::unix::net::UnixListener::bind(path)?,
        })
    }

    /// Waits for a connection. Woken when one arrives; killing the greenlet
    /// unwinds it out of the call.
    pub fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let ticket = crate::greenlet::enter_wait("UnixListener::accept");
        let r = self.io.accept();
        crate::greenlet::leave_wait(ticket);
        let (s, a) = r?;
        Ok((UnixStream::from_may(s), a))
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.local_addr()
    }
}

/// A Unix domain stream connection.
#[derive(Debug)]
pub struct UnixStream {
    io: may::os::unix::net::UnixStream,
    timeouts: OwnTimeouts,
    ready: Readiness,
}

impl UnixStream {
    fn from_may(io: may::os::unix::net::UnixStream) -> UnixStream {
        UnixStream {
            io,
            // greenline's alarm thread keeps a stream's timeouts from the
            // start, so timed reads and writes take greenline's readiness
            // path too (see `net::deadline::Readiness`).
            timeouts: OwnTimeouts::with_own_timers(),
            ready: Readiness::default(),
        }
    }

    /// Connects to the socket at `path`.
    pub fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        crate::config::ensure_started();
        Ok(UnixStream::from_may(
            may::os::unix::net::UnixStream::connect(path)?,
        ))
    }

    /// A connected pair.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        crate::config::ensure_started();
        let (a, b) = may::os::unix::net::UnixStream::pair()?;
        Ok((UnixStream::from_may(a), UnixStream::from_may(b)))
    }

    /// Buffered line reader and writer (see [`SocketFile`]).
    pub fn makefile(self) -> SocketFile<UnixStream> {
        SocketFile::new(self)
    }

    /// A second handle to the connection (a dup'd descriptor).
    pub fn try_clone(&self) -> io::Result<UnixStream> {
        let s = UnixStream::from_may(self.io.try_clone()?);
        s.set_read_timeout(self.timeouts.get(Dir::Read))?;
        s.set_write_timeout(self.timeouts.get(Dir::Write))?;
        Ok(s)
    }

    /// Shuts down one or both halves.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.shutdown(how)
    }

    /// Bounds each read (`ErrorKind::TimedOut`); `None` waits forever.
    pub fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        self.set_own_timeout(Dir::Read, t)
    }

    /// Bounds each write.
    pub fn set_write_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        self.set_own_timeout(Dir::Write, t)
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.peer_addr()
    }
}

deadline::impl_timeouts!(UnixStream);

deadline::impl_stream_io!(UnixStream);

impl std::os::unix::io::AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> std::os::unix::io::RawFd {
        self.io.as_raw_fd()
    }
}
