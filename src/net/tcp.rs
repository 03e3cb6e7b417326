//! TCP listeners and streams that yield instead of blocking.

use std::io;
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

use may::io::WaitIo;
use socket2::{Domain, Socket, Type};

use super::deadline::{self, Dir, OwnTimeouts, Readiness, Timeouts};
use super::{ConnectOptions, SocketFile};
use crate::time::{timed_out, Deadline};

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
    io: may::net::TcpListener,
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

    /// Wraps a std listener (bound and listening already).
    pub fn from_std(l: std::net::TcpListener) -> io::Result<TcpListener> {
        crate::config::ensure_started();
        Ok(TcpListener {
            io: crate::glue::adopt_tcp_listener(l)?,
        })
    }

    /// Waits for a connection and returns it with the peer's address.
    ///
    /// Woken when a connection arrives. A [`crate::Timeout`] in force bounds
    /// the wait (`ErrorKind::TimedOut`). Killing the greenlet unwinds it out
    /// of the call.
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let deadline = Deadline::effective(None);
        let ticket = crate::greenlet::enter_wait("TcpListener::accept");
        let r = match deadline.instant() {
            None => self.io.accept().map(|(s, a)| (TcpStream::from_may(s), a)),
            Some(end) => self.accept_until(end),
        };
        crate::greenlet::leave_wait(ticket);
        r
    }

    /// Like [`accept`](TcpListener::accept), giving up with
    /// `ErrorKind::TimedOut` after `timeout`.
    pub fn accept_timeout(&self, timeout: Duration) -> io::Result<(TcpStream, SocketAddr)> {
        let _t = crate::Timeout::start(timeout);
        self.accept()
    }

    fn accept_until(&self, end: Instant) -> io::Result<(TcpStream, SocketAddr)> {
        loop {
            match self.io.inner().accept() {
                Ok((s, a)) => return Ok((TcpStream::from_std_unchecked(s)?, a)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
            let now = Instant::now();
            if now >= end {
                return Err(timed_out());
            }
            if may::coroutine::is_coroutine() {
                // may's accept has no timeout: wait for readiness, with a
                // timer greenlet to wake us at the deadline.
                let waker = self.io.waker();
                let timer = crate::spawn(move || {
                    if crate::sleep(end - now).is_ok() {
                        waker.wakeup();
                    }
                });
                // Killing this greenlet unwinds out of the wait; the timer
                // greenlet then wakes nobody and ends at the deadline.
                let _ = deadline::wait_io(&self.io);
                timer.kill_nowait();
            } else {
                std::thread::sleep((end - now).min(Duration::from_millis(2)));
            }
        }
    }

    /// The address the listener is bound to (the real port after `:0`).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.local_addr()
    }

    /// A second handle to the same listening socket (a dup'd descriptor).
    pub fn try_clone(&self) -> io::Result<TcpListener> {
        Ok(TcpListener {
            io: self.io.try_clone()?,
        })
    }

    /// Reads and clears the socket's pending error (`SO_ERROR`).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.take_error()
    }
}

fn listen_on(addr: SocketAddr, options: &ListenOptions) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
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
    io: may::net::TcpStream,
    timeouts: OwnTimeouts,
    ready: Readiness,
}

impl TcpStream {
    pub(crate) fn from_may(io: may::net::TcpStream) -> TcpStream {
        TcpStream {
            io,
            // greenline's alarm thread keeps a stream's timeouts from the
            // start, so timed reads and writes take greenline's readiness
            // path too (see `net::deadline::Readiness`).
            timeouts: OwnTimeouts::with_own_timers(),
            ready: Readiness::default(),
        }
    }

    pub(crate) fn from_std_unchecked(s: std::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream::from_may(crate::glue::adopt_tcp_stream(s)?))
    }

    /// Wraps a connected std stream.
    pub fn from_std(s: std::net::TcpStream) -> io::Result<TcpStream> {
        crate::config::ensure_started();
        TcpStream::from_std_unchecked(s)
    }

    /// Connects to `addr`, resolving names off the worker threads and
    /// trying every address: [`create_connection`](super::create_connection)
    /// with no timeout.
    ///
    /// Woken when the connection is established or refused. A
    /// [`crate::Timeout`] in force bounds resolution and connect together.
    pub fn connect(addr: impl ToSocketAddrs + Send + 'static) -> io::Result<TcpStream> {
        super::create_connection(addr, ConnectOptions::new())
    }

    /// Connects to one resolved address, giving up after `timeout`
    /// (`ErrorKind::TimedOut`).
    pub fn connect_timeout(addr: &SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
        super::create_connection(*addr, ConnectOptions::new().timeout(timeout))
    }

    /// Wraps the stream in a buffered line reader and writer: gevent's
    /// `makefile()`.
    pub fn makefile(self) -> SocketFile<TcpStream> {
        SocketFile::new(self)
    }

    /// The remote address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.peer_addr()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.local_addr()
    }

    /// Shuts down the read, write or both halves. Readers blocked on a
    /// clone of this socket then see end of file.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.shutdown(how)
    }

    /// A second handle to the connection (a dup'd descriptor, registered
    /// with the event loop on its own), so one greenlet can read while
    /// another writes. Timeouts are copied.
    pub fn try_clone(&self) -> io::Result<TcpStream> {
        let s = TcpStream::from_may(self.io.try_clone()?);
        s.set_read_timeout(self.timeouts.get(Dir::Read))?;
        s.set_write_timeout(self.timeouts.get(Dir::Write))?;
        Ok(s)
    }

    /// Sets `TCP_NODELAY` (disables Nagle's algorithm).
    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        self.io.set_nodelay(on)
    }

    /// Reads `TCP_NODELAY`.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.inner().nodelay()
    }

    /// Turns TCP keepalive on with this idle time before the first probe,
    /// or off with `None`.
    pub fn set_keepalive(&self, idle: Option<Duration>) -> io::Result<()> {
        let sock = socket2::SockRef::from(self.io.inner());
        match idle {
            None => sock.set_keepalive(false),
            Some(t) => sock.set_tcp_keepalive(&socket2::TcpKeepalive::new().with_time(t)),
        }
    }

    /// Reads `SO_KEEPALIVE`.
    pub fn keepalive(&self) -> io::Result<bool> {
        socket2::SockRef::from(self.io.inner()).keepalive()
    }

    /// Bounds each read: a read that waits longer returns
    /// `ErrorKind::TimedOut`. `None` waits forever.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a zero duration, as std.
    pub fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        self.set_own_timeout(Dir::Read, t)
    }

    /// Bounds each write, like [`set_read_timeout`](TcpStream::set_read_timeout).
    pub fn set_write_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        self.set_own_timeout(Dir::Write, t)
    }

    /// The read timeout.
    pub fn read_timeout(&self) -> Option<Duration> {
        self.timeouts.get(Dir::Read)
    }

    /// The write timeout.
    pub fn write_timeout(&self) -> Option<Duration> {
        self.timeouts.get(Dir::Write)
    }

    /// Reads without consuming, waiting for data like `read`.
    pub fn peek(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        deadline::call(self, Dir::Read, "TcpStream::peek", |s| {
            s.take_may_path()?;
            s.io.peek(buf)
        })
    }

    /// Reads and clears the socket's pending error (`SO_ERROR`).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.take_error()
    }
}

deadline::impl_timeouts!(TcpStream);

deadline::impl_stream_io!(TcpStream);

impl std::os::unix::io::AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> std::os::unix::io::RawFd {
        self.io.as_raw_fd()
    }
}

impl std::os::unix::io::AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> std::os::unix::io::RawFd {
        self.io.as_raw_fd()
    }
}
