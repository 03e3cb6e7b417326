//! `DatagramServer`: a UDP server running a handler per datagram.

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::accept::{classify, AcceptError, Backoff};
use super::handoff::Slot;
use super::lifecycle::{closed_error, Lifecycle};
use super::ServerOptions;
use crate::net::UdpSocket;
use crate::sync::waiter::lock;
use crate::sync::Semaphore;
use crate::Builder;

/// The largest datagram the server receives whole: the most a UDP datagram
/// over IPv4 or IPv6 can carry (without jumbograms). gevent reads 8192
/// bytes and loses the rest.
const MAX_DATAGRAM: usize = 65_535;

type Handler = dyn Fn(&[u8], SocketAddr, &DatagramServer) + Send + Sync + 'static;

/// A UDP server that runs `handler(data, peer, &server)` in a new greenlet
/// for every datagram: gevent's `gevent.server.DatagramServer`.
///
/// The handler replies with [`send_to`](DatagramServer::send_to) (gevent's
/// `sendto`), which any number of handlers may call at once, and may
/// [`close`](DatagramServer::close) or [`stop`](DatagramServer::stop) its
/// server. The lifecycle is [`StreamServer`](super::StreamServer)'s: bind,
/// [`start`](DatagramServer::start) or
/// [`serve_forever`](DatagramServer::serve_forever), `close` (stop
/// receiving, leave handlers alone), `stop(timeout)` (close, wait for
/// handlers, kill the rest). With
/// [`ServerOptions::max_connections`]`(n)` at most `n` handlers run at once
/// (gevent's `spawn=Pool(n)`): while `n` run, the server does not receive,
/// and datagrams wait in the socket's receive buffer (the kernel drops
/// what does not fit, as UDP does). [`ServerOptions::stack_size`] sets the
/// handlers' stacks; listen options do not apply.
///
/// The handle is cheap to clone (one shared state).
///
/// # Examples
///
/// gevent's `udp_server` example:
///
/// ```
/// use std::time::Duration;
/// use greenline::net::UdpSocket;
/// use greenline::server::DatagramServer;
///
/// let server = DatagramServer::bind("127.0.0.1:0", |data, peer, server| {
///     let reply = format!("Received {} bytes", data.len());
///     let _ = server.send_to(reply.as_bytes(), peer);
/// }).unwrap();
/// server.start().unwrap();
///
/// let client = UdpSocket::bind("127.0.0.1:0").unwrap();
/// client.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
/// client.send_to(b"hello", server.local_addr()).unwrap();
/// let mut buf = [0; 64];
/// let (n, from) = client.recv_from(&mut buf).unwrap();
/// assert_eq!((&buf[..n], from), (&b"Received 5 bytes"[..], server.local_addr()));
/// server.stop(Duration::from_secs(1));
/// ```
#[derive(Clone)]
pub struct DatagramServer {
    inner: Arc<Inner>,
}

struct Inner {
    handler: Arc<Handler>,
    local_addr: SocketAddr,
    /// One permit per handler allowed to run; `None` without a limit.
    slots: Option<Semaphore>,
    /// Handlers spawned and not yet ended; see [`Slot`].
    active: Arc<AtomicUsize>,
    stack_size: Option<usize>,
    /// The receiving handle, the receive greenlet and the running handlers.
    life: Lifecycle<UdpSocket>,
    /// The handle replies leave through: a second descriptor of the same
    /// socket, since one greenlet at a time may wait on a handle and the
    /// receive loop always waits on its own. Taken out (and the port
    /// released) at the end of `stop`; in-flight sends hold their `Arc`.
    send: Mutex<Option<Arc<UdpSocket>>>,
    /// One sender at a time waits on the send handle (gevent's
    /// `_writelock`); the others queue here instead of failing with
    /// `ResourceBusy`.
    send_turn: Semaphore,
}

impl DatagramServer {
    /// Binds a UDP socket to `addr` and makes a server that does not
    /// receive yet; call [`start`](DatagramServer::start) or
    /// [`serve_forever`](DatagramServer::serve_forever). Datagrams that
    /// arrive before wait in the socket's receive buffer.
    ///
    /// # Errors
    ///
    /// `AddrInUse` when another socket has the port; whatever resolution
    /// or `bind(2)` returns otherwise.
    pub fn bind<A, F>(addr: A, handler: F) -> io::Result<DatagramServer>
    where
        A: ToSocketAddrs,
        F: Fn(&[u8], SocketAddr, &DatagramServer) + Send + Sync + 'static,
    {
        DatagramServer::bind_with(addr, ServerOptions::new(), handler)
    }

    /// Like [`bind`](DatagramServer::bind), with `options` (see the type's
    /// docs for which apply).
    ///
    /// # Errors
    ///
    /// As [`bind`](DatagramServer::bind).
    ///
    /// # Examples
    ///
    /// At most two handlers at once: a third datagram waits in the
    /// socket's receive buffer until one ends.
    ///
    /// ```
    /// use greenline::server::{DatagramServer, ServerOptions};
    ///
    /// let options = ServerOptions::new().max_connections(2);
    /// let server = DatagramServer::bind_with("127.0.0.1:0", options, |data, peer, server| {
    ///     let _ = server.send_to(data, peer);
    /// }).unwrap();
    /// assert_ne!(server.local_addr().port(), 0);
    /// ```
    pub fn bind_with<A, F>(
        addr: A,
        options: ServerOptions,
        handler: F,
    ) -> io::Result<DatagramServer>
    where
        A: ToSocketAddrs,
        F: Fn(&[u8], SocketAddr, &DatagramServer) + Send + Sync + 'static,
    {
        DatagramServer::with_options(UdpSocket::bind(addr)?, options, handler)
    }

    /// Makes a server on a socket that is already bound.
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` or duplicating the descriptor returns.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenline::net::UdpSocket;
    /// use greenline::server::DatagramServer;
    ///
    /// let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let addr = socket.local_addr().unwrap();
    /// let server = DatagramServer::new(socket, |_data, _peer, _server| {}).unwrap();
    /// assert_eq!(server.local_addr(), addr);
    /// ```
    pub fn new<F>(socket: UdpSocket, handler: F) -> io::Result<DatagramServer>
    where
        F: Fn(&[u8], SocketAddr, &DatagramServer) + Send + Sync + 'static,
    {
        DatagramServer::with_options(socket, ServerOptions::new(), handler)
    }

    /// Like [`new`](DatagramServer::new), with `options`.
    ///
    /// # Errors
    ///
    /// As [`new`](DatagramServer::new).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenline::net::UdpSocket;
    /// use greenline::server::{DatagramServer, ServerOptions};
    ///
    /// let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let options = ServerOptions::new().stack_size(256 * 1024);
    /// let server = DatagramServer::with_options(socket, options, |_data, _peer, _server| {}).unwrap();
    /// assert!(!server.is_started());
    /// ```
    pub fn with_options<F>(
        socket: UdpSocket,
        options: ServerOptions,
        handler: F,
    ) -> io::Result<DatagramServer>
    where
        F: Fn(&[u8], SocketAddr, &DatagramServer) + Send + Sync + 'static,
    {
        let local_addr = socket.local_addr()?;
        let send = socket.try_clone()?;
        // The receive loop sets no timeout; one the caller set would make
        // it spin through `TimedOut` errors.
        socket.set_read_timeout(None)?;
        Ok(DatagramServer {
            inner: Arc::new(Inner {
                handler: Arc::new(handler),
                local_addr,
                slots: options.connection_limit().map(Semaphore::new),
                active: Arc::new(AtomicUsize::new(0)),
                stack_size: options.handler_stack_size(),
                life: Lifecycle::new("DatagramServer", local_addr, socket),
                send: Mutex::new(Some(Arc::new(send))),
                send_turn: Semaphore::new(1),
            }),
        })
    }

    /// The address the server is bound to (the real port after `:0`); it
    /// stays readable after the server is closed.
    ///
    /// # Examples
    ///
    /// ```
    /// let server = greenline::server::DatagramServer::bind("127.0.0.1:0", |_, _, _| {}).unwrap();
    /// assert_eq!(server.local_addr().ip().to_string(), "127.0.0.1");
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.inner.local_addr
    }

    /// Starts receiving in a greenlet of its own (`recv-<addr>`) and
    /// returns: gevent's `start()`. Does not block; calling it on a
    /// started server does nothing.
    ///
    /// # Errors
    ///
    /// `ErrorKind::NotConnected` when the server is closed;
    /// `ErrorKind::OutOfMemory` when the greenlet cannot be spawned (the
    /// server then stays ready).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenline::server::DatagramServer;
    ///
    /// let server = DatagramServer::bind("127.0.0.1:0", |_, _, _| {}).unwrap();
    /// server.start().unwrap();
    /// assert!(server.is_started());
    /// server.stop(Duration::from_secs(1));
    /// assert_eq!(server.start().unwrap_err().kind(), std::io::ErrorKind::NotConnected);
    /// ```
    pub fn start(&self) -> io::Result<()> {
        let inner = self.inner.clone();
        self.inner
            .life
            .start(format!("recv-{}", self.inner.local_addr), move |socket| {
                receive_loop(&inner, socket)
            })
    }

    /// Starts the server if needed, then waits until it is stopped:
    /// gevent's `serve_forever()`.
    ///
    /// Woken as [`StreamServer::serve_forever`](super::StreamServer::serve_forever)
    /// is: when a [`stop`](DatagramServer::stop) from another greenlet or
    /// thread has finished; after [`close`](DatagramServer::close), once it
    /// has stopped the server itself (handlers get one second, then are
    /// killed); or when the socket breaks. A [`crate::Timeout`] in force
    /// ends the wait with `ErrorKind::TimedOut` and leaves the server
    /// running; killing the greenlet blocked here stops the server in the
    /// background.
    ///
    /// # Errors
    ///
    /// The socket's error when receiving failed for good (the server has
    /// then been stopped); `TimedOut` as above; errors of
    /// [`start`](DatagramServer::start), except that a server already
    /// stopped returns `Ok(())` at once.
    ///
    /// # Examples
    ///
    /// A server a handler closes when told to; `serve_forever` returns.
    ///
    /// ```
    /// use greenline::net::UdpSocket;
    /// use greenline::server::DatagramServer;
    ///
    /// let server = DatagramServer::bind("127.0.0.1:0", |data, _peer, server| {
    ///     if data == b"bye" {
    ///         server.close();
    ///     }
    /// }).unwrap();
    /// UdpSocket::bind("127.0.0.1:0").unwrap().send_to(b"bye", server.local_addr()).unwrap();
    /// server.serve_forever().unwrap();
    /// assert!(server.is_closed());
    /// ```
    pub fn serve_forever(&self) -> io::Result<()> {
        match self.start() {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => {}
            r => r?,
        }
        let server = self.clone();
        self.inner.life.serve(move |timeout| server.stop(timeout))
    }

    /// Stops receiving and returns at once, leaving running handlers
    /// alone: gevent's `close()`.
    ///
    /// The receive greenlet ends and closes its handle. Handlers already
    /// running carry on, and can still reply with
    /// [`send_to`](DatagramServer::send_to): the port stays bound (what
    /// arrives now is never read) until [`stop`](DatagramServer::stop), or
    /// until the last handle to the server is dropped. Callers blocked in
    /// [`serve_forever`](DatagramServer::serve_forever) are woken and stop
    /// the server. Calling it from a handler is fine.
    ///
    /// Returns true when this call closed the server, false when it was
    /// closed already (and then does nothing); of racing callers exactly
    /// one gets true, as for [`StreamServer::close`](super::StreamServer::close).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenline::server::DatagramServer;
    ///
    /// let server = DatagramServer::bind("127.0.0.1:0", |_, _, _| {}).unwrap();
    /// server.start().unwrap();
    /// assert!(server.close());
    /// assert!(!server.close(), "closed already");
    /// assert!(!server.is_started());
    /// server.stop(Duration::from_secs(1));
    /// ```
    pub fn close(&self) -> bool {
        self.inner.life.close()
    }

    /// Stops the server: closes it, waits up to `timeout` for running
    /// handlers to return, kills the rest, then closes the socket and
    /// releases the port: gevent's `stop(timeout)`.
    ///
    /// A killed handler unwinds at its next blocking call. Woken when the
    /// last handler ends, or by the timeout; it then waits up to one more
    /// second for killed handlers to die. Called from inside a handler, it
    /// neither waits for nor kills the caller. A sender blocked in
    /// [`send_to`](DatagramServer::send_to) when the socket closes wakes
    /// with `ErrorKind::NotConnected`, as does every later send. Callers
    /// blocked in [`serve_forever`](DatagramServer::serve_forever) return
    /// when this returns. Calling it again, or concurrently, is harmless.
    ///
    /// # Examples
    ///
    /// After `stop` the port is free again.
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenline::net::UdpSocket;
    /// use greenline::server::DatagramServer;
    ///
    /// let server = DatagramServer::bind("127.0.0.1:0", |_, _, _| {}).unwrap();
    /// server.start().unwrap();
    /// server.stop(Duration::from_secs(1));
    /// UdpSocket::bind(server.local_addr()).unwrap();
    /// ```
    pub fn stop(&self, timeout: Duration) {
        self.inner.life.begin_stop();
        self.inner.life.close();
        self.inner.life.finish_stop(timeout);
        if let Some(send) = lock(&self.inner.send).take() {
            send.close();
        }
    }

    /// Sends `buf` to `addr` from the server's socket: gevent's
    /// `DatagramServer.sendto`. Handlers reply with it.
    ///
    /// Any number of greenlets may send at once: they take turns on the
    /// socket (gevent's write lock), each waiting only while the one ahead
    /// of it waits for room in the send buffer. Woken when the datagram is
    /// sent, or by the caller's [`crate::Timeout`] (`ErrorKind::TimedOut`);
    /// a greenlet killed while waiting unwinds. A datagram is sent whole
    /// or not at all.
    ///
    /// # Errors
    ///
    /// `ErrorKind::NotConnected` once the server is stopped (also for a
    /// send waiting then); what sendto(2) returns (`InvalidInput` for a
    /// datagram too large for UDP).
    ///
    /// # Examples
    ///
    /// Sending from the server's own port, outside any handler.
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenline::net::UdpSocket;
    /// use greenline::server::DatagramServer;
    ///
    /// let server = DatagramServer::bind("127.0.0.1:0", |_, _, _| {}).unwrap();
    /// let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    /// peer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    /// server.send_to(b"hi", peer.local_addr().unwrap()).unwrap();
    /// let mut buf = [0; 8];
    /// assert_eq!(peer.recv_from(&mut buf).unwrap(), (2, server.local_addr()));
    /// ```
    #[doc(alias = "sendto")]
    pub fn send_to(&self, buf: &[u8], addr: SocketAddr) -> io::Result<usize> {
        let socket = lock(&self.inner.send).clone().ok_or_else(closed_error)?;
        let _turn = self.inner.send_turn.acquire()?;
        socket.send_to(buf, addr)
    }

    /// True while the server receives (after
    /// [`start`](DatagramServer::start), until it is closed, stopped or
    /// its socket breaks).
    ///
    /// # Examples
    ///
    /// ```
    /// let server = greenline::server::DatagramServer::bind("127.0.0.1:0", |_, _, _| {}).unwrap();
    /// assert!(!server.is_started());
    /// server.start().unwrap();
    /// assert!(server.is_started());
    /// server.close();
    /// assert!(!server.is_started());
    /// ```
    pub fn is_started(&self) -> bool {
        self.inner.life.is_started()
    }

    /// True once the server no longer receives: after
    /// [`close`](DatagramServer::close) or [`stop`](DatagramServer::stop)
    /// began, or after receiving failed for good.
    ///
    /// # Examples
    ///
    /// ```
    /// let server = greenline::server::DatagramServer::bind("127.0.0.1:0", |_, _, _| {}).unwrap();
    /// assert!(!server.is_closed());
    /// server.close();
    /// assert!(server.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.inner.life.is_closed()
    }

    /// The number of datagrams being handled now: counted from just before
    /// a handler is spawned until its function returns, panics or is
    /// killed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenline::net::UdpSocket;
    /// use greenline::server::DatagramServer;
    /// use greenline::sync::Event;
    ///
    /// let (inside, release) = (Event::new(), Event::new());
    /// let server = {
    ///     let (inside, release) = (inside.clone(), release.clone());
    ///     DatagramServer::bind("127.0.0.1:0", move |_, _, _| {
    ///         inside.set();
    ///         let _ = release.wait();
    ///     }).unwrap()
    /// };
    /// server.start().unwrap();
    /// UdpSocket::bind("127.0.0.1:0").unwrap().send_to(b"x", server.local_addr()).unwrap();
    /// inside.wait_timeout(Duration::from_secs(5)).unwrap();
    /// assert_eq!(server.handler_count(), 1);
    /// release.set();
    /// server.stop(Duration::from_secs(5));
    /// assert_eq!(server.handler_count(), 0);
    /// ```
    pub fn handler_count(&self) -> usize {
        self.inner.active.load(Ordering::SeqCst)
    }
}

impl fmt::Debug for DatagramServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatagramServer")
            .field("local_addr", &self.inner.local_addr)
            .field("started", &self.is_started())
            .field("closed", &self.is_closed())
            .field("handlers", &self.handler_count())
            .finish()
    }
}

/// Receives until killed (by `close`) or until the socket breaks, spawning
/// a handler per datagram.
///
/// With a limit, a slot is taken *before* receiving, so while the server
/// is full datagrams wait in the socket's receive buffer.
fn receive_loop(inner: &Arc<Inner>, socket: UdpSocket) {
    let name = inner.life.name();
    let mut buf = vec![0; MAX_DATAGRAM];
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
        let failure = match socket.recv_from(&mut buf) {
            Ok((n, peer)) => {
                let slot = Slot::take(&inner.active, permit);
                match spawn_handler(inner, buf[..n].to_vec(), peer, slot) {
                    Ok(()) => {
                        let errors = backoff.succeed();
                        if errors > 0 {
                            log::info!("{name}: receiving again after {errors} errors");
                        }
                        continue;
                    }
                    // The datagram is lost: no greenlet could handle it.
                    Err(e) => e,
                }
            }
            Err(e) => e,
        };
        // The same classes as accept's: an error about one peer (an ICMP
        // error reported on the socket) is skipped, a shortage backs off,
        // a broken socket ends the loop.
        let class = match failure.raw_os_error() {
            Some(libc::ECONNREFUSED) => AcceptError::Skip,
            _ => classify(&failure),
        };
        match class {
            AcceptError::Skip => log::debug!("{name}: recvfrom: {failure} (skipped)"),
            AcceptError::Backoff => {
                let (delay, first) = backoff.fail();
                if first {
                    log::warn!(
                        "{name}: recvfrom failed: {failure}; \
                         retrying with a growing delay (at most 1s)"
                    );
                }
                let _ = crate::sleep(delay);
            }
            AcceptError::Fatal => {
                log::error!("{name}: recvfrom failed: {failure}; no longer receiving");
                inner.life.fail(&failure);
                return;
            }
        }
    }
}

/// Runs the handler for one datagram in a greenlet named
/// `datagram-<peer>`, which holds the handler's slot until it ends.
fn spawn_handler(
    inner: &Arc<Inner>,
    data: Vec<u8>,
    peer: SocketAddr,
    slot: Slot,
) -> io::Result<()> {
    let mut builder = Builder::new().name(format!("datagram-{peer}"));
    if let Some(bytes) = inner.stack_size {
        builder = builder.stack_size(bytes);
    }
    let server = DatagramServer {
        inner: inner.clone(),
    };
    let g = builder.spawn(move || {
        let _slot = slot;
        (server.inner.handler)(&data, peer, &server);
    })?;
    inner
        .life
        .track(&g, format!("handler for a datagram from {peer}"));
    Ok(())
}
