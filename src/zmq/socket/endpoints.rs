//! Where a socket listens and connects: pyzmq's `bind`, `connect`,
//! `unbind`, `disconnect` and `LAST_ENDPOINT`.
//!
//! inproc:// endpoints are names in the socket's context; tcp:// and ipc://
//! ones are served by a listener or connecter greenlet ([`transport`]),
//! which the socket keeps under the endpoint and kills on
//! `unbind`/`disconnect` and on close.

use std::io;

use super::Socket;
use crate::sync::waiter::{lock, StateGuard};
use crate::zmq::core::Inner;
use crate::zmq::endpoint::Endpoint;
use crate::zmq::error::ZmqError;
use crate::zmq::transport;
use crate::Greenlet;

impl Socket {
    /// Listens on `endpoint`: `tcp://host:port` (`*` for every interface,
    /// port `*` or 0 for an ephemeral one, see
    /// [`last_endpoint`](Socket::last_endpoint)), `ipc:///path` or
    /// `inproc://name`. Accepting and handshaking happen in a greenlet.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a malformed endpoint, `AddrInUse` when taken, and
    /// what `bind(2)` returns. `NotConnected` ([`ZmqError::Closed`]) on a
    /// socket closed through another handle, `ConnectionAborted`
    /// ([`ZmqError::ContextTerminated`]) once the context is terminated.
    pub fn bind(&self, endpoint: &str) -> io::Result<()> {
        let ep = Endpoint::parse(endpoint)?;
        self.check_open()?;
        if let Endpoint::Inproc(name) = &ep {
            self.shared.ctx.inproc().bind(&self.shared.core, name)?;
            lock(&self.shared.local).inproc_bound.push(name.clone());
            lock(&self.shared.core.inner).last_endpoint = Some(endpoint.to_string());
            return Ok(());
        }
        let (resolved, task) = transport::listen(&self.shared.core, &ep)?;
        let mut inner = lock(&self.shared.core.inner);
        inner.last_endpoint = Some(resolved.clone());
        self.keep_endpoint(inner, (endpoint.to_string(), resolved, task))
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
    /// bound socket. `NotConnected` and `ConnectionAborted` as
    /// [`bind`](Socket::bind).
    pub fn connect(&self, endpoint: &str) -> io::Result<()> {
        let ep = Endpoint::parse(endpoint)?;
        self.check_open()?;
        if let Endpoint::Inproc(name) = &ep {
            return self.shared.ctx.inproc().connect(&self.shared.core, name);
        }
        if let Some(task) = transport::connect(&self.shared.core, ep, endpoint)? {
            let inner = lock(&self.shared.core.inner);
            let given = endpoint.to_string();
            return self.keep_endpoint(inner, (given.clone(), given, task));
        }
        Ok(())
    }

    /// libzmq: after `zmq_ctx_term`, every operation but close fails with
    /// ETERM; a closed socket is not a socket (ENOTSOCK).
    fn check_open(&self) -> io::Result<()> {
        let core = &self.shared.core;
        if core.is_terminated() {
            return Err(core.ended_error());
        }
        Ok(())
    }

    /// Keeps an endpoint's greenlet for unbind, disconnect and close,
    /// unless a close (or term) came in since [`check_open`]: then the
    /// close has taken the endpoints already, so this one is ended here.
    /// Both look under the socket's lock, so one of them sees the other.
    fn keep_endpoint(
        &self,
        mut inner: StateGuard<'_, Inner>,
        entry: (String, String, Greenlet<()>),
    ) -> io::Result<()> {
        let core = &self.shared.core;
        if core.is_terminated() {
            drop(inner);
            entry.2.kill();
            return Err(core.ended_error());
        }
        inner.endpoints.push(entry);
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
            let mut local = lock(&self.shared.local);
            if self.shared.ctx.inproc().unbind(&self.shared.core, name) {
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
            let mut inner = lock(&self.shared.core.inner);
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
            self.shared.core.detach(id);
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
        lock(&self.shared.core.inner).last_endpoint.clone()
    }
}
