//! How a [`TcpStream`] connects: `create_connection`, gevent's client-side
//! connect, and `TcpStream::connect`.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use super::address::{Address, ToAddress};
use super::TcpStream;
use crate::time::{timed_out, Deadline};

/// Options for [`create_connection`].
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    timeout: Option<Duration>,
    source: Option<SocketAddr>,
}

impl ConnectOptions {
    /// No timeout, no source address.
    pub fn new() -> ConnectOptions {
        ConnectOptions::default()
    }

    /// One timeout covering name resolution and every connect attempt.
    pub fn timeout(mut self, t: Duration) -> ConnectOptions {
        self.timeout = Some(t);
        self
    }

    /// Binds the local end to this address (port 0 for any port) before
    /// connecting.
    pub fn source_address(mut self, addr: SocketAddr) -> ConnectOptions {
        self.source = Some(addr);
        self
    }
}

/// Connects to `addr`: gevent's `socket.create_connection`.
///
/// A host name is resolved on the blocking thread pool, never on a worker
/// (`getaddrinfo` blocks, and in a greenlet would stall every socket of the
/// worker). Every resolved address is tried in order until one connects;
/// the error of the last attempt is returned when none does. One timeout
/// (from `options` or the caller's [`crate::Timeout`], whichever ends first)
/// covers resolution and all attempts.
///
/// # Errors
///
/// `ErrorKind::TimedOut` when the timeout passes; the resolver's error when
/// the name does not resolve; the last connect error otherwise (typically
/// `ConnectionRefused`).
///
/// # Examples
///
/// ```
/// use greenline::net::{create_connection, ConnectOptions, TcpListener};
/// use std::time::Duration;
/// let l = TcpListener::bind("127.0.0.1:0").unwrap();
/// let port = l.local_addr().unwrap().port();
/// let s = create_connection(("localhost", port), ConnectOptions::new().timeout(Duration::from_secs(5)));
/// assert!(s.is_ok());
/// // Borrowed addresses too:
/// let host = format!("localhost:{port}");
/// assert!(create_connection(&host, ConnectOptions::new()).is_ok());
/// ```
pub fn create_connection(addr: impl ToAddress, options: ConnectOptions) -> io::Result<TcpStream> {
    let deadline = Deadline::after(options.timeout);
    let addrs = resolve_within(addr, deadline)?;
    let mut last = None;
    for a in addrs {
        let left = deadline.remaining();
        if left.is_some_and(|d| d.is_zero()) {
            return Err(timed_out());
        }
        let limit = left.map(crate::time::timer::deadline_after);
        match TcpStream::open(a, options.source, limit) {
            Ok(s) => return Ok(s),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "the name resolved to no address",
        )
    }))
}

impl TcpStream {
    /// Connects to `addr`, resolving names off the worker threads and
    /// trying every address: [`create_connection`](super::create_connection)
    /// with no timeout.
    ///
    /// Woken when the connection is established or refused. A
    /// [`crate::Timeout`] in force bounds resolution and connect together.
    pub fn connect(addr: impl ToAddress) -> io::Result<TcpStream> {
        create_connection(addr, ConnectOptions::new())
    }

    /// Connects to one resolved address, giving up after `timeout`
    /// (`ErrorKind::TimedOut`).
    pub fn connect_timeout(addr: &SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
        create_connection(*addr, ConnectOptions::new().timeout(timeout))
    }
}

/// Resolves `addr` without blocking a worker: literal addresses inline,
/// names on the thread pool.
///
/// # Errors
///
/// The resolver's error; `InvalidInput` for a string without a port;
/// `ErrorKind::TimedOut` when the caller's [`crate::Timeout`] passes first.
pub fn resolve(addr: impl ToAddress) -> io::Result<Vec<SocketAddr>> {
    resolve_within(addr, Deadline::effective(None))
}

fn resolve_within(addr: impl ToAddress, deadline: Deadline) -> io::Result<Vec<SocketAddr>> {
    let (host, port) = match addr.to_address()? {
        Address::Resolved(addrs) => return Ok(addrs),
        Address::Name { host, port } => (host, port),
    };
    let task = crate::threadpool::spawn_blocking(move || {
        (host.as_str(), port)
            .to_socket_addrs()
            .map(|it| it.collect::<Vec<_>>())
    });
    match deadline.remaining() {
        Some(t) => task.join_timeout(t)?,
        None => task.join()?,
    }
}
