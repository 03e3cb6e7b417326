//! Unix domain stream sockets whose calls yield.

use std::io::{self, IoSlice, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use bytes::BytesMut;

use super::socket::Socket;
use super::stream::Stream;
use super::wait::Dir;
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
    sock: Socket<std::os::unix::net::UnixListener>,
}

impl UnixListener {
    /// Binds to `path` (which must not exist).
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        Ok(UnixListener {
            sock: Socket::new(std::os::unix::net::UnixListener::bind(path)?)?,
        })
    }

    /// Waits for a connection. Woken when one arrives; a
    /// [`crate::Timeout`] bounds the wait (`ErrorKind::TimedOut`); killing
    /// the greenlet unwinds it out of the call.
    ///
    /// # Errors
    ///
    /// What accept(2) returns; `TimedOut`; `ResourceBusy` when another
    /// greenlet is already waiting in `accept` on this listener.
    pub fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (s, a) = self
            .sock
            .op(Dir::Read, "UnixListener::accept", |l| l.accept())?;
        Ok((UnixStream::adopt(s)?, a))
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.sock.inner().local_addr()
    }

    /// Stops listening, as [`TcpListener::close`](super::TcpListener::close):
    /// a waiting `accept` wakes with `ErrorKind::NotConnected`.
    pub fn close(&self) {
        self.sock.close();
    }
}

/// A Unix domain stream connection.
#[derive(Debug)]
pub struct UnixStream {
    stream: Stream<std::os::unix::net::UnixStream>,
}

impl UnixStream {
    fn adopt(s: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream {
            stream: Stream::new(s)?,
        })
    }

    fn inner(&self) -> &std::os::unix::net::UnixStream {
        self.stream.sock.inner()
    }

    /// Connects to the socket at `path`.
    ///
    /// Woken when the listener takes the connection; while its backlog is
    /// full the attempt is repeated every millisecond. A [`crate::Timeout`]
    /// bounds the wait.
    pub fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let addr = socket2::SockAddr::unix(path)?;
        let socket = socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::STREAM, None)?;
        socket.set_nonblocking(true)?;
        let s = UnixStream::adopt(std::os::unix::net::UnixStream::from(
            std::os::fd::OwnedFd::from(socket),
        ))?;
        loop {
            match socket2::SockRef::from(s.inner()).connect(&addr) {
                Ok(()) => return Ok(s),
                // A full backlog: connect(2) does not complete later, it
                // must be asked again.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    crate::sleep(Duration::from_millis(1))?;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// A connected pair.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = std::os::unix::net::UnixStream::pair()?;
        Ok((UnixStream::adopt(a)?, UnixStream::adopt(b)?))
    }

    /// A buffered line reader and writer over this connection, leaving the
    /// stream usable too, as [`TcpStream::makefile`](super::TcpStream::makefile).
    ///
    /// # Errors
    ///
    /// What duplicating the descriptor returns (`EMFILE`).
    pub fn makefile(&self) -> io::Result<SocketFile<UnixStream>> {
        Ok(SocketFile::new(self.try_clone()?))
    }

    /// A second handle to the connection (a dup'd descriptor).
    pub fn try_clone(&self) -> io::Result<UnixStream> {
        let s = UnixStream::adopt(self.inner().try_clone()?)?;
        s.set_read_timeout(self.read_timeout())?;
        s.set_write_timeout(self.write_timeout())?;
        Ok(s)
    }

    /// Shuts down one or both halves.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner().shutdown(how)
    }

    /// Bounds each read (`ErrorKind::TimedOut`); `None` waits forever.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a zero duration, as std.
    pub fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        self.stream.sock.set_timeout(Dir::Read, t)
    }

    /// Bounds each write.
    pub fn set_write_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        self.stream.sock.set_timeout(Dir::Write, t)
    }

    /// The read timeout.
    pub fn read_timeout(&self) -> Option<Duration> {
        self.stream.sock.timeout(Dir::Read)
    }

    /// The write timeout.
    pub fn write_timeout(&self) -> Option<Duration> {
        self.stream.sock.timeout(Dir::Write)
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner().peer_addr()
    }

    /// Reads what is available into the spare capacity of `buf` (see
    /// [`TcpStream::read_buf`](super::TcpStream::read_buf)).
    pub fn read_buf(&mut self, buf: &mut BytesMut, max: usize) -> io::Result<usize> {
        self.stream.read_buf(buf, max, "UnixStream::read")
    }
}

impl Read for UnixStream {
    /// Reads what is available, waiting (yielding) while nothing is; as
    /// [`TcpStream`](super::TcpStream)'s.
    #[inline]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.read(buf, "UnixStream::read")
    }
}

impl Write for UnixStream {
    /// Writes what the kernel buffer takes, waiting (yielding) while it is
    /// full; as [`TcpStream`](super::TcpStream)'s.
    #[inline]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stream.write(buf, "UnixStream::write")
    }

    #[inline]
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.stream.write_vectored(bufs, "UnixStream::write")
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> RawFd {
        self.stream.sock.fd()
    }
}
