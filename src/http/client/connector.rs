//! How the client's connections are made: ureq's connector chain with a
//! greenline socket at the bottom.
//!
//! ureq asks a chain of connectors for a [`Transport`]; each may make one,
//! wrap the one before it (TLS) or pass it on. greenline's chain is
//!
//! ```text
//!  NoTls ──▶ ConnectProxyConnector (ureq's) ──▶ TcpConnector
//!  https?     an HTTP proxy in the config?       otherwise: create_connection
//!  refused    a CONNECT tunnel through it          to the resolved addresses
//! ```
//!
//! and every byte then goes through [`TcpTransport`]: a greenline
//! [`TcpStream`], whose reads, writes and connect park only the calling
//! greenlet.

use std::fmt;
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;

use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, Transport,
};
use ureq::Error;

use super::error::{from_io, time_left};
use crate::net::{create_connection, ConnectOptions, TcpStream};

/// ureq's [`Connector`] for plain TCP on greenline's sockets: connects to
/// the addresses the resolver found, in order, with greenline's
/// [`create_connection`] (a non-blocking connect that parks the greenlet).
///
/// [`agent`](super::agent) builds the chain this sits in; use it directly
/// only to build a chain of your own with
/// [`Agent::with_parts`](ureq::Agent::with_parts). A transport made
/// earlier in the chain is passed on untouched.
///
/// Woken when the connection is made or refused. The connect timeout
/// (ureq's `timeout_connect`, or what its global timeout leaves) covers
/// every address together, as would a greenline [`Timeout`](crate::Timeout)
/// in force: either ends the attempt with `Error::Timeout`.
///
/// # Examples
///
/// ```
/// use greenline::http::client::{self, Resolver, TcpConnector};
/// use greenline::http::client::ureq::unversioned::transport::Connector;
/// use greenline::http::{HttpServer, Request, Response};
/// let server = HttpServer::bind("127.0.0.1:0", |_: &mut Request| Response::text(200, "hi")).unwrap();
/// server.start().unwrap();
/// // Plain TCP only: no proxy support, and https fails in ureq itself.
/// let connector = ().chain(TcpConnector::default());
/// let agent = client::Agent::with_parts(client::Config::default(), connector, Resolver::default());
/// let url = format!("http://{}/", server.local_addr());
/// assert_eq!(agent.get(&url).call()?.body_mut().read_to_string()?, "hi");
/// # Ok::<(), client::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct TcpConnector(());

impl<In: Transport> Connector<In> for TcpConnector {
    type Out = Either<In, TcpTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, Error> {
        if let Some(transport) = chained {
            return Ok(Some(Either::A(transport)));
        }
        let mut options = ConnectOptions::new();
        if let Some(t) = time_left(details.timeout)? {
            options = options.timeout(t);
        }
        let stream = create_connection(&details.addrs[..], options)
            .map_err(|e| from_io(e, details.timeout.reason))?;
        let config = details.config;
        if config.no_delay() {
            stream.set_nodelay(true)?;
        }
        let buffers = LazyBuffers::new(config.input_buffer_size(), config.output_buffer_size());
        Ok(Some(Either::B(TcpTransport { stream, buffers })))
    }
}

/// ureq's [`Transport`] over a greenline [`TcpStream`]: what
/// [`TcpConnector`] makes, one per connection, kept in the agent's pool
/// between requests.
///
/// * Writing a request waits (parking the greenlet) while the socket's
///   buffer is full; reading a response waits until bytes, end of file or
///   an error arrive. Each wait ends at the time ureq leaves the step
///   (`timeout_send_request`, `timeout_recv_response`, `timeout_per_read`,
///   ..., or what the global timeout leaves) or at a greenline
///   [`Timeout`](crate::Timeout) in force, whichever comes first, with
///   `Error::Timeout`; ureq then closes the connection.
/// * Killing the greenlet unwinds it out of the wait; the connection is
///   dropped and so closed, never returned to the pool.
/// * Before a pooled connection is reused, it is checked without waiting:
///   one the server closed, or that holds bytes nobody asked for, is
///   dropped.
///
/// ureq's `Agent::shutdown` closes the pooled connections and refuses new
/// ones but, unlike with ureq's own transport, does not interrupt calls in
/// progress: end those with a `Timeout` or by killing their greenlets.
pub struct TcpTransport {
    stream: TcpStream,
    /// ureq's input and output buffers, allocated at the first request.
    buffers: LazyBuffers,
}

impl Transport for TcpTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), Error> {
        let timeout = timeout.for_write();
        // An atomic store in greenline: no system call to save by caching.
        self.stream.set_write_timeout(time_left(timeout)?)?;
        let output = &self.buffers.output()[..amount];
        self.stream
            .write_all(output)
            .map_err(|e| from_io(e, timeout.reason))
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        let timeout = timeout.for_read();
        self.stream.set_read_timeout(time_left(timeout)?)?;
        // greenline's read retries an interrupted system call itself.
        let n = self
            .stream
            .read(self.buffers.input_append_buf())
            .map_err(|e| from_io(e, timeout.reason))?;
        self.buffers.input_appended(n);
        Ok(n > 0)
    }

    /// Whether a pooled connection can carry another request: nothing is
    /// queued to read (a peek that would block). End of file means the
    /// server closed it; bytes mean it sent what nobody asked for.
    fn is_open(&mut self) -> bool {
        let mut byte = [0; 1];
        // A non-blocking peek: never waits, and leaves may's event flag
        // and the stream's bookkeeping alone.
        match crate::sys::socket::peek(self.stream.as_raw_fd(), &mut byte) {
            Err(e) => e.kind() == io::ErrorKind::WouldBlock,
            Ok(_) => false,
        }
    }
}

impl fmt::Debug for TcpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpTransport")
            .field("peer", &self.stream.peer_addr().ok())
            .finish()
    }
}

/// The first link of [`agent`](super::agent)'s chain: refuses an `https`
/// URL before any connection is made, since greenline has no TLS yet.
/// (ureq's `RustlsConnector` wraps any [`Transport`], so TLS can be a link
/// after [`TcpConnector`] once greenline takes rustls in.)
#[derive(Debug)]
pub(super) struct NoTls;

impl<In: Transport> Connector<In> for NoTls {
    type Out = In;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<In>, Error> {
        if details.needs_tls() {
            return Err(Error::Io(io::Error::new(
                io::ErrorKind::Unsupported,
                "https needs TLS, which greenline's HTTP client does not have yet",
            )));
        }
        Ok(chained)
    }
}
