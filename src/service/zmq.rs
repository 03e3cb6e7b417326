//! [`ZmqDevice`]: a ZeroMQ device (the built-in proxy) as a service: its
//! sockets bound when it starts, the proxy run in its greenlets, the
//! sockets closed when it stops.

use std::fmt;
use std::io;

use super::context::ServiceContext;
use super::hooks::Service;
use super::state::Ready;
use crate::zmq::{proxy, Socket};

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
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotConnected | io::ErrorKind::ConnectionAborted
                ) => {}
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
