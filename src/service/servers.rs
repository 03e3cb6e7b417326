//! The crate's servers as services: as they are ([`Serve`]: a server bound
//! already, started by `do_start`), or bound by `do_start` ([`Bound`]), so
//! that a port in use is a start failure naming the service and the
//! address.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::context::ServiceContext;
use super::hooks::Service;
use super::state::Ready;
use crate::http::{Handler, HttpServer};
use crate::server::{DatagramServer, StreamServer};
use crate::sync::waiter::lock;

/// A server a service tree can start and stop: [`StreamServer`],
/// [`HttpServer`] and [`DatagramServer`] implement it, and each is then a
/// [`Service`] as it is, named `<kind> <address>`
/// (`StreamServer 127.0.0.1:1234`).
///
/// As a service, a server bound already is ready once `do_start` has
/// started its accept (or receive) loop: it listened since its bind.
/// `do_stop` stops it with the service's stop timeout (the server waits
/// that long for its handlers, then kills them).
pub trait Serve: Send + Sync + 'static {
    /// The server's kind, for its service's name (`StreamServer`).
    fn kind(&self) -> &'static str;
    /// The address it is bound to.
    fn local_addr(&self) -> SocketAddr;
    /// Starts serving (see [`StreamServer::start`]).
    ///
    /// # Errors
    ///
    /// As the server's `start`.
    fn start(&self) -> io::Result<()>;
    /// Stops serving, giving handlers `timeout` (see
    /// [`StreamServer::stop`]).
    fn stop(&self, timeout: Duration);
}

impl Serve for StreamServer {
    fn kind(&self) -> &'static str {
        "StreamServer"
    }
    fn local_addr(&self) -> SocketAddr {
        StreamServer::local_addr(self)
    }
    fn start(&self) -> io::Result<()> {
        StreamServer::start(self)
    }
    fn stop(&self, timeout: Duration) {
        StreamServer::stop(self, timeout);
    }
}

impl<H: Handler> Serve for HttpServer<H> {
    fn kind(&self) -> &'static str {
        "HttpServer"
    }
    fn local_addr(&self) -> SocketAddr {
        HttpServer::local_addr(self)
    }
    fn start(&self) -> io::Result<()> {
        HttpServer::start(self)
    }
    fn stop(&self, timeout: Duration) {
        HttpServer::stop(self, timeout);
    }
}

impl Serve for DatagramServer {
    fn kind(&self) -> &'static str {
        "DatagramServer"
    }
    fn local_addr(&self) -> SocketAddr {
        DatagramServer::local_addr(self)
    }
    fn start(&self) -> io::Result<()> {
        DatagramServer::start(self)
    }
    fn stop(&self, timeout: Duration) {
        DatagramServer::stop(self, timeout);
    }
}

impl<S: Serve> Service for S {
    fn name(&self) -> String {
        format!("{} {}", self.kind(), self.local_addr())
    }

    fn do_start(&self, _ctx: &ServiceContext) -> io::Result<Ready> {
        Serve::start(self)?;
        Ok(Ready::Now)
    }

    fn do_stop(&self, _ctx: &ServiceContext) -> io::Result<()> {
        Serve::stop(self, self.stop_timeout());
        Ok(())
    }
}

/// A server bound when its service starts: `do_start` calls the bind
/// function with the address and starts the server, so the service is
/// ready exactly when it listens, and a bind that fails (a port in use)
/// fails the start with an error naming the service and the address.
///
/// The handle is cheap to clone: keep a clone to reach the server (its
/// real port after `:0`) while the service runs. A stop stops the server
/// and drops it; a later start binds again.
///
/// # Examples
///
/// ```
/// use std::io::ErrorKind;
/// use greenline::server::StreamServer;
/// use greenline::service::{Bound, ServiceError, ServiceTree};
///
/// let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
/// let addr = taken.local_addr().unwrap().to_string();
/// let app = ServiceTree::new("app");
/// app.add_service(Bound::new("tcp", addr.clone(), |a| StreamServer::bind(a, |_, _| {}))).unwrap();
/// let err = app.start().unwrap_err();
/// assert_eq!(err.path(), "app/tcp");
/// assert!(err.to_string().contains(&addr));
/// assert_eq!(std::io::Error::from(err).kind(), ErrorKind::AddrInUse);
/// ```
pub struct Bound<S> {
    inner: Arc<Inner<S>>,
}

/// The bind function: called with the address, returns the bound server.
type BindFn<S> = dyn Fn(&str) -> io::Result<S> + Send + Sync;

struct Inner<S> {
    name: String,
    addr: String,
    bind: Box<BindFn<S>>,
    /// The server while the service runs.
    server: Mutex<Option<S>>,
}

impl<S> Clone for Bound<S> {
    fn clone(&self) -> Self {
        Bound {
            inner: self.inner.clone(),
        }
    }
}

impl<S: Serve + Clone> Bound<S> {
    /// A service named `name` that binds `addr` with `bind` when it starts
    /// (`|addr| StreamServer::bind(addr, handler)`).
    pub fn new(
        name: impl Into<String>,
        addr: impl Into<String>,
        bind: impl Fn(&str) -> io::Result<S> + Send + Sync + 'static,
    ) -> Bound<S> {
        Bound {
            inner: Arc::new(Inner {
                name: name.into(),
                addr: addr.into(),
                bind: Box::new(bind),
                server: Mutex::new(None),
            }),
        }
    }

    /// The address given to the bind function.
    pub fn addr(&self) -> &str {
        &self.inner.addr
    }

    /// The server, while the service runs (a clone of its handle).
    pub fn server(&self) -> Option<S> {
        lock(&self.inner.server).clone()
    }

    /// The address the server listens on (the real port after `:0`), while
    /// the service runs.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        lock(&self.inner.server).as_ref().map(Serve::local_addr)
    }
}

impl<S: Serve + Clone> Service for Bound<S> {
    fn name(&self) -> String {
        self.inner.name.clone()
    }

    fn do_start(&self, _ctx: &ServiceContext) -> io::Result<Ready> {
        let addr = &self.inner.addr;
        let server = (self.inner.bind)(addr)
            .map_err(|e| io::Error::new(e.kind(), format!("cannot bind {addr}: {e}")))?;
        server.start()?;
        *lock(&self.inner.server) = Some(server);
        Ok(Ready::Now)
    }

    fn do_stop(&self, _ctx: &ServiceContext) -> io::Result<()> {
        let server = lock(&self.inner.server).take();
        if let Some(server) = server {
            server.stop(self.stop_timeout());
        }
        Ok(())
    }
}

impl<S> fmt::Debug for Bound<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bound")
            .field("name", &self.inner.name)
            .field("addr", &self.inner.addr)
            .finish()
    }
}
