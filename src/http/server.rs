//! The HTTP server: gevent's `pywsgi.WSGIServer`, a
//! [`StreamServer`] whose connection handler is
//! [`serve_connection`](super::serve_connection)'s parking variant
//! (`conn::serve_parking`).
//!
//! ```text
//!  bind/new ──▶ bound ──start──▶ serving ──stop(timeout)──▶ stopped
//!   (listener open,   (StreamServer built     (listener closed; connections
//!    backlog queues)   with the config;        waited for up to timeout,
//!                      accept greenlet;        then killed)
//!                      one greenlet per
//!                      connection)
//! ```
//!
//! The [`StreamServer`] is built at `start`, not at `bind`, because
//! [`HttpServer::with_config`] may still change the configuration (the
//! connection limit among it) between the two.

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::conn::serve_with_handoff;
use super::{Handler, ServerConfig};
use crate::net::TcpListener;
use crate::server::{ServerOptions, StreamServer};
use crate::sync::waiter::lock;

/// How long `stop` waits for the access log's thread to catch up.
const LOG_FLUSH_LIMIT: Duration = Duration::from_secs(1);

/// An HTTP/1.1 server calling `H` for each request: gevent's
/// `pywsgi.WSGIServer`.
///
/// It runs on a [`StreamServer`]: each connection is served as
/// [`serve_connection`](super::serve_connection) serves it, in a greenlet of
/// its own, so a handler that blocks in a greenline call holds up only its
/// own connection; a connection idle between requests for
/// [`ServerConfig::idle_park`] gives its greenlet up until its next request.
/// The accept loop's behaviour is the stream server's: the connection
/// limit ([`ServerConfig::max_connections`]), the back-off when the process
/// runs out of file descriptors, and the graceful stop. The handle is cheap
/// to clone; clones control one server.
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
/// use std::time::Duration;
/// use greenline::http::{AccessLog, HttpServer, Request, Response, ServerConfig};
///
/// let server = HttpServer::bind("127.0.0.1:0", |req: &mut Request| {
///     Response::text(200, format!("hello {}\n", req.path()))
/// })
/// .unwrap()
/// .with_config(ServerConfig::new().access_log(AccessLog::Off));
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
    handler: Arc<H>,
    config: Arc<ServerConfig>,
    state: Arc<State>,
}

struct State {
    local_addr: SocketAddr,
    stage: Mutex<Stage>,
}

/// Where the server is; see the module diagram.
enum Stage {
    /// Bound, not accepting: the listener waits for the final config.
    Bound(TcpListener),
    /// The stream server built at the first `start`; it stays here after
    /// it stopped, and answers for itself (`start` on it fails, its
    /// `serve_forever` returns at once).
    Serving(StreamServer),
    /// Stopped before it was ever started: the listener is closed.
    Stopped,
}

impl<H: Handler> HttpServer<H> {
    /// Binds `addr` and makes a server with the default (production)
    /// [`ServerConfig`], not yet accepting.
    ///
    /// # Errors
    ///
    /// `AddrInUse` when another socket listens on the port; whatever
    /// resolution or `bind(2)` returns otherwise.
    pub fn bind(addr: impl ToSocketAddrs, handler: H) -> io::Result<HttpServer<H>> {
        HttpServer::new(TcpListener::bind(addr)?, handler)
    }

    /// Makes a server on a bound, listening socket.
    ///
    /// # Errors
    ///
    /// Whatever `getsockname(2)` returns for the listener.
    pub fn new(listener: TcpListener, handler: H) -> io::Result<HttpServer<H>> {
        Ok(HttpServer {
            handler: Arc::new(handler),
            config: Arc::new(ServerConfig::new()),
            state: Arc::new(State {
                local_addr: listener.local_addr()?,
                stage: Mutex::new(Stage::Bound(listener)),
            }),
        })
    }

    /// Replaces the configuration. Takes effect at [`start`](Self::start):
    /// call it before.
    pub fn with_config(mut self, config: ServerConfig) -> HttpServer<H> {
        self.config = Arc::new(config);
        self
    }

    /// The address the server listens on (the real port after `:0`).
    pub fn local_addr(&self) -> SocketAddr {
        self.state.local_addr
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
        match self.stream_server()? {
            Some(server) => server.start(),
            None => Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "the server was stopped",
            )),
        }
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
        match self.stream_server()? {
            Some(server) => server.serve_forever(),
            None => Ok(()),
        }
    }

    /// Stops the server: closes the listener, waits up to `timeout` for
    /// the connections to end, then kills the rest: gevent's
    /// `stop(timeout)`. See [`StreamServer::stop`].
    ///
    /// New connections are refused once this returns or earlier. A
    /// connection parked in keep-alive (idle longer than
    /// [`ServerConfig::idle_park`]) is closed at once, and one idle for
    /// less is closed when it would park, so idle connections hold the wait
    /// for at most `idle_park` (without parking, until `timeout` or their
    /// keep-alive timeout). A killed
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
        let server = {
            let mut stage = lock(&self.state.stage);
            match &*stage {
                Stage::Serving(server) => server.clone(),
                // Never started: dropping the listener closes it.
                Stage::Bound(_) | Stage::Stopped => {
                    *stage = Stage::Stopped;
                    return;
                }
            }
        };
        server.stop(timeout);
        // Connections hand their last lines over as they end.
        let _ = self.config.access_log.flush(LOG_FLUSH_LIMIT);
    }

    /// The number of connections being served now.
    pub fn connection_count(&self) -> usize {
        match &*lock(&self.state.stage) {
            Stage::Serving(server) => server.connection_count(),
            Stage::Bound(_) | Stage::Stopped => 0,
        }
    }

    /// The number of idle keep-alive connections parked without a
    /// greenlet now (see [`ServerConfig::idle_park`]); they are part of
    /// [`connection_count`](Self::connection_count).
    pub fn parked_count(&self) -> usize {
        match &*lock(&self.state.stage) {
            Stage::Serving(server) => server.idle_count(),
            Stage::Bound(_) | Stage::Stopped => 0,
        }
    }

    /// The stream server, built around the listener on first use; `None`
    /// when the server was stopped before it was started.
    fn stream_server(&self) -> io::Result<Option<StreamServer>> {
        let mut stage = lock(&self.state.stage);
        let listener = match std::mem::replace(&mut *stage, Stage::Stopped) {
            Stage::Bound(listener) => listener,
            Stage::Serving(server) => {
                *stage = Stage::Serving(server.clone());
                return Ok(Some(server));
            }
            Stage::Stopped => return Ok(None),
        };
        let mut options = ServerOptions::new();
        if let Some(n) = self.config.max_connections {
            options = options.max_connections(n);
        }
        let (handler, config) = (self.handler.clone(), self.config.clone());
        let server = StreamServer::with_handoff(listener, options, move |stream, peer| {
            serve_with_handoff(stream, peer, handler.clone(), config.clone())
        })?;
        *stage = Stage::Serving(server.clone());
        Ok(Some(server))
    }
}

impl<H> Clone for HttpServer<H> {
    fn clone(&self) -> Self {
        HttpServer {
            handler: self.handler.clone(),
            config: self.config.clone(),
            state: self.state.clone(),
        }
    }
}

impl<H> fmt::Debug for HttpServer<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("HttpServer");
        d.field("local_addr", &self.state.local_addr);
        match &*lock(&self.state.stage) {
            Stage::Bound(_) => d.field("stage", &"bound"),
            Stage::Serving(server) => d.field("server", server),
            Stage::Stopped => d.field("stage", &"stopped"),
        };
        d.finish()
    }
}
