//! Settings of the HTTP server: limits, timeouts, draining and the access log.

use std::time::Duration;

use super::proto::Limits;
use super::AccessLog;

/// How an [`HttpServer`](super::HttpServer) (or
/// [`serve_connection`](super::serve_connection)) treats each connection.
///
/// The defaults are for production: bounded heads and bodies, a slow head
/// closed after 30 s, an idle keep-alive connection after 60 s, a stalled
/// body read or write after 60 s, a body slower than 1 KiB/s on average
/// after a 10 s grace period closed with 408, and one access log line per request
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
/// use greenline::http::proto::Limits;
/// use greenline::http::{AccessLog, ServerConfig};
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
    /// The least average rate a request body must arrive at.
    pub(crate) min_body_rate: Option<BodyRate>,
    pub(crate) access_log: AccessLog,
    /// Most connections an `HttpServer` serves at once; `None`: no limit.
    pub(crate) max_connections: Option<usize>,
    /// Idle time after which an `HttpServer` connection waits for its next
    /// request without a greenlet, in the server's idle lot; `None`: never.
    pub(crate) idle_handoff: Option<Duration>,
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
            min_body_rate: Some(BodyRate::default()),
            access_log: AccessLog::Log,
            max_connections: None,
            idle_handoff: Some(Duration::from_millis(100)),
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

    /// The least average rate at which a request body must arrive, or
    /// `None` for no such bound (each read is still bounded by
    /// [`read_timeout`](ServerConfig::read_timeout)). Default 1 KiB/s
    /// after a 10 s grace period ([`BodyRate::default`]).
    ///
    /// The time counted is the time the server spends waiting for body
    /// bytes (in a handler's reads, or draining a body the handler left),
    /// not the handler's own work: the waits for a body of which `n` bytes
    /// have arrived may add up to `grace + n / bytes_per_sec`. A client
    /// slower than that (one that trickles its body to hold a connection,
    /// and a [`max_connections`](ServerConfig::max_connections) slot,
    /// indefinitely) makes the wait fail: the handler's read returns
    /// `ErrorKind::TimedOut`, the server answers `408 Request Timeout`
    /// whatever the handler returns, and closes the connection; while
    /// draining an unread body after the response, it closes. Chunked
    /// bodies count their framing as body bytes.
    pub fn min_body_rate(mut self, rate: Option<BodyRate>) -> ServerConfig {
        self.min_body_rate = rate;
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
    /// own greenlet before it is handed back to the server: its greenlet
    /// ends, freeing its stack (most of what an open connection costs), and
    /// the socket waits in the server's idle lot (an epoll set) until input
    /// arrives, when a new greenlet serves it. Default 100 ms; `None` keeps
    /// a greenlet per connection for its whole life.
    ///
    /// A client that keeps its connection busy is never handed back, so
    /// this costs a busy server nothing; a request arriving on an idle
    /// connection in the lot costs one greenlet spawn more (about a
    /// microsecond). The
    /// [`keepalive_timeout`](ServerConfig::keepalive_timeout) still counts
    /// from the last request, in the lot or not, and
    /// [`HttpServer::stop`](super::HttpServer::stop) closes the connections
    /// in the lot at once. A zero duration is raised to 1 ms.
    /// [`serve_connection`](super::serve_connection) never hands a
    /// connection back.
    pub fn idle_handoff(mut self, after: Option<Duration>) -> ServerConfig {
        self.idle_handoff = after.map(|t| t.max(Duration::from_millis(1)));
        self
    }

    /// The old name of [`idle_handoff`](ServerConfig::idle_handoff).
    #[deprecated(note = "renamed `idle_handoff`")]
    pub fn idle_park(self, after: Option<Duration>) -> ServerConfig {
        self.idle_handoff(after)
    }

    /// Where access log lines go; default [`AccessLog::Log`].
    /// [`AccessLog::stderr`] writes them to standard error, as pywsgi
    /// does.
    pub fn access_log(mut self, log: AccessLog) -> ServerConfig {
        self.access_log = log;
        self
    }
}

/// The least average rate a request body must arrive at: see
/// [`ServerConfig::min_body_rate`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use greenline::http::{BodyRate, ServerConfig};
/// // Uploads from slow links: 256 bytes a second, after 30 s.
/// let config = ServerConfig::new().min_body_rate(Some(BodyRate::new(256, Duration::from_secs(30))));
/// # let _ = config;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyRate {
    /// Bytes a second, averaged over the time spent waiting for the body;
    /// 0 sets no minimum.
    pub bytes_per_sec: u64,
    /// Waiting allowed on top of what the rate allows for the bytes
    /// received, so the first bytes have time to come.
    pub grace: Duration,
}

impl BodyRate {
    /// A rate of `bytes_per_sec` after `grace`.
    pub fn new(bytes_per_sec: u64, grace: Duration) -> BodyRate {
        BodyRate {
            bytes_per_sec,
            grace,
        }
    }

    /// The most waiting allowed for a body of which `received` bytes have
    /// arrived: `grace + received / bytes_per_sec`.
    pub fn allowance(&self, received: u64) -> Duration {
        if self.bytes_per_sec == 0 {
            return Duration::MAX;
        }
        let nanos = u128::from(received) * 1_000_000_000 / u128::from(self.bytes_per_sec);
        let earned = Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX));
        self.grace.saturating_add(earned)
    }
}

impl Default for BodyRate {
    /// 1 KiB/s after 10 s: a trickle of a byte a minute is cut off within
    /// seconds, while an upload over the slowest mobile link is not.
    fn default() -> BodyRate {
        BodyRate::new(1024, Duration::from_secs(10))
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_rate_allowance() {
        let s = Duration::from_secs;
        let table = [
            // (bytes a second, grace, received, allowance)
            (1024, s(10), 0, s(10)),
            (1024, s(10), 1024, s(11)),
            (1000, s(0), 500, Duration::from_millis(500)),
            (0, s(10), 1 << 40, Duration::MAX),
            (1, Duration::MAX, 1, Duration::MAX),
            (1, s(0), u64::MAX, Duration::from_nanos(u64::MAX)),
        ];
        for (rate, grace, received, want) in table {
            let got = BodyRate::new(rate, grace).allowance(received);
            assert_eq!(got, want, "{rate} B/s, {grace:?}, {received} B");
        }
    }
}
