//! The HTTP server: gevent's `pywsgi.WSGIServer`, a [`StreamServer`]
//! whose connection handler is
//! [`serve_connection`](super::serve_connection)'s variant that hands an
//! idle connection back to the server (`conn::serve_with_handoff`).
//!
//! It has no lifecycle of its own: [`HttpServer::bind_with`] builds the
//! stream server at once, with the configuration's connection limit, and
//! `start`, `serve_forever` and `stop` are the stream server's (see
//! [`crate::server`] for the diagram); `stop` then also waits for the
//! access log.

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use super::conn::serve_with_handoff;
use super::{Handler, ServerConfig};
use crate::net::TcpListener;
use crate::server::handoff::Next;
use crate::server::{ServerOptions, StreamServer};

/// How long `stop` waits for the access log's thread to catch up.
const LOG_FLUSH_LIMIT: Duration = Duration::from_secs(1);

/// An HTTP/1.1 server calling `H` for each request: gevent's
/// `pywsgi.WSGIServer`.
///
/// It runs on a [`StreamServer`]: each connection is served as
/// [`serve_connection`](super::serve_connection) serves it, in a greenlet of
/// its own, so a handler that blocks in a greenline call holds up only its
/// own connection; a connection idle between requests for
/// [`ServerConfig::idle_handoff`] gives its greenlet up until its next
/// request. The accept loop's behaviour is the stream server's: the
/// connection limit ([`ServerConfig::max_connections`]), the back-off when
/// the process runs out of file descriptors, and the graceful stop. The
/// handle is cheap to clone; clones control one server.
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
/// use std::time::Duration;
/// use greenline::http::{AccessLog, HttpServer, Request, Response, ServerConfig};
///
/// let config = ServerConfig::new().access_log(AccessLog::Off);
/// let server = HttpServer::bind_with("127.0.0.1:0", config, |req: &mut Request| {
///     Response::text(200, format!("hello {}\n", req.path()))
/// })
/// .unwrap();
/// server.start().unwrap();
///
/// let mut client = std::net::TcpStream::connect(server.local_addr()).unwrap();
/// client.write_all(b"GET /world HTTP/1.0\r\n\r\n").unwrap();
/// let mut answer = String::new();
/// client.read_to_string(&mut answer).unwrap();
/// assert!(answer.ends_with("\r\n\r\nhello /world\n"));
///
/// server.stop(Duration::from_secs(1));
/// ```
pub struct HttpServer<H> {
    server: StreamServer,
    /// Kept to build the server again in `with_config`.
    handler: Arc<H>,
    /// The configuration the server was built with: `stop` flushes its
    /// access log.
    config: Arc<ServerConfig>,
}

impl<H: Handler> HttpServer<H> {
    /// Binds `addr` and makes a server with the default (production)
    /// [`ServerConfig`], not yet accepting.
    ///
    /// # Errors
    ///
    /// As [`bind_with`](Self::bind_with).
    pub fn bind(addr: impl ToSocketAddrs, handler: H) -> io::Result<HttpServer<H>> {
        HttpServer::bind_with(addr, ServerConfig::new(), handler)
    }

    /// Binds `addr` and makes a server with `config`, not yet accepting:
    /// connections that arrive before [`start`](Self::start) wait in the
    /// backlog.
    ///
    /// # Errors
    ///
    /// `AddrInUse` when another socket listens on the port; whatever
    /// resolution or `bind(2)` returns otherwise.
    pub fn bind_with(
        addr: impl ToSocketAddrs,
        config: ServerConfig,
        handler: H,
    ) -> io::Result<HttpServer<H>> {
        let listener = TcpListener::bind(addr)?;
        HttpServer::build(listener, Arc::new(config), Arc::new(handler))
    }

    /// Makes a server with the default [`ServerConfig`] on a bound,
    /// listening socket.
    ///
    /// # Errors
    ///
    /// Whatever `getsockname(2)` returns for the listener.
    pub fn new(listener: TcpListener, handler: H) -> io::Result<HttpServer<H>> {
        HttpServer::build(listener, Arc::new(ServerConfig::new()), Arc::new(handler))
    }

    /// Replaces the configuration of a server not yet started: the same
    /// as building it with [`bind_with`](Self::bind_with). Clones taken
    /// before this call still control the server as it was built, which
    /// this closes. On a server started or stopped it changes nothing:
    /// a running server's configuration is fixed.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenline::http::{AccessLog, HttpServer, Request, Response, ServerConfig};
    /// let server = HttpServer::bind("127.0.0.1:0", |_: &mut Request| Response::text(200, "hi"))
    ///     .unwrap()
    ///     .with_config(ServerConfig::new().access_log(AccessLog::Off));
    /// server.start().unwrap();
    /// server.stop(std::time::Duration::from_secs(1));
    /// ```
    pub fn with_config(self, config: ServerConfig) -> HttpServer<H> {
        let config = Arc::new(config);
        let options = options(&config);
        let handle = handle(self.handler.clone(), config.clone());
        match self.server.rebuild(options, handle) {
            Some(server) => HttpServer {
                server,
                handler: self.handler,
                config,
            },
            None => self,
        }
    }

    fn build(
        listener: TcpListener,
        config: Arc<ServerConfig>,
        handler: Arc<H>,
    ) -> io::Result<HttpServer<H>> {
        let handle = handle(handler.clone(), config.clone());
        let server = StreamServer::with_handoff(listener, options(&config), handle)?;
        Ok(HttpServer {
            server,
            handler,
            config,
        })
    }

    /// The address the server listens on (the real port after `:0`).
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// Starts accepting in a greenlet of its own and returns at once; the
    /// socket was listening since `bind`, so clients may connect as soon
    /// as this returns. Calling it on a started server does nothing.
    ///
    /// # Errors
    ///
    /// `NotConnected` when the server was stopped; `OutOfMemory` when the
    /// accept greenlet cannot be spawned (the server then stays bound, and
    /// `start` may be retried).
    pub fn start(&self) -> io::Result<()> {
        self.server.start()
    }

    /// Starts the server if needed and waits until [`stop`](Self::stop)
    /// (called from another greenlet or thread) has finished: gevent's
    /// `serve_forever()`.
    ///
    /// Killing the greenlet blocked here stops the server in the background
    /// (see [`StreamServer::serve_forever`]).
    ///
    /// # Errors
    ///
    /// As [`start`](Self::start), except that a stopped server returns
    /// `Ok(())`; `TimedOut` when a [`crate::Timeout`] in force passes; the
    /// listener's error when accepting failed for good (`EBADF`).
    pub fn serve_forever(&self) -> io::Result<()> {
        self.server.serve_forever()
    }

    /// Stops the server: closes the listener, waits up to `timeout` for
    /// the connections to end, then kills the rest: gevent's
    /// `stop(timeout)`. See [`StreamServer::stop`].
    ///
    /// New connections are refused once this returns or earlier. A
    /// keep-alive connection waiting in the idle lot (idle longer than
    /// [`ServerConfig::idle_handoff`]) is closed at once, and one idle for
    /// less is closed when it would be handed to the lot, so idle
    /// connections hold the wait for at most `idle_handoff` (without the
    /// hand-off, until `timeout` or their keep-alive timeout). A killed
    /// connection unwinds at its next yield point, out of its handler too,
    /// and its socket closes. Called from a handler of this server, it
    /// neither waits for nor kills the caller's own connection.
    ///
    /// Then it waits, up to one second more, for the access log's thread
    /// to write the lines of the requests served (see [`AccessLog`]); a
    /// destination stuck longer is not waited for.
    ///
    /// [`AccessLog`]: super::AccessLog
    pub fn stop(&self, timeout: Duration) {
        self.server.stop(timeout);
        // Connections hand their last lines over as they end.
        let _ = self.config.access_log.flush(LOG_FLUSH_LIMIT);
    }

    /// The number of connections being served now, idle ones included.
    pub fn connection_count(&self) -> usize {
        self.server.connection_count()
    }

    /// The number of idle keep-alive connections waiting without a
    /// greenlet now (see [`ServerConfig::idle_handoff`]); they are part of
    /// [`connection_count`](Self::connection_count).
    pub fn idle_count(&self) -> usize {
        self.server.idle_count()
    }

    /// The old name of [`idle_count`](Self::idle_count).
    #[deprecated(note = "renamed `idle_count`")]
    pub fn parked_count(&self) -> usize {
        self.idle_count()
    }
}

/// The stream server's options for `config`.
fn options(config: &ServerConfig) -> ServerOptions {
    let mut options = ServerOptions::new();
    if let Some(n) = config.max_connections {
        options = options.max_connections(n);
    }
    options
}

/// The stream server's connection handler: the HTTP request loop, which
/// hands an idle connection back.
fn handle<H: Handler>(
    handler: Arc<H>,
    config: Arc<ServerConfig>,
) -> impl Fn(crate::net::TcpStream, SocketAddr) -> Next + Send + Sync + 'static {
    move |stream, peer| serve_with_handoff(stream, peer, handler.clone(), config.clone())
}

impl<H> Clone for HttpServer<H> {
    fn clone(&self) -> Self {
        HttpServer {
            server: self.server.clone(),
            handler: self.handler.clone(),
            config: self.config.clone(),
        }
    }
}

impl<H> fmt::Debug for HttpServer<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpServer")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}
