//! `StreamServer`: a TCP server running a handler per connection.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use super::accept::{classify, AcceptError, Backoff};
use super::handoff::{Conn, Next, Slot, Work};
use super::idle::IdleLot;
use super::ServerOptions;
use crate::greenlet::header::Header;
use crate::net::{TcpListener, TcpStream};
use crate::sync::waiter::lock;
use crate::sync::{Event, Semaphore};
use crate::{Builder, Greenlet, GreenletError};

/// How long [`StreamServer::serve_forever`] lets handlers finish when it has
/// to stop the server itself (gevent's `stop_timeout`).
const STOP_TIMEOUT: Duration = Duration::from_secs(1);

/// How long `stop` waits for killed handlers to unwind (gevent's
/// `pool.kill(timeout=1)`); one that never yields cannot be killed sooner.
const KILL_WAIT: Duration = Duration::from_secs(1);

/// The connection handler as the server holds it: a user's handler always
/// returns [`Next::Done`]; the HTTP server's may hand an idle connection
/// back ([`Next::Idle`]) to wait in the idle lot.
type Handler = dyn Fn(TcpStream, SocketAddr) -> Next + Send + Sync + 'static;

/// A TCP server that runs `handler(stream, peer)` in a new greenlet for every
/// connection: gevent's `gevent.server.StreamServer`.
///
/// The handle is cheap to clone (one shared state), so one greenlet can block
/// in [`serve_forever`](StreamServer::serve_forever) while another calls
/// [`stop`](StreamServer::stop). See the [module docs](super) for the
/// lifecycle.
///
/// # Examples
///
/// ```
/// use std::io::{BufRead, Write};
/// use greenline::net::TcpStream;
/// use greenline::server::StreamServer;
///
/// let server = StreamServer::bind("127.0.0.1:0", |conn, _peer| {
///     let mut out = conn.try_clone().unwrap();
///     let _ = std::io::copy(&mut conn.makefile().unwrap(), &mut out);
/// }).unwrap();
/// server.start().unwrap();
///
/// let mut file = TcpStream::connect(server.local_addr()).unwrap().makefile().unwrap();
/// file.write_all(b"ping\n").unwrap();
/// file.flush().unwrap();
/// let mut line = String::new();
/// file.read_line(&mut line).unwrap();
/// assert_eq!(line, "ping\n");
///
/// server.stop(std::time::Duration::from_secs(1));
/// assert!(server.is_closed());
/// ```
#[derive(Clone)]
pub struct StreamServer {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    handler: Arc<Handler>,
    local_addr: SocketAddr,
    /// One permit per allowed connection; `None` without a limit.
    slots: Option<Semaphore>,
    /// Connections open: handlers running and connections in the idle lot;
    /// see [`Slot`].
    active: Arc<AtomicUsize>,
    stack_size: Option<usize>,
    phase: Mutex<Phase>,
    /// Running handlers by greenlet id; each removes itself (through its
    /// link) when it ends. `stop` waits for and kills what is left.
    handlers: Mutex<BTreeMap<u64, Arc<Header>>>,
    /// Set when `serve_forever` should return: at the end of `stop`, or when
    /// the accept loop gives up on a broken listener.
    done: Event,
    /// Idle connections waiting for input without a greenlet.
    pub(super) lot: Arc<IdleLot>,
}

/// Where the server is in its lifecycle.
enum Phase {
    /// Constructed; the listener is open (connections queue in the backlog)
    /// but nothing accepts yet.
    Ready(TcpListener),
    /// The accept loop runs in this greenlet, which owns the listener:
    /// killing it closes the listener.
    Started(Greenlet<()>),
    /// The listener is closed (stop, or a fatal accept error recorded here).
    Closed(Option<(io::ErrorKind, String)>),
}

impl StreamServer {
    /// Binds `addr` (like [`TcpListener::bind`]) and makes a server that is
    /// not yet accepting; call [`start`](StreamServer::start) or
    /// [`serve_forever`](StreamServer::serve_forever).
    ///
    /// Connections that arrive before `start` wait in the backlog.
    ///
    /// # Errors
    ///
    /// `AddrInUse` when another socket listens on the port; whatever
    /// resolution or `bind(2)` returns otherwise.
    pub fn bind<A, F>(addr: A, handler: F) -> io::Result<StreamServer>
    where
        A: ToSocketAddrs,
        F: Fn(TcpStream, SocketAddr) + Send + Sync + 'static,
    {
        StreamServer::bind_with(addr, ServerOptions::new(), handler)
    }

    /// Like [`bind`](StreamServer::bind), with `options`.
    ///
    /// # Errors
    ///
    /// As [`bind`](StreamServer::bind).
    pub fn bind_with<A, F>(addr: A, options: ServerOptions, handler: F) -> io::Result<StreamServer>
    where
        A: ToSocketAddrs,
        F: Fn(TcpStream, SocketAddr) + Send + Sync + 'static,
    {
        let listener = TcpListener::bind_with(addr, options.listen_options())?;
        StreamServer::with_options(listener, options, handler)
    }

    /// Makes a server on a listener that is already bound and listening.
    ///
    /// # Errors
    ///
    /// Whatever `getsockname(2)` returns for the listener.
    pub fn new<F>(listener: TcpListener, handler: F) -> io::Result<StreamServer>
    where
        F: Fn(TcpStream, SocketAddr) + Send + Sync + 'static,
    {
        StreamServer::with_options(listener, ServerOptions::new(), handler)
    }

    /// Like [`new`](StreamServer::new), with `options` (its listen options
    /// are ignored: the listener exists already).
    ///
    /// # Errors
    ///
    /// As [`new`](StreamServer::new).
    pub fn with_options<F>(
        listener: TcpListener,
        options: ServerOptions,
        handler: F,
    ) -> io::Result<StreamServer>
    where
        F: Fn(TcpStream, SocketAddr) + Send + Sync + 'static,
    {
        StreamServer::with_handoff(listener, options, move |stream, peer| {
            handler(stream, peer);
            Next::Done
        })
    }

    /// Like [`with_options`](StreamServer::with_options), with a handler
    /// that may hand its connection back when it goes idle, to wait in the
    /// server's idle lot without a greenlet (see [`super::idle`]).
    pub(crate) fn with_handoff<F>(
        listener: TcpListener,
        options: ServerOptions,
        handler: F,
    ) -> io::Result<StreamServer>
    where
        F: Fn(TcpStream, SocketAddr) -> Next + Send + Sync + 'static,
    {
        let local_addr = listener.local_addr()?;
        Ok(StreamServer::build(listener, local_addr, options, handler))
    }

    /// [`with_handoff`](StreamServer::with_handoff) for a listener whose
    /// address is known.
    fn build<F>(
        listener: TcpListener,
        local_addr: SocketAddr,
        options: ServerOptions,
        handler: F,
    ) -> StreamServer
    where
        F: Fn(TcpStream, SocketAddr) -> Next + Send + Sync + 'static,
    {
        // The lot gives a connection with input back to the server through
        // a weak reference: the server owns the lot, not the other way.
        let inner = Arc::new_cyclic(|weak: &Weak<Inner>| {
            let server = weak.clone();
            let resume = move |conn: Conn| match server.upgrade() {
                Some(inner) => spawn_handler(&inner, conn),
                // A server that is gone cannot serve it: it closes as it
                // drops.
                None => Ok(()),
            };
            Inner {
                handler: Arc::new(handler),
                local_addr,
                slots: options.connection_limit().map(Semaphore::new),
                active: Arc::new(AtomicUsize::new(0)),
                stack_size: options.handler_stack_size(),
                phase: Mutex::new(Phase::Ready(listener)),
                handlers: Mutex::new(BTreeMap::new()),
                done: Event::new(),
                lot: Arc::new(IdleLot::new(local_addr, resume)),
            }
        });
        StreamServer { inner }
    }

    /// A server like this one, on its listener, with `options` and
    /// `handler`, if this one was never started; this one is then closed
    /// (its `serve_forever` returns). `None` once it started or closed.
    pub(crate) fn rebuild<F>(&self, options: ServerOptions, handler: F) -> Option<StreamServer>
    where
        F: Fn(TcpStream, SocketAddr) -> Next + Send + Sync + 'static,
    {
        let listener = {
            let mut phase = lock(&self.inner.phase);
            if !matches!(&*phase, Phase::Ready(_)) {
                return None;
            }
            match std::mem::replace(&mut *phase, Phase::Closed(None)) {
                Phase::Ready(listener) => listener,
                _ => unreachable!("checked above"),
            }
        };
        self.inner.done.set();
        let local_addr = self.inner.local_addr;
        Some(StreamServer::build(listener, local_addr, options, handler))
    }

    /// The address the server listens on (the real port after `:0`); it
    /// stays readable after the server is closed.
    pub fn local_addr(&self) -> SocketAddr {
        self.inner.local_addr
    }

    /// Starts accepting in a greenlet of its own and returns: gevent's
    /// `start()`. Does not block.
    ///
    /// Calling it on a started server does nothing.
    ///
    /// # Errors
    ///
    /// `ErrorKind::NotConnected` when the server is closed (a closed server
    /// cannot be restarted: its listener is gone); `ErrorKind::OutOfMemory`
    /// when the accept greenlet cannot be spawned (see
    /// [`Builder::spawn`]), the server then stays ready.
    pub fn start(&self) -> io::Result<()> {
        let mut phase = lock(&self.inner.phase);
        let listener = match std::mem::replace(&mut *phase, Phase::Closed(None)) {
            Phase::Ready(l) => l,
            other => {
                let closed = matches!(other, Phase::Closed(_));
                *phase = other;
                return if closed { Err(closed_error()) } else { Ok(()) };
            }
        };
        // The listener moves into the accept greenlet through a slot, so a
        // failed spawn can put it back.
        let slot = Arc::new(Mutex::new(Some(listener)));
        let inner = self.inner.clone();
        let taken = slot.clone();
        let spawned = Builder::new()
            .name(format!("accept-{}", self.inner.local_addr))
            .spawn(move || {
                if let Some(listener) = lock(&taken).take() {
                    accept_loop(&inner, listener);
                }
            });
        match spawned {
            Ok(g) => {
                *phase = Phase::Started(g);
                Ok(())
            }
            Err(e) => {
                let listener = lock(&slot).take().expect("the greenlet never ran");
                *phase = Phase::Ready(listener);
                Err(e)
            }
        }
    }

    /// Starts the server if needed, then waits until it is stopped: gevent's
    /// `serve_forever()`.
    ///
    /// Woken when [`stop`](StreamServer::stop), called from another greenlet
    /// or thread, has finished (handlers done or killed), or when the
    /// listener breaks. A greenlet caller yields; a plain thread blocks. It
    /// has no timeout of its own; a [`crate::Timeout`] in force ends the
    /// wait with `ErrorKind::TimedOut` and leaves the server running. Killing the greenlet blocked here unwinds it and stops the
    /// server in the background (handlers get one second to finish), as
    /// gevent does.
    ///
    /// # Errors
    ///
    /// The listener's error (for example `EBADF`) when accepting failed for
    /// good; the server has then been stopped. `ErrorKind::TimedOut` as
    /// above. Errors of [`start`](StreamServer::start), except that a server
    /// already stopped returns `Ok(())` at once.
    pub fn serve_forever(&self) -> io::Result<()> {
        match self.start() {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => {}
            r => r?,
        }
        let guard = StopOnUnwind(self);
        let waited = self.inner.done.wait();
        std::mem::forget(guard);
        waited?;
        let fatal = match &*lock(&self.inner.phase) {
            Phase::Closed(Some((kind, msg))) => Some(io::Error::new(*kind, msg.clone())),
            _ => None,
        };
        match fatal {
            Some(e) => {
                self.stop(STOP_TIMEOUT);
                Err(e)
            }
            None => Ok(()),
        }
    }

    /// Stops the server: closes the listener, waits up to `timeout` for
    /// running handlers to return, then kills the rest: gevent's
    /// `stop(timeout)`.
    ///
    /// Once the listener is closed (before this waits for handlers), new
    /// connections are refused and connections waiting in the backlog are
    /// reset. A killed handler unwinds at its next yield point (any blocking
    /// call), so its destructors run and its socket closes; the client sees
    /// end of file. `stop` waits up to one more second for killed handlers
    /// to die and returns even if one never yields (it then dies when it
    /// does). Handlers that finish in time are not disturbed.
    ///
    /// Woken when the last handler ends, or by the timeout. Called from
    /// inside a handler, it neither waits for nor kills the caller. Callers
    /// blocked in [`serve_forever`](StreamServer::serve_forever) return when
    /// this returns. Calling it again, or concurrently, is harmless.
    pub fn stop(&self, timeout: Duration) {
        let accept = {
            let mut phase = lock(&self.inner.phase);
            match std::mem::replace(&mut *phase, Phase::Closed(None)) {
                Phase::Started(g) => Some(g),
                // The listener drops (closes) here.
                Phase::Ready(_) => None,
                // Keep a fatal error for serve_forever to report.
                Phase::Closed(fatal) => {
                    *phase = Phase::Closed(fatal);
                    None
                }
            }
        };
        if let Some(g) = accept {
            // The accept greenlet only computes between yields, so it dies
            // promptly; its listener closes as it unwinds.
            g.kill();
        }
        // Connections in the idle lot are closed now, not waited for. A
        // connection the lot resumed before this is a running handler by
        // now, and is waited for below.
        self.inner.lot.close();
        let me = crate::current_id();
        let others = || -> Vec<Arc<Header>> {
            // Cloned out so no lock is held while waiting.
            lock(&self.inner.handlers)
                .iter()
                .filter(|(id, _)| Some(**id) != me)
                .map(|(_, h)| h.clone())
                .collect()
        };
        let deadline = crate::time::deadline_in(timeout);
        let finished = others().iter().all(|h| h.wait(deadline).is_ok());
        if !finished {
            let running = others();
            running.iter().for_each(|h| h.request_kill());
            let deadline = Instant::now() + KILL_WAIT;
            if !running.iter().all(|h| h.wait(Some(deadline)).is_ok()) {
                log::warn!(
                    "StreamServer {}: a handler did not die within {KILL_WAIT:?} of being \
                     killed (it never yields); it will die at its next yield",
                    self.inner.local_addr
                );
            }
        }
        self.inner.done.set();
    }

    /// True while the server accepts connections (after
    /// [`start`](StreamServer::start), until it is stopped or its listener
    /// breaks).
    pub fn is_started(&self) -> bool {
        match &*lock(&self.inner.phase) {
            Phase::Started(g) => !g.is_ready(),
            _ => false,
        }
    }

    /// True once the listener is closed: after [`stop`](StreamServer::stop)
    /// began, or after accepting failed for good.
    pub fn is_closed(&self) -> bool {
        match &*lock(&self.inner.phase) {
            Phase::Closed(_) => true,
            Phase::Started(g) => g.is_ready(),
            Phase::Ready(_) => false,
        }
    }

    /// The number of connections being handled now: counted from just
    /// before a handler is spawned until its function returns, panics or is
    /// killed. An idle connection waiting without a greenlet in the idle
    /// lot (the HTTP server's) counts until it closes.
    pub fn connection_count(&self) -> usize {
        self.inner.active.load(Ordering::SeqCst)
    }

    /// The number of idle connections waiting without a greenlet now, in
    /// the server's idle lot (the HTTP server's idle keep-alive
    /// connections; see
    /// [`ServerConfig::idle_handoff`](crate::http::ServerConfig::idle_handoff)).
    /// They are part of [`connection_count`](StreamServer::connection_count).
    pub fn idle_count(&self) -> usize {
        self.inner.lot.len()
    }

    /// The old name of [`idle_count`](StreamServer::idle_count).
    #[deprecated(note = "renamed `idle_count`")]
    pub fn parked_count(&self) -> usize {
        self.idle_count()
    }
}

impl fmt::Debug for StreamServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamServer")
            .field("local_addr", &self.inner.local_addr)
            .field("started", &self.is_started())
            .field("closed", &self.is_closed())
            .field("connections", &self.connection_count())
            .finish()
    }
}

fn closed_error() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "the server is closed")
}

/// Stops the server when the greenlet in `serve_forever` is killed. Runs
/// during the unwind, where nothing may yield, so it only spawns the stop.
struct StopOnUnwind<'a>(&'a StreamServer);

impl Drop for StopOnUnwind<'_> {
    fn drop(&mut self) {
        let server = self.0.clone();
        if let Err(e) = Builder::new().spawn(move || server.stop(STOP_TIMEOUT)) {
            log::error!("StreamServer: cannot stop after serve_forever was killed: {e}");
        }
    }
}

/// Accepts until killed (by `stop`) or until the listener breaks.
///
/// With a connection limit, a slot is taken *before* `accept`, so while the
/// server is full nothing is accepted and connections wait in the backlog.
fn accept_loop(inner: &Arc<Inner>, listener: TcpListener) {
    let addr = inner.local_addr;
    let mut backoff = Backoff::new();
    loop {
        let permit = match &inner.slots {
            // No Timeout is in force in this greenlet, so this only returns
            // with a permit (or unwinds when killed).
            Some(slots) => match slots.acquire() {
                Ok(p) => Some(p),
                Err(_) => continue,
            },
            None => None,
        };
        let failure = match listener.accept() {
            Ok((stream, peer)) => match spawn_handler(
                inner,
                Conn {
                    work: Work::New(stream),
                    peer,
                    slot: Slot::take(&inner.active, permit),
                },
            ) {
                Ok(()) => {
                    let errors = backoff.succeed();
                    if errors > 0 {
                        log::info!("StreamServer {addr}: accepting again after {errors} errors");
                    }
                    continue;
                }
                // The connection was dropped: no greenlet could serve it.
                Err(e) => e,
            },
            Err(e) => e,
        };
        match classify(&failure) {
            AcceptError::Skip => {
                log::debug!("StreamServer {addr}: accept: {failure} (skipped)");
            }
            AcceptError::Backoff => {
                let (delay, first) = backoff.fail();
                if first {
                    log::warn!(
                        "StreamServer {addr}: accept failed: {failure}; \
                         retrying with a growing delay (at most 1s)"
                    );
                }
                let _ = crate::sleep(delay);
            }
            AcceptError::Fatal => {
                log::error!("StreamServer {addr}: accept failed: {failure}; no longer accepting");
                let mut phase = lock(&inner.phase);
                if let Phase::Started(_) = &*phase {
                    *phase = Phase::Closed(Some((failure.kind(), failure.to_string())));
                }
                drop(phase);
                inner.done.set();
                return;
            }
        }
    }
}

/// Runs the handler for one connection in a greenlet named `conn-<peer>`,
/// which holds the connection's slot until it ends, or hands it to the
/// idle lot with the connection when the handler returns it idle.
fn spawn_handler(inner: &Arc<Inner>, conn: Conn) -> io::Result<()> {
    let Conn { work, peer, slot } = conn;
    let handler = inner.handler.clone();
    let mut builder = Builder::new().name(format!("conn-{peer}"));
    if let Some(bytes) = inner.stack_size {
        builder = builder.stack_size(bytes);
    }
    let server = Arc::downgrade(inner);
    let g = builder.spawn(move || {
        let next = match work {
            Work::New(stream) => handler(stream, peer),
            Work::Resume(stream, resume) => resume(stream),
        };
        if let Next::Idle(idle) = next {
            // A server that is gone cannot serve it: it closes as it drops.
            if let Some(inner) = server.upgrade() {
                inner.lot.put(idle, peer, slot);
            }
        }
    })?;
    let id = g.id();
    let weak = Arc::downgrade(inner);
    // Insert before linking: a link added after the end runs at once, so the
    // entry cannot outlive the greenlet.
    lock(&inner.handlers).insert(id, g.header().clone());
    g.link(move |outcome| {
        if let Some(inner) = weak.upgrade() {
            lock(&inner.handlers).remove(&id);
        }
        match outcome {
            Ok(()) => {}
            Err(GreenletError::Panicked { message, .. }) => {
                log::error!("StreamServer: handler for {peer} panicked: {message}");
            }
            Err(GreenletError::Killed { .. }) => {
                log::debug!("StreamServer: handler for {peer} killed");
            }
            Err(e) => log::error!("StreamServer: handler for {peer}: {e}"),
        }
    });
    Ok(())
}
