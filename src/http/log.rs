//! The access log: one line per request, in gevent pywsgi's format.
//!
//! ```text
//! 127.0.0.1 - - [26/Nov/2026 10:20:31] "GET / HTTP/1.1" 200 11 0.000123
//! peer        time (UTC)               request line     status body-bytes seconds
//! ```
//!
//! The body byte count is `-` when no body bytes were sent (pywsgi's
//! `response_length or '-'`); the duration runs from the complete head to
//! the last response byte queued.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::format_http_date;

/// The `log` target access lines are written to with [`AccessLog::Log`].
pub const ACCESS_TARGET: &str = "greenline::http::access";

/// Where the server sends access log entries.
///
/// # Examples
///
/// Collecting lines in memory (a test, or a custom log shipper):
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use greenline::http::{AccessLog, ServerConfig};
/// let lines = Arc::new(Mutex::new(Vec::new()));
/// let sink = lines.clone();
/// let config = ServerConfig::new().access_log(AccessLog::sink(move |entry| {
///     sink.lock().unwrap().push(entry.to_string());
/// }));
/// # let _ = config;
/// ```
#[derive(Clone, Default)]
pub enum AccessLog {
    /// No access log; nothing is formatted or timed.
    Off,
    /// `log::info!` with target [`ACCESS_TARGET`], formatted only when that
    /// level is enabled for the target.
    #[default]
    Log,
    /// A function called with each entry, in the connection's greenlet (it
    /// must not block the thread).
    Sink(Arc<dyn Fn(&AccessEntry<'_>) + Send + Sync>),
}

impl AccessLog {
    /// A [`AccessLog::Sink`] calling `f`.
    pub fn sink(f: impl Fn(&AccessEntry<'_>) + Send + Sync + 'static) -> AccessLog {
        AccessLog::Sink(Arc::new(f))
    }

    /// Whether entries would go anywhere now; when false the server skips
    /// timing the request.
    pub(crate) fn enabled(&self) -> bool {
        match self {
            AccessLog::Off => false,
            AccessLog::Log => log::log_enabled!(target: ACCESS_TARGET, log::Level::Info),
            AccessLog::Sink(_) => true,
        }
    }

    pub(crate) fn write(&self, entry: &AccessEntry<'_>) {
        match self {
            AccessLog::Off => {}
            AccessLog::Log => log::info!(target: ACCESS_TARGET, "{entry}"),
            AccessLog::Sink(f) => f(entry),
        }
    }
}

impl fmt::Debug for AccessLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AccessLog::Off => "Off",
            AccessLog::Log => "Log",
            AccessLog::Sink(_) => "Sink(..)",
        })
    }
}

/// One request as the access log sees it; its `Display` is pywsgi's line.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct AccessEntry<'a> {
    /// The client's address (the line shows the IP only).
    pub peer: SocketAddr,
    /// The request line as received, such as `GET /a?b HTTP/1.1`; for a
    /// request that could not be parsed, its first bytes, escaped.
    pub request_line: &'a str,
    /// The status code sent.
    pub status: u16,
    /// Body bytes sent (0 for HEAD, 204, 304).
    pub body_len: u64,
    /// From the complete head to the end of the response.
    pub duration: Duration,
    /// When the response ended.
    pub time: SystemTime,
}

impl fmt::Display for AccessEntry<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self
            .time
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        // "Thu, 26 Nov 2026 10:20:31 GMT" -> "26/Nov/2026 10:20:31".
        let d = format_http_date(secs);
        let text = |r: std::ops::Range<usize>| std::str::from_utf8(&d[r]).unwrap_or("?");
        write!(
            f,
            "{} - - [{}/{}/{} {}] \"{}\" {} ",
            self.peer.ip(),
            text(5..7),
            text(8..11),
            text(12..16),
            text(17..25),
            self.request_line,
            self.status
        )?;
        if self.body_len == 0 {
            f.write_str("-")?;
        } else {
            write!(f, "{}", self.body_len)?;
        }
        write!(f, " {:.6}", self.duration.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pywsgi_format() {
        let entry = AccessEntry {
            peer: "127.0.0.1:5555".parse().unwrap(),
            request_line: "GET / HTTP/1.1",
            status: 200,
            body_len: 11,
            duration: Duration::from_micros(123),
            time: UNIX_EPOCH + Duration::from_secs(1_795_688_431),
        };
        assert_eq!(
            entry.to_string(),
            "127.0.0.1 - - [26/Nov/2026 10:20:31] \"GET / HTTP/1.1\" 200 11 0.000123"
        );
        let empty = AccessEntry {
            body_len: 0,
            status: 204,
            ..entry
        };
        assert!(empty.to_string().ends_with("\" 204 - 0.000123"));
    }
}
