//! The request a handler sees: its head, its peer, and its body as a reader.

use std::io::{self, Read};
use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Buf, Bytes};

use super::pace::Pace;
use super::proto::{BodyDecoder, BodyKind, Headers, Limits, ParseError, RequestHead, Version};
use super::source::BodySource;
use super::BodyRate;

/// An HTTP request being served: gevent pywsgi's `environ`, with
/// `wsgi.input` as this value's [`Read`] implementation.
///
/// The head is parsed and owned; the body is not read until the handler
/// reads it, straight from the connection. Whatever the handler leaves
/// unread is discarded by the server after the response (or the connection
/// is closed), so it is never taken for a next request.
///
/// # Reading the body
///
/// `Read` yields the body's bytes, decoded from `Content-Length` or chunked
/// framing, then `Ok(0)`. Each read that must wait for the network first
/// sends any responses still queued for earlier pipelined requests, and is
/// bounded by the server's read timeout and by its
/// [minimum body rate](super::ServerConfig::min_body_rate)
/// (`ErrorKind::TimedOut`; after the rate's, the server answers `408`
/// itself, whatever the handler returns, and closes). For a
/// request with `Expect: 100-continue`, the first read sends `100 Continue`.
/// A body over [`Limits::max_body_len`] or with broken chunked framing
/// makes reads fail with `ErrorKind::InvalidData`; the server then answers
/// `413` or `400` itself, whatever the handler returns, and closes.
#[derive(Debug)]
pub struct Request<'c> {
    head: RequestHead,
    peer: SocketAddr,
    pub(crate) body: BodyState,
    /// The connection's input (or, behind another engine, the body in
    /// memory).
    io: &'c mut dyn BodySource,
    read_timeout: Option<Duration>,
    min_body_rate: Option<BodyRate>,
}

/// Where the body stands; the connection loop reads it after the handler.
#[derive(Debug)]
pub(crate) struct BodyState {
    pub(crate) decoder: BodyDecoder,
    /// The client waits for `100 Continue` and it has not been sent.
    pub(crate) continue_pending: bool,
    /// The chunked framing broke or the body exceeded its limit: the
    /// response becomes this error's status, and the connection closes.
    pub(crate) error: Option<ParseError>,
    /// A read failed (timeout, reset, early end of file): the connection
    /// cannot be reused.
    pub(crate) broken: bool,
    /// The waiting for the body so far, against the minimum rate.
    pub(crate) pace: Pace,
}

impl<'c> Request<'c> {
    pub(crate) fn new(
        head: RequestHead,
        peer: SocketAddr,
        io: &'c mut dyn BodySource,
        limits: &Limits,
        read_timeout: Option<Duration>,
        min_body_rate: Option<BodyRate>,
    ) -> Request<'c> {
        let body = BodyState {
            decoder: BodyDecoder::new(head.body_kind(), limits),
            continue_pending: head.expects_continue() && head.body_kind() != BodyKind::Empty,
            error: None,
            broken: false,
            pace: Pace::default(),
        };
        Request {
            head,
            peer,
            body,
            io,
            read_timeout,
            min_body_rate,
        }
    }

    pub(crate) fn into_parts(self) -> (RequestHead, BodyState) {
        (self.head, self.body)
    }

    /// The method, such as `GET`; case-sensitive.
    pub fn method(&self) -> &str {
        self.head.method()
    }

    /// The request-target exactly as sent, such as `/a/b?c=d`.
    pub fn target(&self) -> &str {
        self.head.target()
    }

    /// The path of the target, not percent-decoded (see
    /// [`RequestHead::path`]).
    pub fn path(&self) -> &str {
        self.head.path()
    }

    /// The query after the first `?`, without it.
    pub fn query(&self) -> Option<&str> {
        self.head.query()
    }

    /// The protocol version.
    pub fn version(&self) -> Version {
        self.head.version()
    }

    /// The header fields: names case-insensitive, repeats kept.
    pub fn headers(&self) -> &Headers {
        self.head.headers()
    }

    /// The first value of header `name` (any case) as text, if present
    /// and UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.headers().get_str(name)
    }

    /// The client's address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    /// The parsed head, with the framing decisions.
    pub fn head(&self) -> &RequestHead {
        &self.head
    }

    /// The declared body length: `Some(0)` without a body, `None` for a
    /// chunked body.
    pub fn content_length(&self) -> Option<u64> {
        match self.head.body_kind() {
            BodyKind::Empty => Some(0),
            BodyKind::Length(n) => Some(n),
            BodyKind::Chunked => None,
        }
    }

    /// Reads the rest of the body into memory.
    ///
    /// The body is bounded by [`Limits::max_body_len`]. A `Content-Length`
    /// body that has fully arrived with the head is returned without
    /// copying.
    ///
    /// # Errors
    ///
    /// As [`Read::read`]: `InvalidData` over the limit (the server then
    /// answers 413) or on broken chunked framing (400), `TimedOut` (408
    /// when the body came slower than the minimum rate),
    /// `UnexpectedEof` when the client stops early.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use greenline::http::{Request, Response};
    /// fn echo(req: &mut Request) -> std::io::Result<Response> {
    ///     let body = req.read_body_to_end()?;
    ///     Ok(Response::text(200, body))
    /// }
    /// ```
    pub fn read_body_to_end(&mut self) -> io::Result<Bytes> {
        if let BodyDecoder::Length(n) = self.body.decoder {
            let buffered = self.io.buffered();
            if !self.body.continue_pending && buffered.len() as u64 >= n {
                let n = n as usize;
                self.body.decoder = BodyDecoder::Empty;
                return Ok(buffered.split_to(n).freeze());
            }
        }
        let hint = self.content_length().unwrap_or(0).min(1 << 20) as usize;
        let mut out = Vec::with_capacity(hint);
        self.read_to_end(&mut out)?;
        Ok(Bytes::from(out))
    }

    fn fail(&mut self, e: ParseError) -> io::Error {
        self.body.error = Some(e);
        io::Error::new(io::ErrorKind::InvalidData, e)
    }
}

impl Read for Request<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if let Some(e) = self.body.error {
            return Err(io::Error::new(io::ErrorKind::InvalidData, e));
        }
        if self.body.broken {
            return Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "an earlier read of the request body failed",
            ));
        }
        if out.is_empty() || self.body.decoder.is_done() {
            return Ok(0);
        }
        if self.body.continue_pending {
            // RFC 9110 §10.1.1: the server sends 100 Continue to ask for the
            // body; it goes out after any queued earlier responses.
            self.body.continue_pending = false;
            self.io.send_continue();
        }
        loop {
            if self.io.buffered().is_empty() {
                let filled = self
                    .body
                    .pace
                    .fill(self.io, self.min_body_rate, self.read_timeout);
                match filled {
                    Ok(0) => {
                        self.body.broken = true;
                        return Err(io::ErrorKind::UnexpectedEof.into());
                    }
                    Ok(_) => {}
                    Err(e) => {
                        self.body.broken = true;
                        return Err(e);
                    }
                }
            }
            // Decoding at most `out.len()` input bytes returns at most that
            // much data; the decoders accept input split anywhere.
            let buffered = self.io.buffered();
            let limit = buffered.len().min(out.len());
            let step = match self.body.decoder.decode(&buffered[..limit]) {
                Ok(step) => step,
                Err(e) => return Err(self.fail(e)),
            };
            let n = step.data.len();
            out[..n].copy_from_slice(&buffered[step.data]);
            buffered.advance(step.consumed);
            if n > 0 {
                return Ok(n);
            }
            if step.done {
                return Ok(0);
            }
        }
    }
}
