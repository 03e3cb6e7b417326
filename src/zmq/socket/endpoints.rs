//! Where a socket listens and connects: pyzmq's `bind`, `connect`,
//! `unbind`, `disconnect` and `LAST_ENDPOINT`.
//!
//! inproc:// endpoints are names in the socket's context; tcp:// and ipc://
//! ones are served by a listener or connecter greenlet ([`transport`]),
//! which the socket keeps under the endpoint and kills on
//! `unbind`/`disconnect` and on close.

use std::io;

use super::Socket;
use crate::sync::waiter::lock;
use crate::zmq::endpoint::Endpoint;
use crate::zmq::error::ZmqError;
use crate::zmq::transport;

impl Socket {
    /// Listens on `endpoint`: `tcp://host:port` (`*` for every interface,
    /// port `*` or 0 for an ephemeral one, see
    /// [`last_endpoint`](Socket::last_endpoint)), `ipc:///path` or
    /// `inproc://name`. Accepting and handshaking happen in a greenlet.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a malformed endpoint, `AddrInUse` when taken, and
    /// what `bind(2)` returns.
    pub fn bind(&self, endpoint: &str) -> io::Result<()> {
        let ep = Endpoint::parse(endpoint)?;
        if let Endpoint::Inproc(name) = &ep {
            self.ctx.inproc().bind(&self.core, name)?;
            lock(&self.local).inproc_bound.push(name.clone());
            lock(&self.core.inner).last_endpoint = Some(endpoint.to_string());
            return Ok(());
        }
        let (resolved, task) = transport::listen(&self.core, &ep)?;
        let mut inner = lock(&self.core.inner);
        inner.last_endpoint = Some(resolved.clone());
        inner.endpoints.push((endpoint.to_string(), resolved, task));
        Ok(())
    }

    /// Connects to `endpoint`. Returns at once: the connection is made (and
    /// remade after a loss, every `reconnect_ivl`) in a greenlet, and
    /// messages sent meanwhile queue up to `sndhwm` (except on ROUTER,
    /// which only knows a peer once it has connected). The endpoint need
    /// not be bound yet, for inproc too.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a malformed endpoint or (inproc) an incompatible
    /// bound socket.
    pub fn connect(&self, endpoint: &str) -> io::Result<()> {
        let ep = Endpoint::parse(endpoint)?;
        if let Endpoint::Inproc(name) = &ep {
            return self.ctx.inproc().connect(&self.core, name);
        }
        if let Some(task) = transport::connect(&self.core, ep, endpoint)? {
            lock(&self.core.inner).endpoints.push((
                endpoint.to_string(),
                endpoint.to_string(),
                task,
            ));
        }
        Ok(())
    }

    /// Stops listening on `endpoint` (as given to `bind`, or as
    /// `last_endpoint` reported it) and closes the connections it accepted.
    ///
    /// # Errors
    ///
    /// `NotFound` when the socket is not bound there.
    pub fn unbind(&self, endpoint: &str) -> io::Result<()> {
        if let Some(name) = endpoint.strip_prefix("inproc://") {
            let mut local = lock(&self.local);
            if self.ctx.inproc().unbind(&self.core, name) {
                local.inproc_bound.retain(|n| n != name);
                return Ok(());
            }
            return Err(ZmqError::NoSuchEndpoint(endpoint.to_string()).into());
        }
        self.drop_endpoint(endpoint)
    }

    /// Stops connecting to `endpoint` and closes that connection; messages
    /// queued for it are dropped.
    ///
    /// # Errors
    ///
    /// `NotFound` when the socket is not connected there.
    pub fn disconnect(&self, endpoint: &str) -> io::Result<()> {
        self.drop_endpoint(endpoint)
    }

    fn drop_endpoint(&self, endpoint: &str) -> io::Result<()> {
        let (tasks, peers) = {
            let mut inner = lock(&self.core.inner);
            let (hit, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut inner.endpoints)
                .into_iter()
                .partition(|(given, resolved, _)| given == endpoint || resolved == endpoint);
            inner.endpoints = keep;
            let mut names = vec![endpoint.to_string()];
            names.extend(hit.iter().map(|(_, resolved, _)| resolved.clone()));
            let peers: Vec<u64> = inner
                .peers
                .iter()
                .filter(|p| names.contains(&p.endpoint))
                .map(|p| p.id)
                .collect();
            (hit, peers)
        };
        if tasks.is_empty() && peers.is_empty() {
            return Err(ZmqError::NoSuchEndpoint(endpoint.to_string()).into());
        }
        for (_, _, task) in tasks {
            task.kill();
        }
        for id in peers {
            self.core.detach(id);
        }
        Ok(())
    }

    /// The endpoint last bound, with the real port after binding port `*`
    /// or 0 (e.g. `tcp://127.0.0.1:41235`).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenline::zmq;
    /// let ctx = zmq::Context::new();
    /// let s = ctx.socket(zmq::PULL)?;
    /// s.bind("tcp://127.0.0.1:*")?;
    /// assert!(s.last_endpoint().unwrap().starts_with("tcp://127.0.0.1:"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn last_endpoint(&self) -> Option<String> {
        lock(&self.core.inner).last_endpoint.clone()
    }
}
