//! `StreamServer`: a TCP server running a handler per connection.

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use super::accept::{classify, AcceptError, Backoff};
use super::handoff::{Conn, Next, Slot, Work};
use super::idle::IdleLot;
use super::lifecycle::Lifecycle;
use super::ServerOptions;
use crate::net::{TcpListener, TcpStream};
use crate::sync::Semaphore;
use crate::Builder;

/// The connection handler as the server holds it: a user's handler always
/// returns [`Next::Done`]; the HTTP server's may hand an idle connection
/// back ([`Next::Idle`]) to wait in the idle lot.
type Handler = dyn Fn(TcpStream, SocketAddr, &StreamServer) -> Next + Send + Sync + 'static;

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
    /// The listener, the accept greenlet and the running handlers.
    life: Lifecycle<TcpListener>,
    /// Idle connections waiting for input without a greenlet.
    pub(super) lot: Arc<IdleLot>,
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
        StreamServer::bind_with_server(addr, options, move |stream, peer, _| handler(stream, peer))
    }

    /// Like [`bind_with`](StreamServer::bind_with), with a handler that is
    /// also given its server: `handler(stream, peer, &server)`. It is how a
    /// handler closes or stops the server it runs in, as a gevent handler
    /// calls `server.close()` (or `self.close()` in a `StreamServer`
    /// subclass): a closure cannot capture a server that does not exist
    /// yet. The reference is the server's own handle; clone it to hand it
    /// to greenlets the handler spawns.
    ///
    /// # Errors
    ///
    /// As [`bind`](StreamServer::bind).
    ///
    /// # Examples
    ///
    /// A server that serves one connection: its handler closes it first.
    ///
    /// ```
    /// use std::io::{ErrorKind, Write};
    /// use greenline::net::TcpStream;
    /// use greenline::server::{ServerOptions, StreamServer};
    ///
    /// let options = ServerOptions::new();
    /// let server = StreamServer::bind_with_server("127.0.0.1:0", options, |mut conn, _peer, server| {
    ///     server.close();
    ///     let _ = conn.write_all(b"the last one\n");
    /// }).unwrap();
    /// server.start().unwrap();
    ///
    /// let addr = server.local_addr();
    /// let mut file = TcpStream::connect(addr).unwrap().makefile().unwrap();
    /// assert_eq!(file.readline().unwrap().as_deref(), Some("the last one\n"));
    /// assert!(server.is_closed());
    /// assert_eq!(TcpStream::connect(addr).unwrap_err().kind(), ErrorKind::ConnectionRefused);
    /// ```
    pub fn bind_with_server<A, F>(
        addr: A,
        options: ServerOptions,
        handler: F,
    ) -> io::Result<StreamServer>
    where
        A: ToSocketAddrs,
        F: Fn(TcpStream, SocketAddr, &StreamServer) + Send + Sync + 'static,
    {
        let listener = TcpListener::bind_with(addr, options.listen_options())?;
        let local_addr = listener.local_addr()?;
        Ok(StreamServer::build(
            listener,
            local_addr,
            options,
            move |stream, peer, server| {
                handler(stream, peer, server);
                Next::Done
            },
        ))
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
        Ok(StreamServer::build(
            listener,
            local_addr,
            options,
            move |s, p, _| handler(s, p),
        ))
    }

    /// [`with_handoff`](StreamServer::with_handoff) for a listener whose
    /// address is known, with a handler given the server.
    fn build<F>(
        listener: TcpListener,
        local_addr: SocketAddr,
        options: ServerOptions,
        handler: F,
    ) -> StreamServer
    where
        F: Fn(TcpStream, SocketAddr, &StreamServer) -> Next + Send + Sync + 'static,
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
                life: Lifecycle::new("StreamServer", local_addr, listener),
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
        let listener = self.inner.life.take_ready()?;
        let local_addr = self.inner.local_addr;
        Some(StreamServer::build(
            listener,
            local_addr,
            options,
            move |s, p, _| handler(s, p),
        ))
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
        let inner = self.inner.clone();
        self.inner.life.start(
            format!("accept-{}", self.inner.local_addr),
            move |listener| accept_loop(&inner, listener),
        )
    }

    /// Starts the server if needed, then waits until it is stopped: gevent's
    /// `serve_forever()`.
    ///
    /// Woken when the listener closes: by [`stop`](StreamServer::stop),
    /// called from another greenlet or thread, once that stop has finished
    /// (handlers done or killed); by [`close`](StreamServer::close), after
    /// which it stops the server itself as gevent does, giving handlers one
    /// second to finish and then killing them; or by the listener breaking
    /// (stopped the same way). A greenlet caller yields; a plain thread
    /// blocks. It has no timeout of its own; a [`crate::Timeout`] in force
    /// ends the wait with `ErrorKind::TimedOut` and leaves the server
    /// running. Killing the greenlet blocked here unwinds it and stops the
    /// server in the background (handlers get one second to finish), as
    /// gevent does.
    ///
    /// To let handlers run to their end after a `close`, use
    /// [`start`](StreamServer::start) and wait for them, for example with
    /// [`crate::wait`], as gevent's `portforwarder` example does.
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
        let server = self.clone();
        self.inner.life.serve(move |timeout| server.stop(timeout))
    }

    /// Stops accepting and returns at once, leaving running handlers alone:
    /// gevent's `close()`.
    ///
    /// The listener closes: new connections are refused and connections
    /// waiting in the backlog are reset. Handlers already running carry on
    /// to their end, and so do connections waiting in the idle lot (the
    /// HTTP server's). [`stop`](StreamServer::stop) later waits for them
    /// and kills the rest. Callers blocked in
    /// [`serve_forever`](StreamServer::serve_forever) are woken and stop
    /// the server (see there). Does not block beyond the moment the accept
    /// greenlet takes to unwind; calling it from a handler is fine.
    ///
    /// Returns true when this call closed the server, false when it was
    /// closed already (by `close`, `stop`, or a broken listener), and then
    /// does nothing. Of callers racing from several greenlets, exactly one
    /// gets true: what a gevent handler's `if not server.closed:
    /// server.close()` means, which cannot race in gevent's single
    /// thread but can across greenline's workers.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{ErrorKind, Write};
    /// use std::time::Duration;
    /// use greenline::net::TcpStream;
    /// use greenline::server::StreamServer;
    ///
    /// let server = StreamServer::bind("127.0.0.1:0", |conn, _peer| {
    ///     let mut file = conn.makefile().unwrap();
    ///     let _ = file.write_all(b"hello\n").and_then(|()| file.flush());
    ///     while let Ok(Some(line)) = file.readline() {
    ///         let _ = file.write_all(line.as_bytes()).and_then(|()| file.flush());
    ///     }
    /// }).unwrap();
    /// server.start().unwrap();
    /// let addr = server.local_addr();
    /// let mut client = TcpStream::connect(addr).unwrap().makefile().unwrap();
    /// assert_eq!(client.readline().unwrap().as_deref(), Some("hello\n"));
    ///
    /// assert!(server.close());
    /// assert!(!server.close(), "closed already");
    /// assert_eq!(TcpStream::connect(addr).unwrap_err().kind(), ErrorKind::ConnectionRefused);
    /// // The connection being handled carries on.
    /// client.write_all(b"still here\n").unwrap();
    /// client.flush().unwrap();
    /// assert_eq!(client.readline().unwrap().as_deref(), Some("still here\n"));
    /// drop(client);
    /// server.stop(Duration::from_secs(5));
    /// ```
    pub fn close(&self) -> bool {
        self.inner.life.close()
    }

    /// Stops the server: closes the listener, waits up to `timeout` for
    /// running handlers to return, then kills the rest: gevent's
    /// `stop(timeout)`.
    ///
    /// Once the listener is closed (before this waits for handlers), new
    /// connections are refused and connections waiting in the backlog are
    /// reset. Connections waiting in the idle lot (the HTTP server's) are
    /// closed at once. A killed handler unwinds at its next yield point
    /// (any blocking call), so its destructors run and its socket closes;
    /// the client sees end of file. `stop` waits up to one more second for
    /// killed handlers to die and returns even if one never yields (it then
    /// dies when it does). Handlers that finish in time are not disturbed.
    ///
    /// Woken when the last handler ends, or by the timeout. Called from
    /// inside a handler, it neither waits for nor kills the caller. Callers
    /// blocked in [`serve_forever`](StreamServer::serve_forever) return when
    /// this returns. Calling it again, or concurrently, is harmless; after
    /// [`close`](StreamServer::close) it does the waiting and killing
    /// `close` left undone.
    pub fn stop(&self, timeout: Duration) {
        self.inner.life.begin_stop();
        self.inner.life.close();
        // Connections in the idle lot are closed now, not waited for. A
        // connection the lot resumed before this is a running handler by
        // now, and is waited for below.
        self.inner.lot.close();
        self.inner.life.finish_stop(timeout);
    }

    /// True while the server accepts connections (after
    /// [`start`](StreamServer::start), until it is closed, stopped or its
    /// listener breaks).
    pub fn is_started(&self) -> bool {
        self.inner.life.is_started()
    }

    /// True once the listener is closed: after [`close`](StreamServer::close)
    /// or [`stop`](StreamServer::stop) began, or after accepting failed for
    /// good.
    pub fn is_closed(&self) -> bool {
        self.inner.life.is_closed()
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

/// Accepts until killed (by `close`) or until the listener breaks.
///
/// With a connection limit, a slot is taken *before* `accept`, so while the
/// server is full nothing is accepted and connections wait in the backlog.
fn accept_loop(inner: &Arc<Inner>, listener: TcpListener) {
    let name = inner.life.name();
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
                        log::info!("{name}: accepting again after {errors} errors");
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
                log::debug!("{name}: accept: {failure} (skipped)");
            }
            AcceptError::Backoff => {
                let (delay, first) = backoff.fail();
                if first {
                    log::warn!(
                        "{name}: accept failed: {failure}; \
                         retrying with a growing delay (at most 1s)"
                    );
                }
                let _ = crate::sleep(delay);
            }
            AcceptError::Fatal => {
                log::error!("{name}: accept failed: {failure}; no longer accepting");
                inner.life.fail(&failure);
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
    let mut builder = Builder::new().name(format!("conn-{peer}"));
    if let Some(bytes) = inner.stack_size {
        builder = builder.stack_size(bytes);
    }
    let server = StreamServer {
        inner: inner.clone(),
    };
    let g = builder.spawn(move || {
        let next = match work {
            Work::New(stream) => (server.inner.handler)(stream, peer, &server),
            Work::Resume(stream, resume) => resume(stream),
        };
        if let Next::Idle(idle) = next {
            server.inner.lot.put(idle, peer, slot);
        }
    })?;
    inner.life.track(&g, format!("handler for {peer}"));
    Ok(())
}
