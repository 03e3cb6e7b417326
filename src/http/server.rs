//! The HTTP server: gevent's `pywsgi.WSGIServer`.
//!
//! ```text
//!  bind/new ──▶ ready ──start──▶ accepting ──stop(timeout)──▶ closed
//!   (listener open,     (accept greenlet;     (listener closed; connections
//!    backlog queues)     one greenlet per      joined up to timeout, then
//!                        connection)           killed)
//! ```

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{serve_connection, Handler, ServerConfig};
use crate::net::TcpListener;
use crate::sync::waiter::lock;
use crate::sync::Event;
use crate::{Builder, Greenlet, Group};

/// How long killed connections get to die in [`HttpServer::stop`].
const KILL_WAIT: Duration = Duration::from_secs(1);
/// Pause after a failed accept (out of descriptors, say) before retrying.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// An HTTP/1.1 server calling `H` for each request: gevent's
/// `pywsgi.WSGIServer`.
///
/// Each connection is served by [`serve_connection`] in a greenlet of its
/// own, so a handler that blocks in a greenline call holds up only its own
/// connection. The handle is cheap to clone; clones control one server.
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
    phase: Mutex<Phase>,
    /// The connection greenlets; `stop` joins, then kills them.
    connections: Group,
    /// Set when `stop` has finished, for `serve_forever`.
    done: Event,
}

enum Phase {
    /// Bound, not accepting yet.
    Ready(TcpListener),
    /// The accept greenlet owns the listener; killing it closes the listener.
    Started(Greenlet<()>),
    Closed,
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
                phase: Mutex::new(Phase::Ready(listener)),
                connections: Group::new(),
                done: Event::new(),
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
    /// accept greenlet cannot be spawned.
    pub fn start(&self) -> io::Result<()> {
        let mut phase = lock(&self.state.phase);
        let listener = match std::mem::replace(&mut *phase, Phase::Closed) {
            Phase::Ready(l) => l,
            Phase::Started(g) => {
                *phase = Phase::Started(g);
                return Ok(());
            }
            Phase::Closed => {
                return Err(io::Error::new(
                    io::ErrorKind::NotConnected,
                    "the server was stopped",
                ))
            }
        };
        let (handler, config, state) = (
            self.handler.clone(),
            self.config.clone(),
            self.state.clone(),
        );
        let accept = Builder::new()
            .name(format!("http-accept-{}", self.state.local_addr))
            .spawn(move || accept_loop(listener, handler, config, &state.connections))?;
        *phase = Phase::Started(accept);
        Ok(())
    }

    /// Starts the server if needed and waits until [`stop`](Self::stop)
    /// (called from another greenlet or thread) has finished: gevent's
    /// `serve_forever()`.
    ///
    /// # Errors
    ///
    /// As [`start`](Self::start), except that a stopped server returns
    /// `Ok(())`; `TimedOut` when a [`crate::Timeout`] in force passes.
    pub fn serve_forever(&self) -> io::Result<()> {
        match self.start() {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => return Ok(()),
            r => r?,
        }
        self.state.done.wait()
    }

    /// Stops the server: closes the listener, waits up to `timeout` for
    /// the connections to end, then kills the rest: gevent's
    /// `stop(timeout)`.
    ///
    /// New connections are refused once this returns or earlier. A
    /// connection idle in keep-alive counts as running, so it holds the
    /// wait until `timeout` (or its keep-alive timeout); a killed
    /// connection unwinds at its next yield point, out of its handler too,
    /// and its socket closes. Do not call it from a handler of this server:
    /// it would wait for itself until `timeout`.
    pub fn stop(&self, timeout: Duration) {
        let phase = std::mem::replace(&mut *lock(&self.state.phase), Phase::Closed);
        if let Phase::Started(accept) = phase {
            accept.kill();
        }
        let connections = &self.state.connections;
        if !connections.join(Some(timeout)) && !connections.kill(Some(KILL_WAIT)) {
            log::warn!(
                "HttpServer {}: a connection did not die within {KILL_WAIT:?} of being killed",
                self.state.local_addr
            );
        }
        self.state.done.set();
    }
}

// FIXME: run on server::StreamServer once it lands (connection limit,
// accept backoff, handler tracking); this loop is deliberately minimal.
fn accept_loop<H: Handler>(
    listener: TcpListener,
    handler: Arc<H>,
    config: Arc<ServerConfig>,
    connections: &Group,
) {
    loop {
        let (stream, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(e) => {
                log::warn!("http accept failed: {e}");
                let _ = crate::sleep(ACCEPT_BACKOFF);
                continue;
            }
        };
        let (handler, config) = (handler.clone(), config.clone());
        let spawned = Builder::new().spawn(move || {
            if let Err(e) = serve_connection(stream, peer, handler.as_ref(), &config) {
                log::debug!("http connection from {peer} ended: {e}");
            }
        });
        match spawned {
            Ok(g) => connections.add(&g),
            Err(e) => log::error!("http: cannot serve {peer}: {e}"),
        }
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
        f.debug_struct("HttpServer")
            .field("local_addr", &self.state.local_addr)
            .field("connections", &self.state.connections.len())
            .finish()
    }
}
