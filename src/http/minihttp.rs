//! A second engine for a greenline [`Handler`]: may_minihttp's `HttpServer`
//! (feature `minihttp`).
//!
//! may_minihttp is may's own HTTP server and among the fastest in the
//! TechEmpower plaintext benchmark. Its framing is not safe for untrusted
//! clients, so it is never greenline's default: use [`HttpServer`] unless
//! the clients are your own and you measured a need.
//!
//! The faults the engine brings, and what this adapter avoids, are listed
//! on [`MiniHttpServer`]. This file is the only one that knows the engine:
//! it re-parses each request with greenline's parser ([`proto`](super::proto)),
//! hands the handler the body the engine read whole (a `BodySource` in
//! memory), and copies the response into the engine's.
//!
//! [`HttpServer`]: super::HttpServer

use std::collections::HashSet;
use std::fmt;
use std::io::{self, Read};
use std::net::{Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use bytes::BytesMut;

use super::log::{escape_into, LineBuffer};
use super::proto::{body_allowed, reason_phrase, BodyKind, RequestHead};
use super::response::Body;
use super::source::BodySource;
use super::{AccessEntry, Handler, Request, Response, ServerConfig};
use crate::sync::waiter::lock;

/// Response fields the engine writes itself, dropped from a handler's.
const ENGINE_FIELDS: [&str; 4] = ["content-length", "transfer-encoding", "date", "server"];
/// The engine's fixed number of response header slots.
const MAX_FIELDS: usize = 16;
/// Most distinct header lines interned for the engine.
const MAX_INTERNED: usize = 4096;

/// A greenline [`Handler`] served by may_minihttp's engine. Read its
/// faults below before using it.
///
/// # Faults the engine brings
///
/// Observed against may_minihttp 0.1.11 by sending it the requests
/// `tests/http_minihttp.rs` sends; this adapter avoids the ones marked
/// *avoided*, the others remain:
///
/// * **An unread body is served as a second request** (request smuggling)
///   when the engine is used directly. *Avoided* for valid `Content-Length`
///   bodies: the adapter reads the body before calling the handler. A
///   request the adapter rejects (below) leaves its body unread, and the
///   engine parses it as the next request.
/// * **`Content-Length: abc` panics** inside the engine when the body is
///   read. *Avoided*: a length that is not plain digits gets `400` without
///   the body being touched; its bytes then follow as a "request".
/// * **A 17th response header panics** (a fixed array of 16). *Avoided*: a
///   response with more than 16 fields becomes a `500`.
/// * **No chunked request bodies**: the adapter answers `411 Length
///   Required`, and the engine then parses the chunks as requests.
/// * **`Connection: close` and HTTP/1.0 are ignored**: every connection
///   stays open, every response is `HTTP/1.1`.
/// * **HEAD gets a body** from the engine. The adapter sends no body to
///   HEAD (nor with 1xx, 204, 304), but the engine still writes
///   `Content-Length: 0`, not the length a GET would have.
/// * **No `400` on a malformed request**: the connection is closed
///   silently.
/// * **Unbounded header buffering**: a head without an end grows the
///   read buffer without limit, and more than 16 request headers closes the
///   connection without a `431`. There are no read, idle or keep-alive
///   timeouts, and no connection limit.
///
/// And what the adapter cannot carry over: header values are
/// `&'static str` in the engine, so each distinct header line is interned
/// (kept for the life of the process, at most 4096 of them; a response
/// needing more gets a `500`); a custom reason phrase is dropped, and `200`
/// is always sent as `200 Ok`; a streamed body is read whole before it is
/// sent; [`Request::peer_addr`](super::Request::peer_addr) is `0.0.0.0:0`,
/// since the engine does not pass the peer on; a handler's error or panic
/// is a `500` as with [`HttpServer`], but the engine's own errors reach the
/// client as text. [`ServerConfig`]'s limits and access log apply; its
/// timeouts and `max_connections` do not. The server cannot be stopped.
///
/// [`HttpServer`]: super::HttpServer
///
/// # Examples
///
/// ```no_run
/// use greenline::http::{MiniHttpServer, Request, Response, ServerConfig};
/// let hello = |_: &mut Request| Response::text(200, "hello world");
/// let server = MiniHttpServer::start("127.0.0.1:8080", hello, ServerConfig::new()).unwrap();
/// server.join().unwrap(); // forever
/// ```
pub struct MiniHttpServer {
    accept: may::coroutine::JoinHandle<()>,
}

impl MiniHttpServer {
    /// Binds `addr` and starts the engine's accept coroutine, serving each
    /// request with `handler` under `config`'s limits and access log.
    ///
    /// # Errors
    ///
    /// `AddrInUse` when the port is taken; whatever `bind(2)` or spawning
    /// the accept coroutine returns otherwise.
    pub fn start<H: Handler>(
        addr: impl ToSocketAddrs,
        handler: H,
        config: ServerConfig,
    ) -> io::Result<MiniHttpServer> {
        let service = Service {
            handler: Arc::new(handler),
            config: Arc::new(config),
        };
        let accept = may_minihttp::HttpServer(service).start(addr)?;
        Ok(MiniHttpServer { accept })
    }

    /// Waits until the accept coroutine ends, which it does not while the
    /// listener works: the engine retries every accept error. Blocks the
    /// calling thread, or yields in a greenlet.
    ///
    /// # Errors
    ///
    /// `Other` when the accept coroutine panicked.
    pub fn join(self) -> io::Result<()> {
        self.accept
            .join()
            .map_err(|_| io::Error::other("may_minihttp's accept coroutine panicked"))
    }
}

impl fmt::Debug for MiniHttpServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MiniHttpServer").finish_non_exhaustive()
    }
}

/// The engine's per-connection service: one clone per connection.
struct Service<H> {
    handler: Arc<H>,
    config: Arc<ServerConfig>,
}

impl<H> Clone for Service<H> {
    fn clone(&self) -> Self {
        Service {
            handler: self.handler.clone(),
            config: self.config.clone(),
        }
    }
}

impl<H: Handler> may_minihttp::HttpService for Service<H> {
    fn call(
        &mut self,
        req: may_minihttp::Request,
        rsp: &mut may_minihttp::Response,
    ) -> io::Result<()> {
        let started = Instant::now();
        let mut line = String::new();
        escape_into(&mut line, req.method().as_bytes());
        line.push(' ');
        escape_into(&mut line, req.path().as_bytes());
        line.push_str(" HTTP/1.");
        line.push(char::from(b'0' + req.version().min(9)));
        let (is_head, response) = self.respond(req);
        let (status, body_len) = fill(is_head, response, rsp);
        // One line at a time: the engine has no batches to hand over.
        LineBuffer::new(&self.config.access_log).push(&AccessEntry {
            peer: UNKNOWN_PEER,
            request_line: &line,
            status,
            body_len,
            duration: started.elapsed(),
            time: SystemTime::now(),
        });
        Ok(())
    }
}

/// The engine does not tell a service its peer.
const UNKNOWN_PEER: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0);

impl<H: Handler> Service<H> {
    /// Re-parses the engine's request with greenline's parser (so its
    /// framing rules and limits apply), reads the body, calls the handler.
    fn respond(&self, req: may_minihttp::Request) -> (bool, Response) {
        let mut raw = format!(
            "{} {} HTTP/1.{}\r\n",
            req.method(),
            req.path(),
            req.version()
        )
        .into_bytes();
        for h in req.headers() {
            raw.extend_from_slice(h.name.as_bytes());
            raw.extend_from_slice(b": ");
            raw.extend_from_slice(h.value);
            raw.extend_from_slice(b"\r\n");
        }
        raw.extend_from_slice(b"\r\n");
        let limits = &self.config.limits;
        let head = match RequestHead::parse(&raw, limits) {
            Ok(Some((head, _))) => head,
            Ok(None) => return (false, status_only(400)),
            Err(e) => return (false, status_only(e.status())),
        };
        let is_head = head.is_head();
        let body = match head.body_kind() {
            BodyKind::Empty => BytesMut::new(),
            // The engine reads the first Content-Length with
            // `parse::<usize>().unwrap()`: hand it only plain digits.
            BodyKind::Length(_) if !plain_length(&req) => return (is_head, status_only(400)),
            BodyKind::Length(n) => {
                let mut body = Vec::with_capacity(n.min(1 << 20) as usize);
                // Dropping the reader drains whatever was not read.
                if let Err(e) = req.body().take(n).read_to_end(&mut body) {
                    log::debug!("minihttp: reading a request body failed: {e}");
                    return (is_head, status_only(400));
                }
                BytesMut::from(&body[..])
            }
            BodyKind::Chunked => return (is_head, status_only(411)),
        };
        let mut body = Preloaded(body);
        // The engine has read the body already: no timeout or rate applies.
        let mut request = Request::new(head, UNKNOWN_PEER, &mut body, limits, None, None);
        let called = panic::catch_unwind(AssertUnwindSafe(|| self.handler.call(&mut request)));
        let (head, state) = request.into_parts();
        let response = match called {
            Ok(r) => r,
            Err(_) => {
                log::error!(
                    "http handler panicked on {} {}",
                    head.method(),
                    head.target()
                );
                Response::internal_error()
            }
        };
        match state.error {
            Some(e) => (is_head, status_only(e.status())),
            None => (is_head, response),
        }
    }
}

/// A request body the engine read whole: all of it is buffered, no more
/// will come, and the engine writes the answer (so a `100 Continue` is not
/// sent from here).
#[derive(Debug)]
struct Preloaded(BytesMut);

impl BodySource for Preloaded {
    fn buffered(&mut self) -> &mut BytesMut {
        &mut self.0
    }

    fn send_continue(&mut self) {}

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn fill(&mut self, _: Option<Duration>) -> io::Result<usize> {
        Ok(0)
    }
}

/// Whether the request's first `Content-Length` is plain digits that fit a
/// `usize`, as the engine's unchecked parse needs.
fn plain_length(req: &may_minihttp::Request) -> bool {
    let first = req
        .headers()
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"));
    first.is_some_and(|h| {
        !h.value.is_empty()
            && h.value.iter().all(u8::is_ascii_digit)
            && std::str::from_utf8(h.value)
                .ok()
                .and_then(|v| v.parse::<usize>().ok())
                .is_some()
    })
}

/// The adapter's own answer: the status and its reason as a text body.
fn status_only(status: u16) -> Response {
    let reason = reason_phrase(status).unwrap_or("Error");
    Response::text(status, format!("{reason}\n"))
}

/// Writes `response` into the engine's; returns the status and body length
/// sent, for the access log.
fn fill(is_head: bool, response: Response, rsp: &mut may_minihttp::Response) -> (u16, u64) {
    let (head, error, body) = response.into_parts();
    let fields = match error {
        Some(e) => {
            log::error!("http response dropped: {e}");
            None
        }
        None => static_fields(head.field_lines()),
    };
    let Some(fields) = fields else {
        return internal_error(rsp);
    };
    let status = head.status();
    if head.reason().is_some() {
        log::debug!("minihttp: a custom reason phrase is not sent");
    }
    rsp.status_code(status as usize, reason_phrase(status).unwrap_or("Unknown"));
    for line in fields {
        rsp.header(line);
    }
    if !body_allowed(is_head, status) {
        return (status, 0);
    }
    let bytes = match body {
        Body::Empty => Vec::new(),
        Body::Bytes(b) => b.to_vec(),
        Body::Stream { mut reader, .. } => {
            let mut all = Vec::new();
            if let Err(e) = reader.read_to_end(&mut all) {
                log::error!("http response body stream failed: {e}");
                return internal_error(rsp);
            }
            all
        }
    };
    let len = bytes.len() as u64;
    rsp.body_vec(bytes);
    (status, len)
}

/// A generic 500, written without interning anything (the interner may be
/// what failed).
fn internal_error(rsp: &mut may_minihttp::Response) -> (u16, u64) {
    const BODY: &str = "Internal Server Error\n";
    rsp.status_code(500, "Internal Server Error");
    rsp.body(BODY);
    (500, BODY.len() as u64)
}

/// The handler's header lines as the engine's `&'static str`s, without the
/// ones the engine writes itself; `None` when there are more than the
/// engine's 16 slots or the interner is full.
fn static_fields(serialized: &[u8]) -> Option<Vec<&'static str>> {
    let text = std::str::from_utf8(serialized).ok()?;
    let lines: Vec<&str> = text
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .filter(|l| {
            let name = l.split(':').next().unwrap_or("");
            !ENGINE_FIELDS.iter().any(|f| name.eq_ignore_ascii_case(f))
        })
        .collect();
    if lines.len() > MAX_FIELDS {
        log::error!(
            "minihttp: a response has {} header fields, the engine takes {MAX_FIELDS}",
            lines.len()
        );
        return None;
    }
    lines.into_iter().map(intern).collect()
}

/// A `&'static` copy of `line`, shared by every response that sends it.
fn intern(line: &str) -> Option<&'static str> {
    static LINES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut lines = lock(LINES.get_or_init(Mutex::default));
    if let Some(&known) = lines.get(line) {
        return Some(known);
    }
    if lines.len() >= MAX_INTERNED {
        log::error!("minihttp: more than {MAX_INTERNED} distinct header lines; answering 500");
        return None;
    }
    let leaked: &'static str = Box::leak(line.to_owned().into_boxed_str());
    lines.insert(leaked);
    Some(leaked)
}
