//! Encoding a response head (RFC 9112 §4, §6) into a caller's buffer.

use std::borrow::Cow;

use bytes::{BufMut, BytesMut};

use super::date::{format_http_date, HTTP_DATE_LEN};
use super::framing::trim;
use super::status::status_line;
use super::{reason_phrase, EncodeError, Version};

/// The interim response a server writes when a request
/// [expects 100-continue](super::RequestHead::expects_continue) and the
/// body is wanted.
pub const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// How a response body is delimited; chosen by the caller, or by
/// [`Framing::choose`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// `Content-Length: n`, then exactly `n` body bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`, then [`write_chunk`](super::write_chunk)s
    /// and a [`write_last_chunk`](super::write_last_chunk). HTTP/1.1 only.
    Chunked,
    /// No length: the body ends when the server closes the connection
    /// (RFC 9112 §6.3 rule 8). Forces `Connection: close`.
    Close,
    /// No body and no framing header: for responses that cannot have a body
    /// (see [`body_allowed`]) and whose length is not advertised. Used with a
    /// status that allows a body, outside HEAD, it would leave the client
    /// reading until close: send `Length(0)` for an empty body instead.
    None,
}

impl Framing {
    /// The framing a server should use for a response of `status` to a
    /// request of `version`, whose body length is `len` if known.
    ///
    /// Known length: `Length`. Unknown: `Chunked` for HTTP/1.1 and `Close`
    /// for HTTP/1.0, which has no chunked coding. Without a body (HEAD,
    /// 1xx, 204, 304): `None`, except that a HEAD response may advertise
    /// the length a GET would have (RFC 9110 §9.3.2), so `Length(n)` then.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenline::http::proto::{Framing, Version};
    /// assert_eq!(Framing::choose(Version::Http11, false, 200, None), Framing::Chunked);
    /// assert_eq!(Framing::choose(Version::Http10, false, 200, None), Framing::Close);
    /// assert_eq!(Framing::choose(Version::Http11, false, 204, Some(3)), Framing::None);
    /// ```
    pub fn choose(
        version: Version,
        method_is_head: bool,
        status: u16,
        len: Option<u64>,
    ) -> Framing {
        if !body_allowed(method_is_head, status) {
            return match len {
                Some(n) if method_is_head => Framing::Length(n),
                _ => Framing::None,
            };
        }
        match (len, version) {
            (Some(n), _) => Framing::Length(n),
            (None, Version::Http11) => Framing::Chunked,
            (None, Version::Http10) => Framing::Close,
        }
    }
}

/// Whether body bytes may follow a response head.
///
/// RFC 9112 §6.3: "Any response to a HEAD request and any response with a
/// 1xx (Informational), 204 (No Content), or 304 (Not Modified) status code
/// is always terminated by the first empty line after the header fields,
/// regardless of the header fields present in the message, and thus cannot
/// contain a message body". The server must write no body bytes when this
/// is false, whatever the handler produced.
pub fn body_allowed(method_is_head: bool, status: u16) -> bool {
    !(method_is_head || no_framing_headers(status))
}

/// RFC 9110 §8.6: "A server MUST NOT send a Content-Length header field in
/// any response with a status code of 1xx (Informational) or 204 (No
/// Content)"; for 304 we send none rather than risk a wrong one.
fn no_framing_headers(status: u16) -> bool {
    (100..200).contains(&status) || status == 204 || status == 304
}

/// A response's status line and header fields, ready to encode.
///
/// Fields are validated as they are added and kept pre-serialized, so any
/// number of them costs one buffer. `Date` and `Server: greenline` are
/// added at encode time unless set; `Content-Length`, `Transfer-Encoding`
/// and `Connection: close` come from [`encode`](Self::encode)'s arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseHead {
    status: u16,
    /// A caller's reason phrase; `None` uses [`reason_phrase`].
    reason: Option<String>,
    /// Serialized `name: value\r\n` lines, in insertion order; borrowed
    /// while they are a constant (`Response::text`'s `Content-Type`), so
    /// such a head allocates nothing until a field is added.
    fields: Cow<'static, [u8]>,
    has_date: bool,
    has_server: bool,
    /// The caller sent `Connection: close` itself.
    closes: bool,
}

impl ResponseHead {
    /// A head with this status and no fields.
    ///
    /// # Errors
    ///
    /// [`EncodeError::InvalidStatus`] unless `status` is three digits.
    #[inline]
    pub fn new(status: u16) -> Result<ResponseHead, EncodeError> {
        if !(100..=999).contains(&status) {
            return Err(EncodeError::InvalidStatus(status));
        }
        Ok(ResponseHead {
            status,
            reason: None,
            fields: Cow::Borrowed(&[]),
            has_date: false,
            has_server: false,
            closes: false,
        })
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The reason phrase set with [`set_reason`](Self::set_reason), if
    /// any; `None` sends the standard one ([`reason_phrase`]).
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }

    /// The header fields added so far, as they will be written: one
    /// `name: value\r\n` line each, in order. Without the lines
    /// [`encode`](Self::encode) adds itself (`Date` and `Server` unless
    /// set, and the framing).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenline::http::proto::ResponseHead;
    /// let mut head = ResponseHead::new(200).unwrap();
    /// head.header("Content-Type", "text/plain").unwrap();
    /// assert_eq!(head.field_lines(), b"Content-Type: text/plain\r\n");
    /// ```
    pub fn field_lines(&self) -> &[u8] {
        &self.fields
    }

    /// Replaces the standard reason phrase, e.g. `200 Fine`.
    ///
    /// # Errors
    ///
    /// [`EncodeError::InvalidReason`] if it holds a control byte other than
    /// HTAB (`reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )`).
    pub fn set_reason(&mut self, reason: &str) -> Result<&mut Self, EncodeError> {
        if !reason.bytes().all(field_byte) {
            return Err(EncodeError::InvalidReason);
        }
        self.reason = Some(reason.to_owned());
        Ok(self)
    }

    /// Appends a header field; repeats are kept as separate lines.
    /// Surrounding whitespace of the value is removed.
    ///
    /// # Errors
    ///
    /// [`EncodeError::InvalidHeaderName`] if `name` is not a token,
    /// [`EncodeError::InvalidHeaderValue`] if `value` holds CR, LF, NUL or
    /// another control byte but HTAB (the header-injection guard),
    /// [`EncodeError::ReservedHeader`] for `Content-Length` and
    /// `Transfer-Encoding`, which come from the [`Framing`]. Nothing is
    /// added on error.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenline::http::proto::{EncodeError, ResponseHead};
    /// let mut head = ResponseHead::new(200).unwrap();
    /// head.header("Content-Type", "text/plain").unwrap();
    /// assert_eq!(head.header("X", "a\r\nSet-Cookie: b").unwrap_err(), EncodeError::InvalidHeaderValue);
    /// ```
    pub fn header(
        &mut self,
        name: &str,
        value: impl AsRef<[u8]>,
    ) -> Result<&mut Self, EncodeError> {
        let value = trim(value.as_ref());
        if name.is_empty() || !name.bytes().all(token_byte) {
            return Err(EncodeError::InvalidHeaderName);
        }
        if !value.iter().copied().all(field_byte) {
            return Err(EncodeError::InvalidHeaderValue);
        }
        // The names the server treats specially, told apart by length first
        // so a typical field costs one comparison at most.
        let is = |n: &str| name.eq_ignore_ascii_case(n);
        match name.len() {
            14 if is("content-length") => return Err(EncodeError::ReservedHeader),
            17 if is("transfer-encoding") => return Err(EncodeError::ReservedHeader),
            4 if is("date") => self.has_date = true,
            6 if is("server") => self.has_server = true,
            10 if is("connection") => {
                self.closes |= value
                    .split(|&b| b == b',')
                    .any(|t| trim(t).eq_ignore_ascii_case(b"close"));
            }
            _ => {}
        }
        let fields = self.fields.to_mut();
        fields.reserve(name.len() + value.len() + 4);
        fields.extend_from_slice(name.as_bytes());
        fields.extend_from_slice(b": ");
        fields.extend_from_slice(value);
        fields.extend_from_slice(b"\r\n");
        Ok(self)
    }

    /// A head with this status whose fields are `lines`, serialized
    /// `name: value\r\n` lines that [`header`](Self::header) would accept
    /// and that set none of the fields it remembers (`Date`, `Server`,
    /// `Connection`). Nothing is validated or copied: for the constants of
    /// [`Response::text`](crate::http::Response::text) and its kin.
    #[inline]
    pub(crate) fn with_static_fields(
        status: u16,
        lines: &'static [u8],
    ) -> Result<ResponseHead, EncodeError> {
        let mut head = ResponseHead::new(status)?;
        head.fields = Cow::Borrowed(lines);
        Ok(head)
    }

    /// Writes the status line, the fields and the framing headers, ending
    /// with the empty line, and returns whether the connection persists.
    ///
    /// `keep_alive` is the server's wish (usually
    /// [`RequestHead::keep_alive`](super::RequestHead::keep_alive)); it is
    /// overridden to false by [`Framing::Close`] or a caller-set
    /// `Connection: close`, and `Connection: close` is then written.
    /// `version` is the request's: an HTTP/1.0 client that keeps the
    /// connection is told so with `Connection: keep-alive`. For 1xx, 204 and
    /// 304 no `Content-Length`/`Transfer-Encoding` is written. The status
    /// line always says HTTP/1.1 (RFC 9110 §6.2: a server sends its own
    /// highest conformant version). Unless the caller set a `Date` field,
    /// `date` is written as it (an IMF-fixdate, such as
    /// [`format_http_date`] makes: the encoder reads no clock).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenline::http::proto::{format_http_date, Framing, ResponseHead, Version};
    /// let mut out = bytes::BytesMut::new();
    /// let head = ResponseHead::new(404).unwrap();
    /// let date = format_http_date(784_111_777);
    /// let persists = head.encode(Framing::Length(0), false, Version::Http11, &date, &mut out);
    /// assert!(!persists);
    /// assert_eq!(
    ///     &out[..],
    ///     b"HTTP/1.1 404 Not Found\r\nServer: greenline\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
    ///       Content-Length: 0\r\nConnection: close\r\n\r\n"
    /// );
    /// ```
    pub fn encode(
        &self,
        framing: Framing,
        keep_alive: bool,
        version: Version,
        date: &[u8; HTTP_DATE_LEN],
        out: &mut BytesMut,
    ) -> bool {
        self.encode_parts(framing, keep_alive, version, date, out).0
    }

    /// [`encode`](Self::encode) through a connection's [`HeadCache`], the
    /// `Date` showing `now` (seconds since the epoch): a head that encodes
    /// to the same bytes as the last one (same status, fields, framing and
    /// persistence, in the same second) is copied from the cache whole
    /// instead of assembled part by part.
    pub(crate) fn encode_cached(
        &self,
        framing: Framing,
        keep_alive: bool,
        version: Version,
        now: u64,
        out: &mut BytesMut,
        cache: &mut HeadCache,
    ) -> bool {
        let key = CacheKey {
            secs: now,
            status: self.status,
            framing,
            keep_alive,
            version,
            has_date: self.has_date,
            has_server: self.has_server,
            closes: self.closes,
        };
        if self.reason.is_none() && cache.key == Some(key) && cache.fields() == &self.fields[..] {
            out.extend_from_slice(cache.bytes());
            return cache.persists;
        }
        let start = out.len();
        let date = cache.date(now);
        let (persists, fields_at) = self.encode_parts(framing, keep_alive, version, &date, out);
        let encoded = &out[start..];
        cache.key = None;
        if self.reason.is_none() && encoded.len() <= cache.bytes.len() {
            cache.bytes[..encoded.len()].copy_from_slice(encoded);
            cache.len = encoded.len() as u16;
            cache.fields_at = (fields_at - start) as u16;
            cache.fields_len = self.fields.len() as u16;
            cache.persists = persists;
            cache.key = Some(key);
        }
        persists
    }

    /// `encode`, also returning where in `out` the fields were written.
    fn encode_parts(
        &self,
        framing: Framing,
        keep_alive: bool,
        version: Version,
        date: &[u8; HTTP_DATE_LEN],
        out: &mut BytesMut,
    ) -> (bool, usize) {
        // The parts are appended whole (a table's status line, fixed-size
        // arrays): each append costs a capacity check and a copy, and this
        // runs per response.
        let standard = match self.reason {
            None => status_line(self.status),
            Some(_) => None,
        };
        if let Some(line) = standard {
            out.reserve(self.fields.len() + line.len() + 128);
            out.put_slice(line);
        } else {
            let reason = match &self.reason {
                Some(r) => r.as_str(),
                None => reason_phrase(self.status).unwrap_or(""),
            };
            out.reserve(self.fields.len() + reason.len() + 128);
            let s = self.status;
            let mut start = *b"HTTP/1.1 000 ";
            start[9] = b'0' + (s / 100) as u8;
            start[10] = b'0' + (s / 10 % 10) as u8;
            start[11] = b'0' + (s % 10) as u8;
            out.put_slice(&start);
            out.put_slice(reason.as_bytes());
            out.put_slice(b"\r\n");
        }
        match (self.has_server, self.has_date) {
            (false, false) => {
                let mut lines = *SERVER_DATE;
                lines[DATE_AT..DATE_AT + HTTP_DATE_LEN].copy_from_slice(date);
                out.put_slice(&lines);
            }
            (false, true) => out.put_slice(SERVER),
            (true, false) => {
                let mut line = *DATE;
                line[6..6 + HTTP_DATE_LEN].copy_from_slice(date);
                out.put_slice(&line);
            }
            (true, true) => {}
        }
        let fields_at = out.len();
        out.put_slice(&self.fields);
        if !no_framing_headers(self.status) {
            match framing {
                Framing::Length(n) => put_content_length(n, out),
                Framing::Chunked => out.put_slice(b"Transfer-Encoding: chunked\r\n"),
                Framing::Close | Framing::None => {}
            }
        }
        let persists = keep_alive && framing != Framing::Close && !self.closes;
        if !persists && !self.closes {
            out.put_slice(b"Connection: close\r\n");
        } else if persists && version == Version::Http10 {
            out.put_slice(b"Connection: keep-alive\r\n");
        }
        out.put_slice(b"\r\n");
        (persists, fields_at)
    }
}

/// Longest response head a [`HeadCache`] keeps; a longer one is encoded
/// every time.
const HEAD_CACHE_LEN: usize = 256;

/// The last response head a connection encoded, as bytes, and what it was
/// encoded from. A server answering the same kind of request again and
/// again (a health check, a benchmark, an API whose responses differ only
/// in body) sends the same head every time within a second; copying it
/// whole costs a fifth of assembling it. Lives on the connection's stack,
/// not kept while the connection is idle in the server's lot.
pub(crate) struct HeadCache {
    /// The last second formatted for a `Date` line, and its text: formatted
    /// once per second the connection answers in.
    date: Option<(u64, [u8; HTTP_DATE_LEN])>,
    /// What the bytes were encoded from; `None`: nothing cached.
    key: Option<CacheKey>,
    /// The fields part of the key is the bytes at `fields_at`.
    fields_at: u16,
    fields_len: u16,
    len: u16,
    persists: bool,
    bytes: [u8; HEAD_CACHE_LEN],
}

/// Everything besides the fields that a head's bytes depend on (its
/// reason phrase is the standard one, or it is not cached).
#[derive(Clone, Copy, PartialEq, Eq)]
struct CacheKey {
    /// The second the `Date` line shows.
    secs: u64,
    status: u16,
    framing: Framing,
    keep_alive: bool,
    version: Version,
    has_date: bool,
    has_server: bool,
    closes: bool,
}

impl HeadCache {
    pub(crate) fn new() -> HeadCache {
        HeadCache {
            date: None,
            key: None,
            fields_at: 0,
            fields_len: 0,
            len: 0,
            persists: false,
            bytes: [0; HEAD_CACHE_LEN],
        }
    }

    /// `now` as an IMF-fixdate, formatted only when the second changed.
    fn date(&mut self, now: u64) -> [u8; HTTP_DATE_LEN] {
        match self.date {
            Some((secs, text)) if secs == now => text,
            _ => {
                let text = format_http_date(now);
                self.date = Some((now, text));
                text
            }
        }
    }

    fn bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    fn fields(&self) -> &[u8] {
        let at = usize::from(self.fields_at);
        &self.bytes[at..at + usize::from(self.fields_len)]
    }
}

/// `Server: greenline` and an empty `Date` line, which `encode` fills in.
const SERVER_DATE: &[u8; 19 + 8 + HTTP_DATE_LEN] =
    b"Server: greenline\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\n";
/// Where the date goes in `SERVER_DATE`.
const DATE_AT: usize = 19 + 6;
const SERVER: &[u8] = b"Server: greenline\r\n";
const DATE: &[u8; 8 + HTTP_DATE_LEN] = b"Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n";

/// Appends the `Content-Length: n` line, `n` in decimal without going
/// through `fmt` (which would allocate a `String` per response).
fn put_content_length(mut n: u64, out: &mut BytesMut) {
    const NAME: &[u8] = b"Content-Length: ";
    // The name, up to 20 digits, CRLF: the digits are written backwards
    // from the end, then the name before them.
    let mut line = [0u8; 16 + 20 + 2];
    let end = line.len() - 2;
    line[end..].copy_from_slice(b"\r\n");
    let mut i = end;
    loop {
        i -= 1;
        line[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    i -= NAME.len();
    line[i..i + NAME.len()].copy_from_slice(NAME);
    out.put_slice(&line[i..]);
}

/// tchar (RFC 9110 §5.6.2).
fn token_byte(b: u8) -> bool {
    TCHAR[usize::from(b)]
}

/// `TCHAR[b]`: whether byte `b` may appear in a token (a field name).
///
/// ```text
/// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
///         "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
/// ```
///
/// A table, because every response header name is checked byte by byte.
const TCHAR: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = (i as u8).is_ascii_alphanumeric();
        i += 1;
    }
    let symbols = b"!#$%&'*+-.^_`|~";
    let mut i = 0;
    while i < symbols.len() {
        table[symbols[i] as usize] = true;
        i += 1;
    }
    table
};

/// field-vchar / SP / HTAB, obs-text included; every other control byte is
/// refused (RFC 9110 §5.5: CR, LF and NUL "are invalid and dangerous").
fn field_byte(b: u8) -> bool {
    b == b'\t' || (b >= 0x20 && b != 0x7f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    /// Encodes with a fixed `Date` so the output is exact.
    fn encode(
        head: &mut ResponseHead,
        framing: Framing,
        keep_alive: bool,
        version: Version,
    ) -> (String, bool) {
        head.header("Date", "Thu, 01 Jan 1970 00:00:00 GMT")
            .unwrap();
        let mut out = BytesMut::new();
        let persists = head.encode(framing, keep_alive, version, &EPOCH, &mut out);
        (String::from_utf8(out.to_vec()).unwrap(), persists)
    }

    /// A `date` argument for `encode`.
    const EPOCH: [u8; HTTP_DATE_LEN] = *b"Thu, 01 Jan 1970 00:00:00 GMT";
    /// A second for `encode_cached`: Sun, 06 Nov 1994 08:49:37 GMT.
    const NOW: u64 = 784_111_777;

    const DATE: &str = "Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n";

    #[test]
    fn decimal_lengths() {
        for n in [0, 7, 10, 4096, u64::MAX] {
            let mut out = BytesMut::new();
            put_content_length(n, &mut out);
            assert_eq!(out, format!("Content-Length: {n}\r\n").as_bytes());
        }
    }

    #[test]
    fn ok_with_length() {
        let mut head = ResponseHead::new(200).unwrap();
        head.header("Content-Type", "text/plain").unwrap();
        let (text, persists) = encode(&mut head, Framing::Length(11), true, Version::Http11);
        let expected = format!(
            "HTTP/1.1 200 OK\r\nServer: greenline\r\nContent-Type: text/plain\r\n{DATE}Content-Length: 11\r\n\r\n"
        );
        assert_eq!(text, expected);
        assert!(persists);
    }

    #[rstest]
    #[case::http11_keep(
        Framing::Chunked,
        true,
        Version::Http11,
        "Transfer-Encoding: chunked\r\n",
        true
    )]
    #[case::http11_close(
        Framing::Length(0),
        false,
        Version::Http11,
        "Content-Length: 0\r\nConnection: close\r\n",
        false
    )]
    #[case::http10_keep(
        Framing::Length(1),
        true,
        Version::Http10,
        "Content-Length: 1\r\nConnection: keep-alive\r\n",
        true
    )]
    #[case::http10_close(
        Framing::Length(1),
        false,
        Version::Http10,
        "Content-Length: 1\r\nConnection: close\r\n",
        false
    )]
    #[case::close_delimited(Framing::Close, true, Version::Http10, "Connection: close\r\n", false)]
    #[case::no_body(Framing::None, true, Version::Http11, "", true)]
    fn framing_headers(
        #[case] framing: Framing,
        #[case] keep_alive: bool,
        #[case] version: Version,
        #[case] tail: &str,
        #[case] persists: bool,
    ) {
        let mut head = ResponseHead::new(200).unwrap();
        let (text, p) = encode(&mut head, framing, keep_alive, version);
        assert_eq!(
            text,
            format!("HTTP/1.1 200 OK\r\nServer: greenline\r\n{DATE}{tail}\r\n")
        );
        assert_eq!(p, persists);
    }

    #[rstest]
    #[case::no_content(204)]
    #[case::not_modified(304)]
    #[case::switching(101)]
    fn bodiless_statuses_get_no_length(#[case] status: u16) {
        let mut head = ResponseHead::new(status).unwrap();
        let (text, _) = encode(&mut head, Framing::Length(5), true, Version::Http11);
        assert!(
            !text.contains("Content-Length") && !text.contains("Transfer-Encoding"),
            "{text}"
        );
        let (text, _) = encode(&mut head, Framing::Chunked, true, Version::Http11);
        assert!(!text.contains("Transfer-Encoding"), "{text}");
    }

    #[rstest]
    #[case::get_ok(false, 200, true)]
    #[case::head_ok(true, 200, false)]
    #[case::continue_(false, 100, false)]
    #[case::no_content(false, 204, false)]
    #[case::not_modified(false, 304, false)]
    #[case::not_found(false, 404, true)]
    #[case::reset_content(false, 205, true)]
    fn body_rules(#[case] head: bool, #[case] status: u16, #[case] allowed: bool) {
        assert_eq!(body_allowed(head, status), allowed);
    }

    #[rstest]
    #[case::known(Version::Http11, false, 200, Some(3), Framing::Length(3))]
    #[case::unknown_11(Version::Http11, false, 200, None, Framing::Chunked)]
    #[case::unknown_10(Version::Http10, false, 200, None, Framing::Close)]
    #[case::head_known(Version::Http11, true, 200, Some(3), Framing::Length(3))]
    #[case::head_unknown(Version::Http10, true, 200, None, Framing::None)]
    #[case::no_content(Version::Http11, false, 204, Some(3), Framing::None)]
    #[case::not_modified(Version::Http11, false, 304, None, Framing::None)]
    fn choose(
        #[case] version: Version,
        #[case] head: bool,
        #[case] status: u16,
        #[case] len: Option<u64>,
        #[case] expected: Framing,
    ) {
        assert_eq!(Framing::choose(version, head, status, len), expected);
    }

    #[test]
    fn reason_phrases() {
        let mut head = ResponseHead::new(200).unwrap();
        head.set_reason("Fine Thanks").unwrap();
        assert!(encode(&mut head, Framing::None, true, Version::Http11)
            .0
            .starts_with("HTTP/1.1 200 Fine Thanks\r\n"));
        let mut head = ResponseHead::new(599).unwrap();
        assert!(encode(&mut head, Framing::None, true, Version::Http11)
            .0
            .starts_with("HTTP/1.1 599 \r\n"));
        assert_eq!(
            head.set_reason("a\r\nb").unwrap_err(),
            EncodeError::InvalidReason
        );
        assert_eq!(
            ResponseHead::new(99).unwrap_err(),
            EncodeError::InvalidStatus(99)
        );
        assert_eq!(
            ResponseHead::new(1000).unwrap_err(),
            EncodeError::InvalidStatus(1000)
        );
    }

    #[rstest]
    #[case::crlf_value("X", "a\r\nSet-Cookie: x", EncodeError::InvalidHeaderValue)]
    #[case::lf_value("X", "a\nb", EncodeError::InvalidHeaderValue)]
    #[case::cr_value("X", "a\rb", EncodeError::InvalidHeaderValue)]
    #[case::nul_value("X", "a\0b", EncodeError::InvalidHeaderValue)]
    #[case::del_value("X", "a\x7fb", EncodeError::InvalidHeaderValue)]
    #[case::crlf_name("X\r\nY", "v", EncodeError::InvalidHeaderName)]
    #[case::colon_name("X:", "v", EncodeError::InvalidHeaderName)]
    #[case::space_name("X Y", "v", EncodeError::InvalidHeaderName)]
    #[case::empty_name("", "v", EncodeError::InvalidHeaderName)]
    #[case::content_length("content-length", "5", EncodeError::ReservedHeader)]
    #[case::transfer_encoding("Transfer-Encoding", "chunked", EncodeError::ReservedHeader)]
    fn header_injection_refused(
        #[case] name: &str,
        #[case] value: &str,
        #[case] expected: EncodeError,
    ) {
        let mut head = ResponseHead::new(200).unwrap();
        assert_eq!(head.header(name, value).unwrap_err(), expected);
        let mut out = BytesMut::new();
        head.encode(Framing::None, true, Version::Http11, &EPOCH, &mut out);
        assert!(head.fields.is_empty(), "nothing stored");
        assert_eq!(
            out.iter().filter(|&&b| b == b'\n').count(),
            4,
            "status, server, date, end"
        );
    }

    #[test]
    fn caller_fields() {
        let mut head = ResponseHead::new(200).unwrap();
        head.header("Server", "custom").unwrap();
        head.header("Set-Cookie", "a=1")
            .unwrap()
            .header("Set-Cookie", " b=2\t")
            .unwrap();
        head.header("X-Tab", "a\tb é").unwrap();
        head.header("Connection", "close").unwrap();
        let mut out = BytesMut::new();
        let persists = head.encode(Framing::Length(0), true, Version::Http11, &EPOCH, &mut out);
        let text = String::from_utf8(out.to_vec()).unwrap();
        assert!(!persists, "a caller-set Connection: close closes");
        assert!(!text.contains("greenline"));
        assert!(text
            .contains("Server: custom\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-Tab: a\tb é\r\n"));
        assert_eq!(text.matches("Connection: close").count(), 1);
        let mut many = ResponseHead::new(200).unwrap();
        for i in 0..40 {
            many.header(&format!("X-{i}"), "v").unwrap();
        }
        assert_eq!(many.fields.iter().filter(|&&b| b == b'\n').count(), 40);
    }

    #[test]
    fn token_table_matches_the_grammar() {
        for b in 0..=255u8 {
            let tchar = b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
            assert_eq!(token_byte(b), tchar, "byte {b:#04x}");
        }
    }

    /// A run of heads, each encoded through one cache and plainly: the
    /// bytes and the persistence agree every time, whether the cache hit.
    #[test]
    fn cached_heads_encode_as_plain_ones() {
        let text = ResponseHead::with_static_fields(200, b"Content-Type: text/plain\r\n").unwrap();
        let mut custom = text.clone();
        custom.header("X-A", "1").unwrap();
        let mut other_value = text.clone();
        other_value.header("X-A", "2").unwrap();
        let mut closing = text.clone();
        closing.header("Connection", "close").unwrap();
        let mut reason = text.clone();
        reason.set_reason("Fine").unwrap();
        let mut long = ResponseHead::new(200).unwrap();
        long.header("X-Long", "v".repeat(300)).unwrap();
        let not_found =
            ResponseHead::with_static_fields(404, b"Content-Type: text/plain\r\n").unwrap();
        let runs = [
            (&text, Framing::Length(13), true, Version::Http11),
            (&text, Framing::Length(13), true, Version::Http11),
            (&text, Framing::Length(14), true, Version::Http11),
            (&text, Framing::Length(14), false, Version::Http11),
            (&text, Framing::Length(14), true, Version::Http10),
            (&text, Framing::Chunked, true, Version::Http11),
            (&custom, Framing::Chunked, true, Version::Http11),
            (&other_value, Framing::Chunked, true, Version::Http11),
            (&closing, Framing::Chunked, true, Version::Http11),
            (&closing, Framing::Chunked, true, Version::Http11),
            (&reason, Framing::Chunked, true, Version::Http11),
            (&text, Framing::Chunked, true, Version::Http11),
            (&long, Framing::Length(1), true, Version::Http11),
            (&long, Framing::Length(1), true, Version::Http11),
            (&not_found, Framing::Length(1), true, Version::Http11),
            (&text, Framing::Close, true, Version::Http10),
        ];
        let mut cache = HeadCache::new();
        for (i, (head, framing, keep, version)) in runs.into_iter().enumerate() {
            let (mut cached, mut plain) = (BytesMut::from(&b"before"[..]), BytesMut::new());
            let p1 = head.encode_cached(framing, keep, version, NOW, &mut cached, &mut cache);
            let p2 = head.encode(framing, keep, version, &format_http_date(NOW), &mut plain);
            assert_eq!(&cached[6..], &plain[..], "run {i}");
            assert_eq!(p1, p2, "run {i}");
        }
    }

    /// A hit copies the cached bytes, and a new second of `Date` does not
    /// hit, and shows the new second. (The cache's bytes are altered here
    /// to see which path ran.)
    #[test]
    fn cache_hits_only_within_the_second() {
        let head = ResponseHead::with_static_fields(200, b"Content-Type: text/plain\r\n").unwrap();
        let encode = |cache: &mut HeadCache, now: u64| {
            let mut out = BytesMut::new();
            head.encode_cached(
                Framing::Length(2),
                true,
                Version::Http11,
                now,
                &mut out,
                cache,
            );
            out
        };
        let mut cache = HeadCache::new();
        encode(&mut cache, NOW);
        // "HTTP/1.1 200 OK" becomes "HTTP/1.1 200 OX" in the cache only.
        cache.bytes[14] = b'X';
        assert!(encode(&mut cache, NOW).starts_with(b"HTTP/1.1 200 OX\r\n"));
        let next = encode(&mut cache, NOW + 1);
        assert!(next.starts_with(b"HTTP/1.1 200 OK\r\n"));
        let date = format_http_date(NOW + 1);
        assert!(next.windows(date.len()).any(|w| w == date));
    }

    #[test]
    fn continue_is_a_complete_interim_response() {
        assert_eq!(CONTINUE, b"HTTP/1.1 100 Continue\r\n\r\n");
    }
}
