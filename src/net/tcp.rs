//! TCP listeners and streams that yield instead of blocking.

use std::io::{self, IoSlice, Read, Write};
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::time::Duration;

use bytes::BytesMut;
use socket2::{Domain, Type};

use super::socket::Socket;
use super::stream::Stream;
use super::wait::Dir;
use super::SocketFile;
use crate::time::timer;

/// Options for [`TcpListener::bind_with`].
#[derive(Debug, Clone)]
pub struct ListenOptions {
    backlog: i32,
    reuse_port: bool,
}

impl ListenOptions {
    /// Backlog 1024, no `SO_REUSEPORT`.
    pub fn new() -> ListenOptions {
        ListenOptions {
            backlog: 1024,
            reuse_port: false,
        }
    }

    /// The kernel's queue of connections not yet accepted.
    pub fn backlog(mut self, backlog: u32) -> ListenOptions {
        self.backlog = backlog.min(i32::MAX as u32) as i32;
        self
    }

    /// Opts in to `SO_REUSEPORT`: several listeners (processes) share the
    /// port and the kernel spreads connections over them. Off by default, so
    /// a busy port is an error.
    pub fn reuse_port(mut self, on: bool) -> ListenOptions {
        self.reuse_port = on;
        self
    }
}

impl Default for ListenOptions {
    fn default() -> Self {
        ListenOptions::new()
    }
}

/// A TCP server socket: gevent's listening socket.
///
/// # Examples
///
/// ```
/// use greenline::net::TcpListener;
/// let a = TcpListener::bind("127.0.0.1:0").unwrap();
/// let port = a.local_addr().unwrap().port();
/// // Unlike may's listener, a busy port is an error:
/// let err = TcpListener::bind(("127.0.0.1", port)).unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
/// ```
#[derive(Debug)]
pub struct TcpListener {
    sock: Socket<std::net::TcpListener>,
}

impl TcpListener {
    /// Binds and listens with default [`ListenOptions`], trying each
    /// resolved address until one binds (names are resolved with the
    /// system resolver; pass IP addresses in code that runs in greenlets).
    ///
    /// # Errors
    ///
    /// `AddrInUse` when another socket listens on the port; whatever
    /// resolution or `bind(2)` returns otherwise.
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        TcpListener::bind_with(addr, ListenOptions::new())
    }

    /// Binds and listens with `options`.
    pub fn bind_with(addr: impl ToSocketAddrs, options: ListenOptions) -> io::Result<TcpListener> {
        let mut last = None;
        for a in addr.to_socket_addrs()? {
            match listen_on(a, &options) {
                Ok(l) => return Ok(l),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "no address to bind to")
        }))
    }

    /// Wraps a std listener (bound and listening already); it is made
    /// non-blocking.
    pub fn from_std(l: std::net::TcpListener) -> io::Result<TcpListener> {
        Ok(TcpListener {
            sock: Socket::new(l)?,
        })
    }

    /// Waits for a connection and returns it with the peer's address.
    ///
    /// Woken when a connection arrives. A [`crate::Timeout`] in force bounds
    /// the wait (`ErrorKind::TimedOut`). Killing the greenlet unwinds it out
    /// of the call.
    ///
    /// # Errors
    ///
    /// What accept(2) returns (`EMFILE` when out of descriptors, say);
    /// `TimedOut`; `ResourceBusy` when another greenlet is already waiting
    /// in `accept` on this listener (clone it with
    /// [`try_clone`](TcpListener::try_clone) to accept from several).
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (s, peer) = self
            .sock
            .op(Dir::Read, "TcpListener::accept", |l| l.accept())?;
        Ok((TcpStream::adopt(s)?, peer))
    }

    /// Like [`accept`](TcpListener::accept), giving up with
    /// `ErrorKind::TimedOut` after `timeout`.
    pub fn accept_timeout(&self, timeout: Duration) -> io::Result<(TcpStream, SocketAddr)> {
        let limit = timer::deadline_after(timeout);
        let (s, peer) = self
            .sock
            .op_until(Dir::Read, "TcpListener::accept", Some(limit), |l| {
                l.accept()
            })?;
        Ok((TcpStream::adopt(s)?, peer))
    }

    /// The address the listener is bound to (the real port after `:0`).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.sock.inner().local_addr()
    }

    /// A second handle to the same listening socket (a dup'd descriptor,
    /// registered on its own, so another greenlet can accept on it).
    pub fn try_clone(&self) -> io::Result<TcpListener> {
        TcpListener::from_std(self.sock.inner().try_clone()?)
    }

    /// Reads and clears the socket's pending error (`SO_ERROR`).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.sock.inner().take_error()
    }

    /// Closes this handle: gevent's `close()`. A greenlet waiting in
    /// [`accept`](TcpListener::accept) on it wakes with
    /// `ErrorKind::NotConnected` at once (a plain thread within 50 ms), as
    /// does every later `accept`. A clone made with `try_clone` goes on
    /// accepting, as a gevent `dup` does; the port is released when the
    /// last handle is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let l = Arc::new(greenline::net::TcpListener::bind("127.0.0.1:0").unwrap());
    /// let waiting = {
    ///     let l = l.clone();
    ///     greenline::spawn(move || l.accept().map(|_| ()))
    /// };
    /// l.close();
    /// let err = waiting.join().unwrap().unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::NotConnected);
    /// ```
    pub fn close(&self) {
        self.sock.close();
    }
}

fn listen_on(addr: SocketAddr, options: &ListenOptions) -> io::Result<TcpListener> {
    let socket = socket2::Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    // SO_REUSEADDR as std sets it: rebinding over TIME_WAIT is allowed, an
    // active listener on the port still makes bind fail.
    socket.set_reuse_address(true)?;
    if options.reuse_port {
        socket.set_reuse_port(true)?;
    }
    socket.bind(&addr.into())?;
    socket.listen(options.backlog)?;
    TcpListener::from_std(socket.into())
}

/// A TCP connection whose reads and writes yield.
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
/// use greenline::net::{TcpListener, TcpStream};
/// let l = TcpListener::bind("127.0.0.1:0").unwrap();
/// let addr = l.local_addr().unwrap();
/// let server = greenline::spawn(move || -> std::io::Result<Vec<u8>> {
///     let (mut s, _) = l.accept()?;
///     let mut buf = vec![0; 4];
///     s.read_exact(&mut buf)?;
///     Ok(buf)
/// });
/// TcpStream::connect(addr).unwrap().write_all(b"ping").unwrap();
/// assert_eq!(server.join().unwrap().unwrap(), b"ping");
/// ```
#[derive(Debug)]
pub struct TcpStream {
    stream: Stream<std::net::TcpStream>,
}

impl TcpStream {
    /// Registers a connected std stream (made non-blocking).
    pub(crate) fn adopt(s: std::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            stream: Stream::new(s)?,
        })
    }

    /// Wraps a connected std stream; it is made non-blocking.
    pub fn from_std(s: std::net::TcpStream) -> io::Result<TcpStream> {
        TcpStream::adopt(s)
    }

    /// Connects to `addr` (from `source`, if given) without blocking the
    /// worker: a non-blocking connect(2), then a wait until the socket is
    /// writable, at most until `limit` (monotonic nanoseconds, see
    /// `time::timer`), the caller's `Timeout` or a kill.
    pub(crate) fn open(
        addr: SocketAddr,
        source: Option<SocketAddr>,
        limit: Option<u64>,
    ) -> io::Result<TcpStream> {
        let socket = socket2::Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
        if let Some(src) = source {
            socket.bind(&src.into())?;
        }
        // Registered before connecting, so the connect's end is an event.
        let s = TcpStream::adopt(std::net::TcpStream::from(std::os::fd::OwnedFd::from(
            socket,
        )))?;
        match socket2::SockRef::from(s.inner()).connect(&addr.into()) {
            Ok(()) => return Ok(s),
            Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
            Err(e) => return Err(e),
        }
        s.stream
            .sock
            .op_until(Dir::Write, "TcpStream::connect", limit, |t| {
                match t.take_error()? {
                    Some(e) => Err(e),
                    // Writable without an error: connected, unless the
                    // wake-up was not the connect's.
                    None => match t.peer_addr() {
                        Ok(_) => Ok(()),
                        Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                            Err(io::ErrorKind::WouldBlock.into())
                        }
                        Err(e) => Err(e),
                    },
                }
            })?;
        Ok(s)
    }

    /// A buffered line reader and writer over this connection, leaving the
    /// stream usable too: gevent's `makefile()`, after which the socket
    /// can still `sendall`. The file reads and writes through a second
    /// descriptor of the same connection (a `try_clone`); the connection
    /// closes when both are dropped, and `shutdown` on either ends it for
    /// both. To turn a stream into a file without a second descriptor, use
    /// [`SocketFile::new`].
    ///
    /// # Errors
    ///
    /// What duplicating the descriptor returns (`EMFILE`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{BufRead, Write};
    /// use greenline::net::{TcpListener, TcpStream};
    /// let l = TcpListener::bind("127.0.0.1:0").unwrap();
    /// let mut sock = TcpStream::connect(l.local_addr().unwrap()).unwrap();
    /// let (mut peer, _) = l.accept().unwrap();
    /// let mut file = sock.makefile().unwrap();
    /// peer.write_all(b"hello\n").unwrap();
    /// assert_eq!(file.readline().unwrap().as_deref(), Some("hello\n"));
    /// sock.write_all(b"still here\n").unwrap(); // the socket is not consumed
    /// ```
    pub fn makefile(&self) -> io::Result<SocketFile<TcpStream>> {
        Ok(SocketFile::new(self.try_clone()?))
    }

    fn inner(&self) -> &std::net::TcpStream {
        self.stream.sock.inner()
    }

    /// The remote address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner().peer_addr()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner().local_addr()
    }

    /// Shuts down the read, write or both halves. Readers blocked on a
    /// clone of this socket then see end of file.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner().shutdown(how)
    }

    /// A second handle to the connection (a dup'd descriptor, registered
    /// with the event loop on its own), so one greenlet can read while
    /// another writes. Timeouts are copied.
    pub fn try_clone(&self) -> io::Result<TcpStream> {
        let s = TcpStream::adopt(self.inner().try_clone()?)?;
        s.set_read_timeout(self.read_timeout())?;
        s.set_write_timeout(self.write_timeout())?;
        Ok(s)
    }

    /// Sets `TCP_NODELAY` (disables Nagle's algorithm).
    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        self.inner().set_nodelay(on)
    }

    /// Reads `TCP_NODELAY`.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner().nodelay()
    }

    /// Turns TCP keepalive on with this idle time before the first probe,
    /// or off with `None`.
    pub fn set_keepalive(&self, idle: Option<Duration>) -> io::Result<()> {
        let sock = socket2::SockRef::from(self.inner());
        match idle {
            None => sock.set_keepalive(false),
            Some(t) => sock.set_tcp_keepalive(&socket2::TcpKeepalive::new().with_time(t)),
        }
    }

    /// Reads `SO_KEEPALIVE`.
    pub fn keepalive(&self) -> io::Result<bool> {
        socket2::SockRef::from(self.inner()).keepalive()
    }

    /// Bounds each read: a read that waits longer returns
    /// `ErrorKind::TimedOut`. `None` waits forever.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a zero duration, as std.
    pub fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        self.stream.sock.set_timeout(Dir::Read, t)
    }

    /// Bounds each write, like [`set_read_timeout`](TcpStream::set_read_timeout).
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

    /// Reads without consuming, waiting for data like `read`.
    pub fn peek(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.peek(buf, "TcpStream::peek")
    }

    /// Reads what is available into the spare capacity of `buf`, at most
    /// `max` bytes, waiting like `read`; returns the count (0 at end of
    /// file, or when `buf` has no spare capacity). Reserve room first: no
    /// byte of `buf` is zeroed or copied twice.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// use bytes::BytesMut;
    /// use greenline::net::{TcpListener, TcpStream};
    /// let l = TcpListener::bind("127.0.0.1:0").unwrap();
    /// let mut c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
    /// let (mut s, _) = l.accept().unwrap();
    /// c.write_all(b"hi").unwrap();
    /// let mut buf = BytesMut::with_capacity(64);
    /// while buf.len() < 2 {
    ///     s.read_buf(&mut buf, 64).unwrap();
    /// }
    /// assert_eq!(&buf[..], b"hi");
    /// ```
    pub fn read_buf(&mut self, buf: &mut BytesMut, max: usize) -> io::Result<usize> {
        self.stream.read_buf(buf, max, "TcpStream::read")
    }

    /// Reads and clears the socket's pending error (`SO_ERROR`).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner().take_error()
    }

    /// Waits until the socket is writable: gevent's `wait_write(fileno)`
    /// for a write the caller makes itself on the socket's descriptor (its
    /// [`AsFd`]), such as sendfile(2), once that write failed with
    /// `EAGAIN`. [`net::wait_write`](super::wait_write) is for descriptors
    /// greenline does not own; on a greenline socket it fails with
    /// `EEXIST`.
    ///
    /// May return without the socket being writable (a wake-up is a
    /// hint): try the write again, and wait again on `EAGAIN`. Woken when
    /// the kernel has room, by an error or end of the connection, the
    /// write timeout ([`set_write_timeout`](TcpStream::set_write_timeout))
    /// or a [`crate::Timeout`] (`ErrorKind::TimedOut`); killing the greenlet
    /// unwinds out of the wait. A plain thread blocks in poll(2).
    ///
    /// # Examples
    ///
    /// gevent's `geventsendfile` example: sendfile(2) on the non-blocking
    /// socket, waiting whenever its buffer is full.
    ///
    /// ```
    /// use std::io::Read;
    /// use greenline::net::{TcpListener, TcpStream};
    /// use nix::{errno::Errno, sys::sendfile::sendfile};
    ///
    /// let l = TcpListener::bind("127.0.0.1:0").unwrap();
    /// let mut out = TcpStream::connect(l.local_addr().unwrap()).unwrap();
    /// let (mut peer, _) = l.accept().unwrap();
    /// let reader = greenline::spawn(move || {
    ///     let mut got = Vec::new();
    ///     peer.read_to_end(&mut got).map(|_| got)
    /// });
    /// let file = std::fs::File::open("Cargo.toml").unwrap();
    /// let len = file.metadata().unwrap().len() as usize;
    /// let mut offset = 0;
    /// while (offset as usize) < len {
    ///     let left = len - offset as usize;
    ///     match sendfile(&out, &file, Some(&mut offset), left) {
    ///         Ok(_) => {}
    ///         Err(Errno::EAGAIN) => out.wait_write().unwrap(),
    ///         Err(e) => panic!("sendfile: {e}"),
    ///     }
    /// }
    /// drop(out);
    /// assert_eq!(reader.join().unwrap().unwrap().len(), len);
    /// ```
    pub fn wait_write(&mut self) -> io::Result<()> {
        self.stream.wait_writable("TcpStream::wait_write")
    }
}

impl Read for TcpStream {
    /// Reads what is available, waiting (yielding) while nothing is.
    ///
    /// Woken by data, end of file, an error, the read timeout or a
    /// `Timeout` deadline (`ErrorKind::TimedOut`). Killing the greenlet
    /// unwinds out of the wait.
    #[inline]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.read(buf, "TcpStream::read")
    }
}

impl Write for TcpStream {
    /// Writes what the kernel buffer takes, waiting (yielding) while it is
    /// full. Woken by buffer space, an error, the write timeout or a
    /// deadline. A peer that closed is `BrokenPipe`, never `SIGPIPE`.
    #[inline]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stream.write(buf, "TcpStream::write")
    }

    #[inline]
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.stream.write_vectored(bufs, "TcpStream::write")
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.stream.sock.fd()
    }
}

/// The socket's descriptor, borrowed: for calls greenline does not wrap
/// (sendfile(2) through `nix`, socket options through `socket2`). A write
/// made this way that fails with `EAGAIN` waits with
/// [`TcpStream::wait_write`].
impl AsFd for TcpStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner().as_fd()
    }
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.sock.fd()
    }
}
