//! One connection's request loop: read, parse every buffered request, call
//! the handler for each, batch the responses into one write.
//!
//! ```text
//!          ┌────────────────────────────────────────────────────────────┐
//!          ▼                                                            │
//!   parse_split(rbuf) ──Some(head)──▶ handler ─▶ drain buffered body ─▶ encode into wbuf
//!          │ None (no complete head)                                  │ close? ─▶ flush, linger, end
//!          ▼                                                            
//!   flush wbuf (one write for the whole batch), then read:
//!     rbuf empty: keep-alive timeout ── expires ─▶ close silently
//!     rbuf holds part of a head: head deadline ── expires ─▶ 408, close
//!          │ Err(e) from the parser: e.status(), Connection: close, close
//! ```
//!
//! The one rule that keeps pipelining and `Expect: 100-continue` from
//! deadlocking: **queued output is written before every read that waits**
//! (`Io::fill`), so a client waiting for a response is never also waited on.

use std::io::{self, Read};
use std::net::SocketAddr;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Buf;

use super::clock::coarse_secs;
use super::log::{escape_into, LineBuffer};
use super::proto::{
    body_allowed, format_http_date, write_chunk, write_last_chunk, BodyDecoder, Field, Framing,
    HeadCache, RequestHead, Version,
};
use super::request::BodyState;
use super::response::Body;
use super::wire::Io;
use super::{AccessEntry, Handler, Request, Response, ServerConfig};
use crate::net::TcpStream;
use crate::server::handoff::{Idle, Next};

/// Queued output past this is written before the next request is handled,
/// so a long pipeline cannot grow the batch without bound.
const FLUSH_AT: usize = 64 * 1024;
/// A body at least this large is written straight from its buffer rather
/// than copied into the batch.
const DIRECT_WRITE: usize = 32 * 1024;
/// Bytes asked of a response body stream per read.
const STREAM_READ: usize = 16 * 1024;

/// Serves HTTP/1.1 on one accepted connection until it closes: gevent
/// pywsgi's `WSGIHandler.handle()`.
///
/// Requests are answered in order; every complete request already received
/// is handled before the batch of responses is written with one write
/// (pipelining). The connection persists per RFC 9112 §9.3 and ends on
/// `Connection: close`, an HTTP/1.0 request without keep-alive, a malformed
/// request (answered with its status), the keep-alive timeout, or end of
/// file. `TCP_NODELAY` and the write timeout are set on the stream here.
///
/// Runs in the calling greenlet and returns when the connection is done.
/// Killing the greenlet unwinds out of it (and out of a running handler);
/// the socket closes as it drops.
///
/// # Errors
///
/// An I/O error that ended the connection: a reset, a write timeout, a
/// failing response body stream. Client closes and timeouts that end the
/// connection in an orderly way return `Ok(())`.
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
/// use greenline::http::{serve_connection, Request, Response, ServerConfig, AccessLog};
/// use greenline::net::{TcpListener, TcpStream};
///
/// let listener = TcpListener::bind("127.0.0.1:0").unwrap();
/// let addr = listener.local_addr().unwrap();
/// let server = greenline::spawn(move || {
///     let (stream, peer) = listener.accept().unwrap();
///     let hello = |_: &mut Request| Response::text(200, "hi");
///     let config = ServerConfig::new().access_log(AccessLog::Off);
///     serve_connection(stream, peer, &hello, &config)
/// });
/// let mut client = TcpStream::connect(addr).unwrap();
/// client.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
/// let mut answer = String::new();
/// client.read_to_string(&mut answer).unwrap();
/// assert!(answer.starts_with("HTTP/1.1 200 OK\r\n") && answer.ends_with("\r\n\r\nhi"));
/// server.join().unwrap().unwrap();
/// ```
pub fn serve_connection<H: Handler + ?Sized>(
    stream: TcpStream,
    peer: SocketAddr,
    handler: &H,
    config: &ServerConfig,
) -> io::Result<()> {
    let stream = prepare(stream, config)?;
    let mut conn = Conn::new(Io::new(stream), peer, config, None);
    match conn.run(handler)? {
        End::Close => conn.close(),
        // Never idle: this connection was given no `handoff_after`.
        End::Drop | End::Idle => Ok(()),
    }
}

/// Serves a connection of an [`HttpServer`](super::HttpServer): as
/// [`serve_connection`], except that a connection idle for
/// [`ServerConfig::idle_handoff`] is handed back to the server to wait without
/// a greenlet, in its idle lot (see `server::handoff`). Errors are logged
/// here (debug), as the server has no one to return them to.
pub(crate) fn serve_with_handoff<H: Handler>(
    stream: TcpStream,
    peer: SocketAddr,
    handler: Arc<H>,
    config: Arc<ServerConfig>,
) -> Next {
    let stream = match prepare(stream, &config) {
        Ok(stream) => stream,
        Err(e) => {
            log::debug!("http connection from {peer} ended: {e}");
            return Next::Done;
        }
    };
    carry_on(Io::new(stream), peer, None, handler, config)
}

/// The socket options every served connection gets. (Its timeouts are
/// kept by greenline's alarm thread, as every stream's are, so that a
/// keep-alive connection waits for its next request without first trying
/// a read that fails: see `net::deadline::Readiness`.)
fn prepare(stream: TcpStream, config: &ServerConfig) -> io::Result<TcpStream> {
    stream.set_nodelay(true)?;
    stream.set_write_timeout(config.write_timeout)?;
    Ok(stream)
}

/// Runs the request loop on `io` until the connection ends (`Done`) or
/// goes idle long enough to be handed back (`Idle`). `since` is when the
/// connection went idle, if it was handed back since its last request.
fn carry_on<H: Handler>(
    io: Io,
    peer: SocketAddr,
    since: Option<Instant>,
    handler: Arc<H>,
    config: Arc<ServerConfig>,
) -> Next {
    let mut conn = Conn::new(io, peer, &config, config.idle_handoff);
    conn.idle_since = since;
    let ended = match conn.run(handler.as_ref()) {
        Ok(End::Close) => conn.close(),
        Ok(End::Drop) => Ok(()),
        Ok(End::Idle) => {
            let (io, idle_since) = conn.into_idle();
            let (stream, io) = io.into_idle();
            let since = idle_since.unwrap_or_else(Instant::now);
            let expires = config.keepalive_timeout.map(|k| since + k);
            return Next::Idle(Idle {
                stream,
                expires,
                resume: Box::new(move |stream| {
                    carry_on(io.resume(stream), peer, Some(since), handler, config)
                }),
            });
        }
        Err(e) => Err(e),
    };
    if let Err(e) = ended {
        log::debug!("http connection from {peer} ended: {e}");
    }
    Next::Done
}

/// How a connection ends once the loop returns.
enum End {
    /// Flush, half-close and linger: a response may still be in flight.
    Close,
    /// Nothing more to send (the client closed, or went idle).
    Drop,
    /// Idle for `handoff_after`, with nothing buffered either way: hand
    /// the connection back to the server's idle lot.
    Idle,
}

struct Conn<'a> {
    io: Io,
    peer: SocketAddr,
    config: &'a ServerConfig,
    /// The last request's header field index, emptied: the next head is
    /// parsed into it, so requests do not allocate one each.
    spare_fields: Vec<Field>,
    /// How long to wait for a next request before handing the connection
    /// back idle; `None` never does.
    handoff_after: Option<Duration>,
    /// When the connection went idle, if it was handed back and no request has
    /// arrived since: the keep-alive timeout counts from here.
    idle_since: Option<Instant>,
    /// `idle_wait` for a connection not handed back since its last
    /// request (the same every time, so worked out once).
    idle_fresh: Option<(Option<Duration>, bool)>,
    /// The last response head encoded, for the next one that is the same.
    head_cache: HeadCache,
    /// Access log lines of the batch being answered, handed to the log's
    /// thread before the connection waits for more input (and when it
    /// ends).
    lines: LineBuffer<'a>,
}

impl<'a> Conn<'a> {
    fn new(
        io: Io,
        peer: SocketAddr,
        config: &'a ServerConfig,
        handoff_after: Option<Duration>,
    ) -> Conn<'a> {
        let idle_fresh = idle_plan(config.keepalive_timeout, handoff_after);
        Conn {
            io,
            peer,
            config,
            spare_fields: Vec::new(),
            handoff_after,
            idle_since: None,
            idle_fresh,
            head_cache: HeadCache::new(),
            lines: LineBuffer::new(&config.access_log),
        }
    }

    /// Closes the connection gracefully (`Io::close`), its log lines
    /// handed over first, before its last responses go out.
    fn close(mut self) -> io::Result<()> {
        self.lines.hand_over();
        self.io.close()
    }

    /// What an idle connection keeps, the rest dropped (the field index
    /// among it, a buffer like the others): its log lines go to the log
    /// now, and nothing left borrows the config.
    fn into_idle(self) -> (Io, Option<Instant>) {
        (self.io, self.idle_since)
    }

    /// How long to wait for the next request's first byte, and whether
    /// running out of that time hands the connection back idle (else it
    /// closes).
    /// `None` when the keep-alive time is already spent.
    #[inline]
    fn idle_wait(&self) -> Option<(Option<Duration>, bool)> {
        match self.idle_since {
            // After a request (every time but the first after a hand-off).
            None => self.idle_fresh,
            Some(since) => idle_plan(
                self.config
                    .keepalive_timeout
                    .map(|k| k.saturating_sub(since.elapsed())),
                self.handoff_after,
            ),
        }
    }

    fn run<H: Handler + ?Sized>(&mut self, handler: &H) -> io::Result<End> {
        // When the first byte of the head being received arrived.
        let mut head_started: Option<Instant> = None;
        loop {
            let limits = &self.config.limits;
            // An empty buffer (after every keep-alive request) holds no head:
            // straight to the read, without a parser call.
            let parsed = if self.io.rbuf.is_empty() {
                Ok(None)
            } else {
                RequestHead::parse_split_reusing(&mut self.io.rbuf, limits, &mut self.spare_fields)
            };
            match parsed {
                Ok(Some(head)) => {
                    head_started = None;
                    if !self.exchange(head, handler)? {
                        return Ok(End::Close);
                    }
                    if self.io.wbuf.len() >= FLUSH_AT {
                        self.io.flush()?;
                    }
                    // A client that keeps its input full never makes the
                    // next read wait: every so many requests, let the
                    // worker's other connections run.
                    self.io.answered();
                }
                Ok(None) => {
                    let mut hands_off = false;
                    let timeout = if self.io.rbuf.is_empty() {
                        head_started = None;
                        let Some((wait, handoff)) = self.idle_wait() else {
                            return Ok(End::Drop);
                        };
                        hands_off = handoff;
                        wait
                    } else {
                        let started = *head_started.get_or_insert_with(Instant::now);
                        let left = self.config.head_timeout.saturating_sub(started.elapsed());
                        if left.is_zero() {
                            return self.reject(408, "request head timed out");
                        }
                        Some(left)
                    };
                    // The batch is answered: its log lines go before the
                    // connection (possibly) waits.
                    self.lines.hand_over();
                    match self.io.fill(timeout) {
                        Ok(0) => return Ok(End::Drop),
                        Ok(_) => self.idle_since = None,
                        Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                            if hands_off && self.io.rbuf.is_empty() {
                                if self.idle_since.is_none() {
                                    let waited = timeout.unwrap_or_default();
                                    self.idle_since = Instant::now().checked_sub(waited);
                                }
                                return Ok(End::Idle);
                            }
                            if self.io.rbuf.is_empty() {
                                // RFC 9112 §9.5: a server may close an idle
                                // connection at any time.
                                return Ok(End::Drop);
                            }
                            return self.reject(408, "request head timed out");
                        }
                        Err(e) => return Err(e),
                    }
                }
                Err(e) => return self.reject(e.status(), &e.to_string()),
            }
        }
    }

    /// Answers a request that cannot be served with `status` and a plain
    /// text body, and closes the connection.
    fn reject(&mut self, status: u16, why: &str) -> io::Result<End> {
        log::debug!("http {}: {status} {why}", self.peer);
        let response = error_response(status);
        let (head, _, _) = response.into_parts();
        let body = error_body(status);
        head.encode(
            Framing::Length(body.len() as u64),
            false,
            Version::Http11,
            &format_http_date(coarse_secs()),
            &mut self.io.wbuf,
        );
        self.io.wbuf.extend_from_slice(body.as_bytes());
        if self.config.access_log.enabled() {
            // The request line as far as it arrived, escaped for the log.
            let line_end = self.io.rbuf.iter().position(|&b| b == b'\r' || b == b'\n');
            let line = &self.io.rbuf[..line_end.unwrap_or(self.io.rbuf.len()).min(256)];
            let mut text = String::with_capacity(line.len());
            escape_into(&mut text, line);
            self.log(&text, status, body.len() as u64, Duration::ZERO);
        }
        Ok(End::Close)
    }

    /// Serves one request; returns whether the connection persists.
    fn exchange<H: Handler + ?Sized>(
        &mut self,
        head: RequestHead,
        handler: &H,
    ) -> io::Result<bool> {
        let log_on = self.config.access_log.enabled();
        let started = log_on.then(Instant::now);
        let mut req = Request::new(
            head,
            self.peer,
            &mut self.io,
            &self.config.limits,
            self.config.read_timeout,
            self.config.min_body_rate,
        );
        let called = panic::catch_unwind(AssertUnwindSafe(|| handler.call(&mut req)));
        let (head, mut body) = req.into_parts();
        let mut response = match called {
            Ok(r) => r,
            Err(payload) => {
                // A kill unwinds through the handler as a panic: let it.
                if crate::greenlet::kill_requested() {
                    panic::resume_unwind(payload);
                }
                log::error!(
                    "http handler panicked on {} {}: {}",
                    head.method(),
                    head.target(),
                    panic_text(payload.as_ref())
                );
                Response::internal_error()
            }
        };
        let mut keep = head.keep_alive() && !body.broken;
        if let Some(e) = body.error {
            // The body's framing is broken or over the limit: the server's
            // answer replaces the handler's, and the connection closes.
            response = error_response(e.status());
            keep = false;
        } else if body.pace.too_slow() {
            // The body came slower than the minimum rate: the same, 408.
            response = error_response(408);
            keep = false;
        }
        if keep && !body.decoder.is_done() {
            keep = self.discard_buffered(&mut body);
        }
        let (status, sent, mut keep) = self.write_response(&mut response, &head, keep)?;
        if keep && !body.decoder.is_done() {
            keep = self.drain(&mut body);
        }
        if let Some(started) = started {
            let line = request_line(&head);
            self.log(&line, status, sent, started.elapsed());
        }
        self.spare_fields = head.into_fields();
        Ok(keep)
    }

    /// Consumes the unread body bytes already received, without waiting;
    /// returns whether the rest, if any, may be drained after the response.
    fn discard_buffered(&mut self, body: &mut BodyState) -> bool {
        while !body.decoder.is_done() && !self.io.rbuf.is_empty() {
            match body.decoder.decode(&self.io.rbuf) {
                Ok(step) => self.io.rbuf.advance(step.consumed),
                Err(_) => return false,
            }
        }
        if body.decoder.is_done() {
            return true;
        }
        // RFC 9110 §10.1.1: a client that sent Expect: 100-continue may or
        // may not send the body after a final response; we cannot tell
        // which bytes come next, so we close.
        if body.continue_pending {
            return false;
        }
        match body.decoder {
            BodyDecoder::Length(left) => left <= self.config.drain_limit,
            _ => true,
        }
    }

    /// Reads and discards the rest of an unread body, up to the drain limit
    /// and within the minimum body rate; returns whether it ended in time
    /// (else the connection closes).
    fn drain(&mut self, body: &mut BodyState) -> bool {
        let mut budget = self.config.drain_limit;
        let (rate, read_timeout) = (self.config.min_body_rate, self.config.read_timeout);
        while !body.decoder.is_done() {
            if self.io.rbuf.is_empty() {
                match body.pace.fill(&mut self.io, rate, read_timeout) {
                    Ok(0) | Err(_) => return false,
                    Ok(_) => {}
                }
            }
            match body.decoder.decode(&self.io.rbuf) {
                Ok(step) if (step.consumed as u64) <= budget => {
                    budget -= step.consumed as u64;
                    self.io.rbuf.advance(step.consumed);
                }
                _ => return false,
            }
        }
        true
    }

    /// Encodes `response` into the batch (streaming bodies are written as
    /// they are read); returns the status, body bytes sent, and whether the
    /// connection persists.
    fn write_response(
        &mut self,
        response: &mut Response,
        req: &RequestHead,
        keep: bool,
    ) -> io::Result<(u16, u64, bool)> {
        if let Some(e) = response.error() {
            log::error!(
                "http handler built an invalid response to {} {}: {e}",
                req.method(),
                req.target()
            );
            *response = Response::internal_error();
        }
        let (head, body) = response.parts_mut();
        let (is_head, version, status) = (req.is_head(), req.version(), head.status());
        let allowed = body_allowed(is_head, status);
        let now = coarse_secs();
        let wbuf = &mut self.io.wbuf;
        match body {
            Body::Empty => {
                let framing = Framing::choose(version, is_head, status, Some(0));
                let keep =
                    head.encode_cached(framing, keep, version, now, wbuf, &mut self.head_cache);
                Ok((status, 0, keep))
            }
            Body::Bytes(bytes) => {
                let framing = Framing::choose(version, is_head, status, Some(bytes.len() as u64));
                let keep =
                    head.encode_cached(framing, keep, version, now, wbuf, &mut self.head_cache);
                if !allowed || bytes.is_empty() {
                    return Ok((status, 0, keep));
                }
                if bytes.len() >= DIRECT_WRITE {
                    self.io.write_direct(bytes)?;
                } else {
                    wbuf.extend_from_slice(bytes);
                }
                Ok((status, bytes.len() as u64, keep))
            }
            Body::Stream { reader, len } => {
                let framing = Framing::choose(version, is_head, status, *len);
                let keep =
                    head.encode_cached(framing, keep, version, now, wbuf, &mut self.head_cache);
                if !allowed {
                    return Ok((status, 0, keep));
                }
                let sent = self.send_stream(reader.as_mut(), framing)?;
                Ok((status, sent, keep))
            }
        }
    }

    /// Copies a streaming body to the client in the chosen framing.
    ///
    /// A reader error, or a length other than the declared one, leaves the
    /// response unfinished: the error is returned and the connection is
    /// dropped without the last chunk, so the client sees a truncated body
    /// rather than a complete wrong one.
    fn send_stream(&mut self, reader: &mut dyn Read, framing: Framing) -> io::Result<u64> {
        let mut scratch = vec![0; STREAM_READ];
        let mut sent = 0u64;
        loop {
            let n = match reader.read(&mut scratch) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    log::error!("http response body stream failed: {e}");
                    return Err(e);
                }
            };
            sent += n as u64;
            match framing {
                Framing::Chunked => write_chunk(&scratch[..n], &mut self.io.wbuf),
                _ => self.io.wbuf.extend_from_slice(&scratch[..n]),
            }
            if matches!(framing, Framing::Length(len) if sent > len) {
                break;
            }
            if self.io.wbuf.len() >= FLUSH_AT {
                self.io.flush()?;
            }
        }
        match framing {
            Framing::Chunked => write_last_chunk(&mut self.io.wbuf),
            Framing::Length(len) if sent != len => {
                let e = io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("response body stream gave {sent} bytes, declared {len}"),
                );
                log::error!("http {e}");
                self.io.wbuf.clear();
                return Err(e);
            }
            _ => {}
        }
        Ok(sent)
    }

    fn log(&mut self, request_line: &str, status: u16, body_len: u64, duration: Duration) {
        self.lines.push(&AccessEntry {
            peer: self.peer,
            request_line,
            status,
            body_len,
            duration,
            time: SystemTime::now(),
        });
    }
}

/// How long to wait for a next request with `keepalive` left, and whether
/// running out of that time hands the connection back idle (after
/// `handoff_after`) rather than closing it; `None` when the keep-alive time
/// is spent.
fn idle_plan(
    keepalive: Option<Duration>,
    handoff_after: Option<Duration>,
) -> Option<(Option<Duration>, bool)> {
    if keepalive.is_some_and(|k| k.is_zero()) {
        return None;
    }
    Some(match handoff_after {
        Some(p) if keepalive.map_or(true, |k| k > p) => (Some(p), true),
        _ => (keepalive, false),
    })
}

/// The server's own answer for `status`: a short text body, no detail.
fn error_response(status: u16) -> Response {
    Response::text(status, error_body(status))
}

fn error_body(status: u16) -> &'static str {
    match status {
        400 => "Bad Request\n",
        408 => "Request Timeout\n",
        413 => "Content Too Large\n",
        414 => "URI Too Long\n",
        431 => "Request Header Fields Too Large\n",
        501 => "Not Implemented\n",
        505 => "HTTP Version Not Supported\n",
        _ => "Error\n",
    }
}

/// The request line for the access log, escaped (the target may hold
/// any UTF-8, quotes among it).
fn request_line(head: &RequestHead) -> String {
    let version = match head.version() {
        Version::Http10 => "HTTP/1.0",
        Version::Http11 => "HTTP/1.1",
    };
    let (method, target) = (head.method(), head.target());
    let mut line = String::with_capacity(method.len() + target.len() + 10);
    escape_into(&mut line, method.as_bytes());
    line.push(' ');
    escape_into(&mut line, target.as_bytes());
    line.push(' ');
    line.push_str(version);
    line
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "<non-string panic payload>"
    }
}
