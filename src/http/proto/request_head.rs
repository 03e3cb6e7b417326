//! Parsing a request head: request line and header fields (RFC 9112 §2–5).

use std::mem::MaybeUninit;
use std::ops::Range;

use bytes::{Bytes, BytesMut};

use super::framing::{self, BodyKind};
use super::headers::Field;
use super::{Headers, Limits, ParseError, Version};

/// Longest method accepted; the longest registered method is 17 bytes.
const MAX_METHOD_LEN: usize = 32;

/// Header scratch entries kept on the stack (32 bytes each). A request with
/// more fields is parsed again with a heap array of
/// [`Limits::max_headers`] entries. Kept small because the scratch sits on
/// every connection greenlet's stack, and stack pages once touched stay
/// resident while the connection idles.
const STACK_HEADERS: usize = 24;

/// A parsed request head: request line, header fields, and the framing and
/// persistence decisions that follow from them.
///
/// It owns its bytes (a [`Bytes`] holding exactly the head), so it can be
/// handed to a handler while the connection keeps reading.
#[derive(Clone, Debug)]
pub struct RequestHead {
    /// The fields, over the head's bytes, which the ranges below index too.
    headers: Headers,
    method: Range<usize>,
    target: Range<usize>,
    /// The path part of `target` (may be empty only for authority-form).
    path: Range<usize>,
    /// The query after `?`, without the `?`.
    query: Option<Range<usize>>,
    version: Version,
    body: BodyKind,
    keep_alive: bool,
    expects_continue: bool,
}

impl RequestHead {
    /// Parses the head at the start of `buf`, copying it out.
    ///
    /// Returns `Ok(None)` when `buf` holds only part of a head: read more and
    /// call again with the longer buffer. Returns `Ok(Some((head, used)))`
    /// when complete: the first `used` bytes were the head and the body (or
    /// the next pipelined request) starts at `buf[used..]`. Empty lines
    /// before the request line are skipped and counted in `used` (RFC 9112
    /// §2.2).
    ///
    /// The parse is stateless: each call rescans `buf` from the start (with a
    /// scratch array of `limits.max_headers` entries, on the stack up to
    /// 128), so call it once per
    /// read, not per byte. A head trickled in tiny reads costs at most
    /// `max_head_len` bytes of scanning per read.
    ///
    /// # Errors
    ///
    /// A [`ParseError`] whose [`status`](ParseError::status) the server
    /// should send before closing. Limits are checked on partial input, so
    /// an unterminated head fails with [`ParseError::HeadTooLarge`] (or
    /// [`ParseError::UriTooLong`]) once `buf` exceeds the limit.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenline::http::proto::{BodyKind, Limits, RequestHead, Version};
    /// let raw = b"POST /f?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi";
    /// let (head, used) = RequestHead::parse(raw, &Limits::default()).unwrap().unwrap();
    /// assert_eq!((head.method(), head.path(), head.query()), ("POST", "/f", Some("x=1")));
    /// assert_eq!(head.version(), Version::Http11);
    /// assert_eq!(head.body_kind(), BodyKind::Length(2));
    /// assert_eq!(&raw[used..], b"hi");
    /// ```
    pub fn parse(buf: &[u8], limits: &Limits) -> Result<Option<(RequestHead, usize)>, ParseError> {
        let Some(layout) = scan(buf, limits, &mut Vec::new())? else {
            return Ok(None);
        };
        let used = layout.used;
        let head = layout.build(Bytes::copy_from_slice(&buf[..used]), limits)?;
        Ok(Some((head, used)))
    }

    /// Like [`parse`](Self::parse), but splits the head off the front of
    /// `buf` without copying, leaving the body or next request in `buf`.
    ///
    /// # Errors
    ///
    /// As [`parse`](Self::parse). A framing error (such as
    /// [`ParseError::InvalidContentLength`]) is found after the head was
    /// split off; either way the connection is to be closed after the error
    /// response, so what is left in `buf` no longer matters.
    pub fn parse_split(
        buf: &mut BytesMut,
        limits: &Limits,
    ) -> Result<Option<RequestHead>, ParseError> {
        Self::parse_split_reusing(buf, limits, &mut Vec::new())
    }

    /// [`parse_split`](Self::parse_split) that builds the field index in
    /// `spare` (taken when a head is returned), so a connection reuses one
    /// index across requests instead of allocating one per request.
    pub(crate) fn parse_split_reusing(
        buf: &mut BytesMut,
        limits: &Limits,
        spare: &mut Vec<Field>,
    ) -> Result<Option<RequestHead>, ParseError> {
        let Some(layout) = scan(buf, limits, spare)? else {
            return Ok(None);
        };
        let head_bytes = buf.split_to(layout.used).freeze();
        layout.build(head_bytes, limits).map(Some)
    }

    /// Gives back the head's field index, emptied, for
    /// [`parse_split_reusing`](Self::parse_split_reusing).
    pub(crate) fn into_fields(self) -> Vec<Field> {
        self.headers.into_fields()
    }

    /// The method, such as `GET`; case-sensitive (RFC 9110 §9.1).
    pub fn method(&self) -> &str {
        self.text(&self.method)
    }

    /// Whether the method is `HEAD`, whose response carries no body.
    pub fn is_head(&self) -> bool {
        // Compared as bytes: `method()` would check UTF-8 on every response.
        self.as_bytes()[self.method.clone()] == *b"HEAD"
    }

    /// The request-target exactly as sent, such as `/a/b?c=d`.
    pub fn target(&self) -> &str {
        self.text(&self.target)
    }

    /// The path of the target: `/a/b` for `/a/b?c=d` and for
    /// `http://host/a/b?c=d` (absolute-form, `/` if it has no path), `*`
    /// for asterisk-form, `host:port` for authority-form. Not percent-decoded.
    pub fn path(&self) -> &str {
        match self.text(&self.path) {
            "" if self.target().contains("://") => "/",
            path => path,
        }
    }

    /// The query after the first `?`, without it; `None` if there is no `?`.
    pub fn query(&self) -> Option<&str> {
        self.query.as_ref().map(|r| self.text(r))
    }

    /// The protocol version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The header fields.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// How the body is framed; see [`BodyDecoder::new`](super::BodyDecoder::new).
    pub fn body_kind(&self) -> BodyKind {
        self.body
    }

    /// Whether the client asked to keep the connection open after this
    /// exchange (RFC 9112 §9.3): HTTP/1.1 unless `Connection: close`,
    /// HTTP/1.0 only with `Connection: keep-alive`.
    pub fn keep_alive(&self) -> bool {
        self.keep_alive
    }

    /// Whether an HTTP/1.1 client sent `Expect: 100-continue` and waits for
    /// [`CONTINUE`](super::CONTINUE) before sending its body. A server may
    /// instead answer with a final status and skip the body (then close, or
    /// drain it).
    pub fn expects_continue(&self) -> bool {
        self.expects_continue
    }

    /// The head's bytes as received, including the final empty line.
    pub fn as_bytes(&self) -> &[u8] {
        self.headers.buf()
    }

    fn text(&self, range: &Range<usize>) -> &str {
        // The ranges were taken from httparse's `&str`s, so this is always UTF-8.
        std::str::from_utf8(&self.as_bytes()[range.clone()]).unwrap_or_default()
    }
}

/// A complete head located in the input: offsets only, so the caller can
/// choose to copy or split the bytes.
struct Layout {
    used: usize,
    method: Range<usize>,
    target: Range<usize>,
    version: Version,
    fields: Vec<Field>,
    /// How many `Host` field lines there are.
    hosts: usize,
    /// Whether any field bearing on framing or persistence is present:
    /// `Content-Length`, `Transfer-Encoding`, `Connection` or `Expect`.
    framing_fields: bool,
}

impl Layout {
    /// Attaches the head bytes and applies the framing rules.
    fn build(self, buf: Bytes, limits: &Limits) -> Result<RequestHead, ParseError> {
        // RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request)
        // status code to any HTTP/1.1 request message that lacks a Host
        // header field and to any request message that contains more than one
        // Host header field line".
        match self.hosts {
            0 if self.version == Version::Http11 => return Err(ParseError::MissingHost),
            0 | 1 => {}
            _ => return Err(ParseError::DuplicateHost),
        }
        let (path, query) = split_target(&buf[self.target.clone()], self.target.start);
        let headers = Headers::new(buf, self.fields);
        let decision = if self.framing_fields {
            framing::decide(self.version, &headers, limits)?
        } else {
            framing::Decision::plain(self.version)
        };
        Ok(RequestHead {
            headers,
            method: self.method,
            target: self.target,
            path,
            query,
            version: self.version,
            body: decision.body,
            keep_alive: decision.keep_alive,
            expects_continue: decision.expects_continue,
        })
    }
}

/// Runs httparse and the limit checks; `Ok(None)` means need more. The
/// field index is built in `fields` (empty, its capacity reused).
fn scan(
    buf: &[u8],
    limits: &Limits,
    fields: &mut Vec<Field>,
) -> Result<Option<Layout>, ParseError> {
    // httparse needs a header array; sizing it to the limit turns "too many
    // headers" into its `TooManyHeaders` error, even on partial input. The
    // common case fits STACK_HEADERS uninitialised entries on the stack
    // (this runs once per request and per read, so it must not allocate or
    // fill kilobytes); more fields than that are parsed again on the heap.
    if buf.is_empty() {
        // Nothing to parse (the server's loop checks this before calling).
        return Ok(None);
    }
    let mut stack = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; STACK_HEADERS];
    let small = limits.max_headers.min(STACK_HEADERS);
    match scan_with(buf, limits, fields, &mut stack[..small]) {
        Err(ParseError::TooManyHeaders) if limits.max_headers > STACK_HEADERS => {
            scan_large(buf, limits)
        }
        r => r,
    }
}

/// `scan` for a request with more than STACK_HEADERS fields (rare; kept out
/// of line so its frame does not deepen the common path).
#[inline(never)]
fn scan_large(buf: &[u8], limits: &Limits) -> Result<Option<Layout>, ParseError> {
    let mut heap = Vec::new();
    heap.resize_with(limits.max_headers, MaybeUninit::uninit);
    scan_with(buf, limits, &mut Vec::new(), &mut heap[..])
}

fn scan_with<'b>(
    buf: &'b [u8],
    limits: &Limits,
    fields: &mut Vec<Field>,
    storage: &mut [MaybeUninit<httparse::Header<'b>>],
) -> Result<Option<Layout>, ParseError> {
    let mut req = httparse::Request::new(&mut []);
    let status = req
        .parse_with_uninit_headers(buf, storage)
        .map_err(|e| map_error(e, buf))?;
    let httparse::Status::Complete(used) = status else {
        let line = &buf[skip_empty_lines(buf)..];
        check_request_line(line, limits)?;
        // The head so far fills `buf`; if it has reached the limit without
        // ending, it can only end beyond it.
        if buf.len() >= limits.max_head_len {
            return Err(ParseError::HeadTooLarge);
        }
        return Ok(None);
    };
    let offset = |s: &[u8]| s.as_ptr() as usize - buf.as_ptr() as usize;
    let range = |s: &[u8]| offset(s)..offset(s) + s.len();
    // httparse fills every field on `Complete`; the defaults are unreachable.
    let method = range(req.method.unwrap_or_default().as_bytes());
    let target = range(req.path.unwrap_or_default().as_bytes());
    // The same bounds as `check_request_line`, read off the parse: the
    // request line is `method SP target SP HTTP/1.x`, single spaces, and
    // starts where the method does (after any empty lines).
    if method.len() > MAX_METHOD_LEN {
        return Err(ParseError::MethodTooLong);
    }
    if target.end + 1 + "HTTP/1.1".len() - method.start > limits.max_request_line {
        return Err(ParseError::UriTooLong);
    }
    if used > limits.max_head_len {
        return Err(ParseError::HeadTooLarge);
    }
    let version = if req.version == Some(0) {
        Version::Http10
    } else {
        Version::Http11
    };
    let (mut hosts, mut framing_fields) = (0, false);
    fields.reserve(req.headers.len());
    for h in req.headers.iter() {
        match special_field(h.name.as_bytes()) {
            Special::Host => hosts += 1,
            Special::Framing => framing_fields = true,
            Special::No => {}
        }
        fields.push(Field {
            name: range(h.name.as_bytes()),
            value: range(h.value),
        });
    }
    Ok(Some(Layout {
        used,
        method,
        target,
        version,
        // Taken only now: an incomplete head leaves the caller's index
        // (and its capacity) where it was.
        fields: std::mem::take(fields),
        hosts,
        framing_fields,
    }))
}

/// What a field name means to the parser itself.
enum Special {
    Host,
    /// `Content-Length`, `Transfer-Encoding`, `Connection` or `Expect`.
    Framing,
    No,
}

/// Classifies a field name, by length first so most names cost no
/// comparison.
fn special_field(name: &[u8]) -> Special {
    let is = |n: &[u8]| name.eq_ignore_ascii_case(n);
    match name.len() {
        4 if is(b"host") => Special::Host,
        6 if is(b"expect") => Special::Framing,
        10 if is(b"connection") => Special::Framing,
        14 if is(b"content-length") => Special::Framing,
        17 if is(b"transfer-encoding") => Special::Framing,
        _ => Special::No,
    }
}

/// Bounds the method and the request line of a head still arriving, so
/// neither can grow without limit (`scan` checks a complete head's from
/// the parse, with the same results).
fn check_request_line(line: &[u8], limits: &Limits) -> Result<(), ParseError> {
    // RFC 9112 §3: "A server that receives a method longer than any that it
    // implements SHOULD respond with a 501 (Not Implemented) status code."
    let method_window = &line[..line.len().min(MAX_METHOD_LEN + 1)];
    if line.len() > MAX_METHOD_LEN && !method_window.contains(&b' ') {
        return Err(ParseError::MethodTooLong);
    }
    // RFC 9112 §3: "A server that receives a request-target longer than any
    // URI it wishes to parse MUST respond with a 414 (URI Too Long)".
    let max = limits.max_request_line;
    let window = &line[..line.len().min(max + 2)];
    let too_long = match window.iter().position(|&b| b == b'\n') {
        Some(i) => i.saturating_sub(usize::from(i > 0 && line[i - 1] == b'\r')) > max,
        None => line.len() > max + 1,
    };
    if too_long {
        return Err(ParseError::UriTooLong);
    }
    Ok(())
}

/// Maps httparse's error, telling an unsupported version (505) from a
/// malformed one (400) by looking at the third element of the request line.
fn map_error(e: httparse::Error, buf: &[u8]) -> ParseError {
    match e {
        httparse::Error::TooManyHeaders => ParseError::TooManyHeaders,
        httparse::Error::HeaderName | httparse::Error::HeaderValue => ParseError::InvalidHeader,
        httparse::Error::NewLine => ParseError::InvalidNewline,
        httparse::Error::Version => {
            // RFC 9112 §2.3: HTTP-version = HTTP-name "/" DIGIT "." DIGIT.
            let line = &buf[skip_empty_lines(buf)..];
            let mut parts = line.splitn(3, |&b| b == b' ');
            match parts.nth(2) {
                Some([b'H', b'T', b'T', b'P', b'/', d, ..]) if d.is_ascii_digit() => {
                    ParseError::UnsupportedVersion
                }
                _ => ParseError::InvalidRequestLine,
            }
        }
        _ => ParseError::InvalidRequestLine,
    }
}

/// The number of CRLF or LF empty lines before the request line.
fn skip_empty_lines(buf: &[u8]) -> usize {
    let mut i = 0;
    loop {
        match &buf[i..] {
            [b'\r', b'\n', ..] => i += 2,
            [b'\n', ..] => i += 1,
            _ => return i,
        }
    }
}

/// Splits a target into path and query ranges, offset by `base`.
fn split_target(target: &[u8], base: usize) -> (Range<usize>, Option<Range<usize>>) {
    // absolute-form (RFC 9112 §3.2.2): skip "scheme://authority".
    let mut start = 0;
    if target.first() != Some(&b'/') {
        if let Some(i) = target.windows(3).position(|w| w == b"://") {
            let after = i + 3;
            let end = target[after..]
                .iter()
                .position(|&b| b == b'/' || b == b'?')
                .map_or(target.len(), |p| after + p);
            start = end;
        }
    }
    let q = target[start..]
        .iter()
        .position(|&b| b == b'?')
        .map(|p| start + p);
    let path_end = q.unwrap_or(target.len());
    let query = q.map(|q| base + q + 1..base + target.len());
    (base + start..base + path_end, query)
}
