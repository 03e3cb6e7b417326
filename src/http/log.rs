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
//!
//! Lines for [`AccessLog::Log`] and [`AccessLog::Writer`] are formatted
//! into a buffer of the connection's own and handed to a writer thread
//! once per batch of responses ([`LineBuffer`], `log_writer`): a
//! pipelining client's thousand requests cost one hand-over, and a slow
//! destination costs the connections nothing (lines it cannot take are
//! dropped and counted, never waited for).

use std::fmt::{self, Write as _};
use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::log_writer::{Batch, Dest, ACCESS_TARGET};
use super::proto::format_http_date;
use super::AccessWriter;

/// Where the server sends access log entries.
///
/// [`Log`](AccessLog::Log) and [`Writer`](AccessLog::Writer) are written by
/// a thread of their own, a batch of lines at a time, never by the
/// connections: a slow log cannot slow the server down. When the thread
/// falls behind by more than a few megabytes of lines, further lines are
/// dropped and counted ([`dropped_lines`](AccessLog::dropped_lines)) rather
/// than waited for. [`HttpServer::stop`](super::HttpServer::stop) waits for
/// the lines of the requests it served to be written.
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
///
/// pywsgi's own default, lines on stderr:
///
/// ```
/// use greenline::http::{AccessLog, ServerConfig};
/// let config = ServerConfig::new().access_log(AccessLog::stderr());
/// # let _ = config;
/// ```
#[derive(Clone, Default)]
pub enum AccessLog {
    /// No access log; nothing is formatted or timed.
    Off,
    /// `log::info!` with target [`ACCESS_TARGET`], one record per line,
    /// called from the process's access log thread; formatted only when
    /// that level is enabled for the target.
    #[default]
    Log,
    /// A function called with each entry, in the connection's greenlet (it
    /// must not block the thread, and it is called once per request: a
    /// slow function slows the server).
    Sink(Arc<dyn Fn(&AccessEntry<'_>) + Send + Sync>),
    /// Lines (each ending in `\n`) written to a [`Write`] by a thread of
    /// its own, as many per write as are waiting.
    Writer(AccessWriter),
}

impl AccessLog {
    /// A [`AccessLog::Sink`] calling `f`.
    pub fn sink(f: impl Fn(&AccessEntry<'_>) + Send + Sync + 'static) -> AccessLog {
        AccessLog::Sink(Arc::new(f))
    }

    /// A [`AccessLog::Writer`] writing to `w` (a file, a pipe; wrap it in
    /// nothing: writes are already batched, and `w` is flushed after
    /// each).
    pub fn writer(w: impl Write + Send + 'static) -> AccessLog {
        AccessLog::Writer(AccessWriter::new(Dest::Write(Box::new(w))))
    }

    /// A [`AccessLog::Writer`] writing to standard error, as pywsgi does
    /// by default.
    pub fn stderr() -> AccessLog {
        AccessLog::writer(io::stderr())
    }

    /// Lines dropped so far because the log's thread could not keep up or
    /// its destination failed; always 0 for `Off` and `Sink`. For `Log`
    /// the count is the process's.
    pub fn dropped_lines(&self) -> u64 {
        match self {
            AccessLog::Off | AccessLog::Sink(_) => 0,
            AccessLog::Log => AccessWriter::log().dropped_lines(),
            AccessLog::Writer(w) => w.dropped_lines(),
        }
    }

    /// Waits until every line handed to the log's thread before the call
    /// is written (or dropped and counted); returns at once for `Off` and
    /// `Sink`. A connection hands its lines over when it writes a batch of
    /// responses and when it ends.
    ///
    /// Woken by the log's thread; from a greenlet, the wait yields.
    ///
    /// # Errors
    ///
    /// `TimedOut` when `timeout` passes first; the lines are written when
    /// the destination takes them.
    pub fn flush(&self, timeout: Duration) -> io::Result<()> {
        match self {
            AccessLog::Off | AccessLog::Sink(_) => Ok(()),
            AccessLog::Log => AccessWriter::log().flush(timeout),
            AccessLog::Writer(w) => w.flush(timeout),
        }
    }

    /// Whether entries would go anywhere now; when false the server skips
    /// timing the request.
    pub(crate) fn enabled(&self) -> bool {
        match self {
            AccessLog::Off => false,
            AccessLog::Log => log::log_enabled!(target: ACCESS_TARGET, log::Level::Info),
            AccessLog::Sink(_) | AccessLog::Writer(_) => true,
        }
    }

    /// The thread `Log` and `Writer` lines go to.
    fn thread(&self) -> Option<&AccessWriter> {
        match self {
            AccessLog::Log => Some(AccessWriter::log()),
            AccessLog::Writer(w) => Some(w),
            AccessLog::Off | AccessLog::Sink(_) => None,
        }
    }
}

impl fmt::Debug for AccessLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AccessLog::Off => "Off",
            AccessLog::Log => "Log",
            AccessLog::Sink(_) => "Sink(..)",
            AccessLog::Writer(_) => "Writer(..)",
        })
    }
}

/// A connection's access log lines not yet handed to the log's thread.
///
/// [`push`](Self::push) formats a line into the buffer (a `Sink` is called
/// at once instead); [`hand_over`](Self::hand_over) gives the buffer to
/// the thread without waiting, as dropping does, so a connection that ends
/// or is killed loses no line.
pub(crate) struct LineBuffer<'a> {
    log: &'a AccessLog,
    text: String,
    lines: u64,
    /// The last batch's size: the next one's buffer is made this large at
    /// once (the last buffer went to the log's thread).
    hint: usize,
}

impl<'a> LineBuffer<'a> {
    pub(crate) fn new(log: &'a AccessLog) -> LineBuffer<'a> {
        LineBuffer {
            log,
            text: String::new(),
            lines: 0,
            hint: 0,
        }
    }

    pub(crate) fn push(&mut self, entry: &AccessEntry<'_>) {
        match self.log {
            AccessLog::Off => {}
            AccessLog::Sink(f) => f(entry),
            AccessLog::Log | AccessLog::Writer(_) => {
                if self.text.capacity() == 0 {
                    self.text.reserve(self.hint);
                }
                // Writing to a String cannot fail.
                let _ = writeln!(self.text, "{entry}");
                self.lines += 1;
            }
        }
    }

    /// Gives the lines so far to the log's thread, without waiting.
    #[inline]
    pub(crate) fn hand_over(&mut self) {
        if self.lines == 0 {
            return;
        }
        self.hint = self.text.len();
        if let Some(writer) = self.log.thread() {
            writer.hand_over(Batch {
                text: std::mem::take(&mut self.text),
                lines: std::mem::take(&mut self.lines),
            });
        }
    }
}

impl Drop for LineBuffer<'_> {
    fn drop(&mut self) {
        self.hand_over();
    }
}

/// Appends `bytes` to `out` escaped for a log line, as
/// `<[u8]>::escape_ascii` escapes them: every byte outside printable ASCII
/// as `\xNN` (tab, CR and LF as `\t`, `\r`, `\n`), and `"`, `'` and `\`
/// behind a backslash. So a request line can neither garble a terminal nor
/// end its quoted field early and forge the rest of a line. The one escape
/// for every request line logged, parsed or refused.
pub(crate) fn escape_into(out: &mut String, bytes: &[u8]) {
    let plain = |b: &u8| matches!(b, b' '..=b'~') && !matches!(b, b'"' | b'\'' | b'\\');
    match std::str::from_utf8(bytes) {
        // The common case, copied as it is.
        Ok(text) if bytes.iter().all(plain) => out.push_str(text),
        // Writing to a String cannot fail.
        _ => {
            let _ = write!(out, "{}", bytes.escape_ascii());
        }
    }
}

/// One request as the access log sees it; its `Display` is pywsgi's line.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct AccessEntry<'a> {
    /// The client's address (the line shows the IP only).
    pub peer: SocketAddr,
    /// The request line as received, such as `GET /a?b HTTP/1.1` (for a
    /// request that could not be parsed, its first bytes), escaped: bytes
    /// outside printable ASCII as `\xNN`, `"`, `'` and `\` behind a
    /// backslash.
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
    fn escaping() {
        let table: &[(&[u8], &str)] = &[
            (b"GET /a?b=c HTTP/1.1", "GET /a?b=c HTTP/1.1"),
            (b"/caf\xc3\xa9", "/caf\\xc3\\xa9"),
            (b"/\x1b[31m\xff", "/\\x1b[31m\\xff"),
            (b"/q=\"x\"", "/q=\\\"x\\\""),
            (b"a\tb\r\n\x7f", "a\\tb\\r\\n\\x7f"),
        ];
        for (input, want) in table {
            let mut out = String::from(">");
            escape_into(&mut out, input);
            assert_eq!(out, format!(">{want}"), "{input:?}");
        }
    }

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
