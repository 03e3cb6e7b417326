//! The listener greenlet of a bound tcp:// or ipc:// endpoint: accepts,
//! and runs each connection in a greenlet of its own.
//!
//! ```text
//!   accept ──ok──▶ max_pending_handshakes reached? ──yes──▶ close it at once
//!     ▲                      │ no
//!     │                      ▼
//!     │            spawn a connection greenlet (engine::run)
//!     │
//!     └── error: skip (ECONNABORTED, EPROTO, ...: that connection is gone)
//!                back off (EMFILE, ENFILE, ENOBUFS, ENOMEM: 10 ms doubling
//!                  to 1 s, one warn per episode)
//!                fatal (EBADF, EINVAL, ENOTSOCK): stop accepting
//! ```
//!
//! The errors are classified as [`StreamServer`](crate::server::StreamServer)
//! classifies them, by the same function; see `server/accept.rs` for why each
//! class is what it is. A fatal error closes the listening socket, but the
//! connections already accepted keep running until they end or the
//! endpoint is unbound. Killing the greenlet (unbind, close) ends them too.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::Stream;
use crate::net::{TcpListener, UnixListener};
use crate::server::accept::{classify, AcceptError, Backoff};
use crate::sync::waiter::lock;
use crate::zmq::core::Core;
use crate::zmq::endpoint::Endpoint;
use crate::zmq::engine;
use crate::{Builder, Greenlet};

/// Binds `ep` and starts its listener greenlet. Returns the endpoint as
/// `last_endpoint` reports it (the real port for `*`/0) and the greenlet.
///
/// # Errors
///
/// `AddrInUse` when the address (or, ipc, a live path) is taken, what
/// `bind(2)` returns, and a failure to spawn the greenlet.
pub(crate) fn listen(core: &Arc<Core>, ep: &Endpoint) -> io::Result<(String, Greenlet<()>)> {
    let (listener, resolved) = Listener::bind(ep)?;
    let core = core.clone();
    let name = resolved.clone();
    let task = Builder::new()
        .name("zmq-listener")
        .spawn(move || accept_loop(core, listener, name))?;
    Ok((resolved, task))
}

/// A bound tcp or ipc endpoint.
enum Listener {
    Tcp(TcpListener),
    /// The path is removed when the listener goes.
    Unix(UnixListener, PathBuf),
}

impl Listener {
    /// Binds `ep`; returns the listener and the endpoint as
    /// `last_endpoint` reports it (the real port for `*`/0).
    fn bind(ep: &Endpoint) -> io::Result<(Listener, String)> {
        match ep {
            Endpoint::Tcp { host, port } => {
                let addr = Endpoint::bind_addr(host, *port)?;
                let l = TcpListener::bind(addr)?;
                let local = l.local_addr()?;
                Ok((Listener::Tcp(l), format!("tcp://{local}")))
            }
            Endpoint::Ipc(path) => {
                remove_stale(path)?;
                let l = UnixListener::bind(path)?;
                Ok((
                    Listener::Unix(l, path.clone()),
                    format!("ipc://{}", path.display()),
                ))
            }
            Endpoint::Inproc(_) => unreachable!("inproc is bound by the context"),
        }
    }

    /// Waits for the next connection: a greenlet yields, a thread blocks,
    /// until one arrives or accept fails; killing the greenlet ends the
    /// wait.
    fn accept(&self) -> io::Result<Stream> {
        match self {
            Listener::Tcp(l) => {
                let (s, _) = l.accept()?;
                let _ = s.set_nodelay(true);
                Ok(Stream::Tcp(s))
            }
            Listener::Unix(l, _) => Ok(Stream::Unix(l.accept()?.0)),
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Listener::Unix(_, path) = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// An ipc path left behind by a process that died is removed; one that
/// something still listens on is `AddrInUse`.
fn remove_stale(path: &Path) -> io::Result<()> {
    if !path.exists() {
        return Ok(());
    }
    match std::os::unix::net::UnixStream::connect(path) {
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            format!("{} has a listener", path.display()),
        )),
        Err(_) => std::fs::remove_file(path),
    }
}

/// The listener greenlet (see the module docs).
///
/// At `max_pending_handshakes` connections still handshaking, a new one is
/// closed as soon as it is accepted (see that option for why not leave it
/// in the backlog): a warn line when the bound is reached, a debug line per
/// connection closed, an info line with the count when it accepts again.
fn accept_loop(core: Arc<Core>, listener: Listener, endpoint: String) {
    struct Connections(Vec<Greenlet<()>>);
    impl Drop for Connections {
        fn drop(&mut self) {
            for g in &self.0 {
                g.kill_nowait();
            }
        }
    }
    let mut connections = Connections(Vec::new());
    // Only this greenlet adds to it, so a check then an add cannot overshoot.
    let pending = Arc::new(AtomicUsize::new(0));
    // Connections closed since the bound was last reached.
    let mut refused: u64 = 0;
    let mut backoff = Backoff::new();
    loop {
        let stream = match listener.accept() {
            Ok(stream) => stream,
            Err(e) => {
                if core.is_shut() {
                    return;
                }
                match classify(&e) {
                    AcceptError::Skip => log::debug!("zmq {endpoint}: accept: {e} (skipped)"),
                    AcceptError::Backoff => {
                        // EMFILE and friends: the connection stays in the
                        // backlog, so retrying at once would spin.
                        let (delay, first) = backoff.fail();
                        if first {
                            log::warn!(
                                "zmq {endpoint}: accept failed: {e}; \
                                 retrying with a growing delay (at most 1s)"
                            );
                        }
                        let _ = crate::sleep(delay);
                    }
                    AcceptError::Fatal => {
                        log::error!("zmq {endpoint}: accept failed: {e}; no longer accepting");
                        drop(listener);
                        // Until they end, or a kill (unbind, close) ends
                        // them through `connections`.
                        crate::joinall(&connections.0, None);
                        return;
                    }
                }
                continue;
            }
        };
        let errors = backoff.succeed();
        if errors > 0 {
            log::info!("zmq {endpoint}: accepting again after {errors} errors");
        }
        let bound = lock(&core.inner).options.max_pending_handshakes;
        let now = pending.load(Ordering::Acquire);
        if bound.is_some_and(|max| now >= max) {
            if refused == 0 {
                log::warn!(
                    "zmq {endpoint}: {now} handshakes pending (max_pending_handshakes), \
                     closing new connections until one ends"
                );
            }
            refused += 1;
            log::debug!("zmq {endpoint}: closed a connection at max_pending_handshakes");
            stream.shutdown();
            continue;
        }
        if refused > 0 {
            log::info!(
                "zmq {endpoint}: accepting again, after closing {refused} connections \
                 at max_pending_handshakes"
            );
            refused = 0;
        }
        connections.0.retain(|g| !g.is_ready());
        let core = core.clone();
        let name = endpoint.clone();
        let slot = engine::PendingHandshake::new(&pending);
        let g = Builder::new().name("zmq-connection").spawn(move || {
            let _ = engine::run(&core, stream, &name, None, Some(slot));
        });
        match g {
            Ok(g) => connections.0.push(g),
            Err(e) => log::warn!("zmq {endpoint}: cannot start a connection: {e}"),
        }
    }
}
