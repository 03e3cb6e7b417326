//! Settings of the HTTP server: limits, timeouts, draining and the access log.

use std::time::Duration;

use super::{AccessLog, Limits};

/// How an [`HttpServer`](super::HttpServer) (or
/// [`serve_connection`](super::serve_connection)) treats each connection.
///
/// The defaults are for production: bounded heads and bodies, a slow head
/// closed after 30 s, an idle keep-alive connection after 60 s, a stalled
/// body read or write after 60 s, and one access log line per request
/// through [`log`] (target `greenline::http::access`), handed to a thread
/// of its own a batch at a time (see [`AccessLog`]).
///
/// The timeouts are kept by greenline rather than may's timers (so a
/// connection waiting for its next request does not first try a read that
/// fails): one never fires early, and fires a thread's wake-up after its
/// time (tens of microseconds on an idle machine).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use greenline::http::{AccessLog, Limits, ServerConfig};
/// let config = ServerConfig::new()
///     .limits(Limits { max_body_len: 1 << 20, ..Limits::default() })
///     .keepalive_timeout(Some(Duration::from_secs(5)))
///     .access_log(AccessLog::Off);
/// # let _ = config;
/// ```
#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub(crate) limits: Limits,
    /// Time allowed for a whole request head once its first byte arrived.
    pub(crate) head_timeout: Duration,
    /// Time an idle connection may wait for the next request's first byte.
    pub(crate) keepalive_timeout: Option<Duration>,
    /// Bound on each read of a request body (and of draining it).
    pub(crate) read_timeout: Option<Duration>,
    /// Bound on each write.
    pub(crate) write_timeout: Option<Duration>,
    /// Most unread body bytes discarded to keep a connection open.
    pub(crate) drain_limit: u64,
    pub(crate) access_log: AccessLog,
    /// Most connections an `HttpServer` serves at once; `None`: no limit.
    pub(crate) max_connections: Option<usize>,
    /// Idle time after which an `HttpServer` connection waits for its next
    /// request without a greenlet; `None`: never.
    pub(crate) idle_park: Option<Duration>,
}

impl ServerConfig {
    /// The production defaults described above.
    pub fn new() -> ServerConfig {
        ServerConfig {
            limits: Limits::default(),
            head_timeout: Duration::from_secs(30),
            keepalive_timeout: Some(Duration::from_secs(60)),
            read_timeout: Some(Duration::from_secs(60)),
            write_timeout: Some(Duration::from_secs(60)),
            drain_limit: 64 * 1024,
            access_log: AccessLog::Log,
            max_connections: None,
            idle_park: Some(Duration::from_millis(100)),
        }
    }

    /// Size limits on request heads and bodies (see [`Limits`] for each
    /// limit's status code).
    pub fn limits(mut self, limits: Limits) -> ServerConfig {
        self.limits = limits;
        self
    }

    /// Time allowed to receive a whole request head, counted from its first
    /// byte; a client slower than that (slowloris) gets `408` and the
    /// connection is closed. Default 30 s. A zero duration is raised to
    /// 1 ms.
    pub fn head_timeout(mut self, t: Duration) -> ServerConfig {
        self.head_timeout = t.max(Duration::from_millis(1));
        self
    }

    /// Time a kept-alive connection may sit idle between requests before
    /// it is closed (silently, as RFC 9112 §9.5 allows). `None` waits
    /// forever. Default 60 s.
    pub fn keepalive_timeout(mut self, t: Option<Duration>) -> ServerConfig {
        self.keepalive_timeout = t.map(|t| t.max(Duration::from_millis(1)));
        self
    }

    /// Bound on each read of a request body: a handler's read then fails
    /// with `ErrorKind::TimedOut` and the connection closes after the
    /// response. `None` waits forever. Default 60 s.
    pub fn read_timeout(mut self, t: Option<Duration>) -> ServerConfig {
        self.read_timeout = t.map(|t| t.max(Duration::from_millis(1)));
        self
    }

    /// Bound on each write of a response; the connection is dropped when it
    /// passes. `None` waits forever. Default 60 s.
    pub fn write_timeout(mut self, t: Option<Duration>) -> ServerConfig {
        self.write_timeout = t.map(|t| t.max(Duration::from_millis(1)));
        self
    }

    /// Most bytes of a body the handler did not read that the server reads
    /// and discards to keep the connection open; a longer body closes the
    /// connection after the response instead. Default 64 KiB.
    pub fn drain_limit(mut self, bytes: u64) -> ServerConfig {
        self.drain_limit = bytes;
        self
    }

    /// At most `n` connections are served at once by an
    /// [`HttpServer`](super::HttpServer): gevent's `spawn=Pool(n)`, and
    /// [`ServerOptions::max_connections`](crate::server::ServerOptions::max_connections)
    /// underneath.
    ///
    /// While `n` are open the server does not accept: new connections wait
    /// in the kernel's backlog and are served as others close. A keep-alive
    /// connection holds its slot while idle, so pair a limit with a short
    /// [`keepalive_timeout`](ServerConfig::keepalive_timeout). Default: no
    /// limit. [`serve_connection`](super::serve_connection) ignores it.
    ///
    /// # Panics
    ///
    /// When `n` is 0.
    pub fn max_connections(mut self, n: usize) -> ServerConfig {
        assert!(n > 0, "max_connections must be at least 1");
        self.max_connections = Some(n);
        self
    }

    /// How long a keep-alive connection of an
    /// [`HttpServer`](super::HttpServer) waits for its next request in its
    /// own greenlet before it *parks*: its greenlet ends, freeing its stack
    /// (most of what an open connection costs), and the socket waits in the
    /// server's epoll set until input arrives, when a new greenlet serves
    /// it. Default 100 ms; `None` keeps a greenlet per connection for its
    /// whole life.
    ///
    /// A client that keeps its connection busy never parks, so parking
    /// costs a busy server nothing; a request arriving on a parked
    /// connection costs one greenlet spawn more (about a microsecond). The
    /// [`keepalive_timeout`](ServerConfig::keepalive_timeout) still counts
    /// from the last request, parked or not, and
    /// [`HttpServer::stop`](super::HttpServer::stop) closes parked
    /// connections at once. A zero duration is raised to 1 ms.
    /// [`serve_connection`](super::serve_connection) never parks.
    pub fn idle_park(mut self, after: Option<Duration>) -> ServerConfig {
        self.idle_park = after.map(|t| t.max(Duration::from_millis(1)));
        self
    }

    /// Where access log lines go; default [`AccessLog::Log`].
    /// [`AccessLog::stderr`] writes them to standard error, as pywsgi
    /// does.
    pub fn access_log(mut self, log: AccessLog) -> ServerConfig {
        self.access_log = log;
        self
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig::new()
    }
}
