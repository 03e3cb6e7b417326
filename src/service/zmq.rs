//! ZeroMQ as services: [`ZmqSocket`], a socket with a handler (a REP
//! server's loop, a SUB's reader), and [`ZmqDevice`], the built-in proxy.
//! Their sockets are bound when they start, their loops run in the
//! service's greenlets, and the sockets are closed when they stop.

use std::fmt;
use std::io;
use std::sync::Arc;

use super::context::ServiceContext;
use super::hooks::Service;
use super::state::Ready;
use crate::zmq::{proxy, Socket};

/// A ZeroMQ socket and the loop that serves it, as a service.
///
/// `do_start` binds the endpoints given to [`bind`](ZmqSocket::bind) (so
/// the service is ready once it listens; an endpoint in use fails the
/// start, naming it), connects those given to
/// [`connect`](ZmqSocket::connect), then runs the handler with a handle of
/// the socket in a greenlet of the service. `do_stop` closes the socket
/// (for every handle of it): a handler blocked in `recv` or `send` wakes
/// with `ErrorKind::NotConnected`, which ends it quietly; any other error
/// it returns is logged. A closed socket cannot be bound again: the
/// service is started once.
///
/// # Examples
///
/// The zguide's hello world server as a service:
///
/// ```
/// use greenline::service::{ServiceTree, ZmqSocket};
/// use greenline::zmq;
///
/// let ctx = zmq::Context::new();
/// let server = ZmqSocket::new("hwserver", ctx.socket(zmq::REP)?, |socket| loop {
///     let request = socket.recv_string(0)?;
///     socket.send(format!("World to {request}"), 0)?;
/// })
/// .bind("inproc://hello");
/// let app = ServiceTree::new("app");
/// app.add_service(server).unwrap();
/// app.start().unwrap();
/// let client = ctx.socket(zmq::REQ)?;
/// client.connect("inproc://hello")?;
/// client.send("Hello", 0)?;
/// assert_eq!(client.recv_string(0)?, "World to Hello");
/// assert!(app.stop().is_clean());
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct ZmqSocket {
    name: String,
    socket: Socket,
    binds: Vec<String>,
    connects: Vec<String>,
    handler: Arc<dyn Fn(Socket) -> io::Result<()> + Send + Sync>,
}

impl ZmqSocket {
    /// A service named `name` running `handler` on `socket`.
    pub fn new<F>(name: impl Into<String>, socket: Socket, handler: F) -> ZmqSocket
    where
        F: Fn(Socket) -> io::Result<()> + Send + Sync + 'static,
    {
        ZmqSocket {
            name: name.into(),
            socket,
            binds: Vec::new(),
            connects: Vec::new(),
            handler: Arc::new(handler),
        }
    }

    /// Binds the socket to `endpoint` when the service starts.
    pub fn bind(mut self, endpoint: impl Into<String>) -> ZmqSocket {
        self.binds.push(endpoint.into());
        self
    }

    /// Connects the socket to `endpoint` when the service starts (ZeroMQ
    /// connects in the background: a peer that is not there yet is not an
    /// error).
    pub fn connect(mut self, endpoint: impl Into<String>) -> ZmqSocket {
        self.connects.push(endpoint.into());
        self
    }
}

impl Service for ZmqSocket {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn do_start(&self, ctx: &ServiceContext) -> io::Result<Ready> {
        bind_all(&self.socket, "socket", &self.binds)?;
        for ep in &self.connects {
            self.socket.connect(ep).map_err(|e| {
                io::Error::new(e.kind(), format!("cannot connect the socket to {ep}: {e}"))
            })?;
        }
        let (socket, handler, name) =
            (self.socket.clone(), self.handler.clone(), self.name.clone());
        ctx.spawn(move || match handler(socket) {
            Err(e) if is_closed(&e) => {}
            Err(e) => log::error!("ZeroMQ service '{name}': {e}"),
            Ok(()) => {}
        });
        Ok(Ready::Now)
    }

    fn do_stop(&self, _ctx: &ServiceContext) -> io::Result<()> {
        self.socket.clone().close()
    }
}

impl fmt::Debug for ZmqSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZmqSocket")
            .field("name", &self.name)
            .field("bind", &self.binds)
            .field("connect", &self.connects)
            .finish()
    }
}

/// The errors a socket's calls end with once it is closed (by `do_stop`)
/// or its context terminated: the usual end of a service's loop.
fn is_closed(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotConnected | io::ErrorKind::ConnectionAborted
    )
}

/// A device forwarding between two ZeroMQ sockets ([`proxy`]) as a
/// service: a QUEUE (ROUTER/DEALER), FORWARDER (XSUB/XPUB) or STREAMER
/// (PULL/PUSH), by the sockets given.
///
/// `do_start` binds the endpoints given to [`bind_frontend`] and
/// [`bind_backend`] (so the device is ready once it listens; an endpoint in
/// use fails the start, naming it) and runs the proxy in a greenlet of the
/// service. `do_stop` closes both sockets (for every handle of them), which
/// ends the proxy. A closed socket cannot be bound again: a device is
/// started once.
///
/// [`bind_frontend`]: ZmqDevice::bind_frontend
/// [`bind_backend`]: ZmqDevice::bind_backend
///
/// # Examples
///
/// ```
/// use greenline::service::{ServiceTree, ZmqDevice};
/// use greenline::zmq;
///
/// let ctx = zmq::Context::new();
/// let device = ZmqDevice::new("queue", ctx.socket(zmq::ROUTER)?, ctx.socket(zmq::DEALER)?)
///     .bind_frontend("inproc://clients")
///     .bind_backend("inproc://workers");
/// let app = ServiceTree::new("app");
/// app.add_service(device).unwrap();
/// app.start().unwrap();
/// let worker = ctx.socket(zmq::REP)?;
/// worker.connect("inproc://workers")?;
/// let client = ctx.socket(zmq::REQ)?;
/// client.connect("inproc://clients")?;
/// client.send("ping", 0)?;
/// assert_eq!(worker.recv(0)?, "ping");
/// worker.send("pong", 0)?;
/// assert_eq!(client.recv(0)?, "pong");
/// assert!(app.stop().is_clean());
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct ZmqDevice {
    name: String,
    frontend: Socket,
    backend: Socket,
    frontend_endpoints: Vec<String>,
    backend_endpoints: Vec<String>,
}

impl ZmqDevice {
    /// A device named `name` forwarding between `frontend` and `backend`.
    pub fn new(name: impl Into<String>, frontend: Socket, backend: Socket) -> ZmqDevice {
        ZmqDevice {
            name: name.into(),
            frontend,
            backend,
            frontend_endpoints: Vec::new(),
            backend_endpoints: Vec::new(),
        }
    }

    /// Binds the frontend to `endpoint` when the service starts.
    pub fn bind_frontend(mut self, endpoint: impl Into<String>) -> ZmqDevice {
        self.frontend_endpoints.push(endpoint.into());
        self
    }

    /// Binds the backend to `endpoint` when the service starts.
    pub fn bind_backend(mut self, endpoint: impl Into<String>) -> ZmqDevice {
        self.backend_endpoints.push(endpoint.into());
        self
    }
}

/// Binds `socket` to each endpoint, naming the one that fails.
fn bind_all(socket: &Socket, side: &str, endpoints: &[String]) -> io::Result<()> {
    for ep in endpoints {
        socket.bind(ep).map_err(|e| {
            io::Error::new(e.kind(), format!("cannot bind the {side} to {ep}: {e}"))
        })?;
    }
    Ok(())
}

impl Service for ZmqDevice {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn do_start(&self, ctx: &ServiceContext) -> io::Result<Ready> {
        bind_all(&self.frontend, "frontend", &self.frontend_endpoints)?;
        bind_all(&self.backend, "backend", &self.backend_endpoints)?;
        let (frontend, backend) = (self.frontend.clone(), self.backend.clone());
        let name = self.name.clone();
        ctx.spawn(move || match proxy(&frontend, &backend, None) {
            // Closed by do_stop, or the context terminated: the usual ends.
            Err(e) if is_closed(&e) => {}
            Err(e) => log::error!("device '{name}': {e}"),
            Ok(()) => {}
        });
        Ok(Ready::Now)
    }

    fn do_stop(&self, _ctx: &ServiceContext) -> io::Result<()> {
        self.frontend.clone().close()?;
        self.backend.clone().close()
    }
}

impl fmt::Debug for ZmqDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZmqDevice")
            .field("name", &self.name)
            .field("frontend", &self.frontend_endpoints)
            .field("backend", &self.backend_endpoints)
            .finish()
    }
}
