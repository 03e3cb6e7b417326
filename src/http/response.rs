//! The response a handler returns: status, header fields and a body.

use std::fmt;
use std::io::Read;

use bytes::Bytes;

use super::proto::{EncodeError, ResponseHead};

/// `Response::text`'s field, serialized once rather than per response.
const TEXT_PLAIN: &[u8] = b"Content-Type: text/plain; charset=utf-8\r\n";
/// `Response::html`'s field.
const TEXT_HTML: &[u8] = b"Content-Type: text/html; charset=utf-8\r\n";

/// A response built by a [`Handler`](super::Handler): gevent's
/// `start_response(status, headers)` plus the body iterable.
///
/// Built with chained calls; a bad header name or value (such as a value
/// holding CR or LF, which would inject lines into the response) is not an
/// immediate error: it is remembered, and the server sends a generic `500`
/// instead of this response and logs the reason. `Date`, `Server`,
/// `Content-Length`, `Transfer-Encoding` and `Connection` are written by the
/// server (a handler may override `Date` and `Server`; setting
/// `Content-Length` or `Transfer-Encoding` is an error).
///
/// # Examples
///
/// ```
/// use greenline::http::Response;
/// let r = Response::text(200, "hello")
///     .header("Cache-Control", "no-store")
///     .header("Set-Cookie", "a=1")
///     .header("Set-Cookie", "b=2");
/// assert_eq!(r.status(), 200);
/// assert!(r.error().is_none());
///
/// let bad = Response::new(200).header("X", "a\r\nInjected: yes");
/// assert!(bad.error().is_some()); // the server will answer 500
/// ```
pub struct Response {
    head: ResponseHead,
    /// The first builder error; the server answers 500 when set.
    error: Option<EncodeError>,
    body: Body,
}

/// A response body.
///
/// Bytes are sent with `Content-Length`. A stream is read to its end while
/// sending: chunked to HTTP/1.1 clients, delimited by closing the connection
/// to HTTP/1.0 clients, or with `Content-Length` when its length is given.
/// HEAD requests and 1xx, 204 and 304 responses get no body bytes whatever
/// the body is.
pub enum Body {
    /// No body: `Content-Length: 0` where a body is allowed.
    Empty,
    /// A body held in memory.
    Bytes(Bytes),
    /// A body read while it is sent.
    Stream {
        /// Read until it returns 0. It runs in the connection's greenlet:
        /// it must yield rather than block the thread (see the crate rules).
        reader: Box<dyn Read + Send>,
        /// The exact number of bytes it yields, if known in advance.
        len: Option<u64>,
    },
}

impl Response {
    /// A response with `status`, no header fields and an empty body.
    ///
    /// A status outside `100..=999` makes the server answer 500.
    pub fn new(status: u16) -> Response {
        Response::from_head(ResponseHead::new(status))
    }

    fn from_head(head: Result<ResponseHead, EncodeError>) -> Response {
        match head {
            Ok(head) => Response {
                head,
                error: None,
                body: Body::Empty,
            },
            Err(e) => Response {
                head: ResponseHead::new(500).expect("500 is a valid status"),
                error: Some(e),
                body: Body::Empty,
            },
        }
    }

    /// A `text/plain; charset=utf-8` response.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = greenline::http::Response::text(404, "no such page\n");
    /// assert_eq!(r.status(), 404);
    /// ```
    pub fn text(status: u16, body: impl Into<Body>) -> Response {
        Response::with_static_fields(status, TEXT_PLAIN, body.into())
    }

    /// A `text/html; charset=utf-8` response.
    pub fn html(status: u16, body: impl Into<Body>) -> Response {
        Response::with_static_fields(status, TEXT_HTML, body.into())
    }

    /// `text` and `html`: built in place, as they run once per response.
    #[inline]
    fn with_static_fields(status: u16, lines: &'static [u8], body: Body) -> Response {
        match ResponseHead::with_static_fields(status, lines) {
            Ok(head) => Response {
                head,
                error: None,
                body,
            },
            Err(e) => Response::from_head(Err(e)).body(body),
        }
    }

    /// A response whose body is read from `reader` while it is sent, its
    /// length unknown: chunked on HTTP/1.1, close-delimited on HTTP/1.0.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenline::http::Response;
    /// let r = Response::stream(200, std::io::Cursor::new(b"a long report".to_vec()))
    ///     .header("Content-Type", "text/plain");
    /// assert_eq!(r.status(), 200);
    /// ```
    pub fn stream(status: u16, reader: impl Read + Send + 'static) -> Response {
        Response::new(status).body(Body::Stream {
            reader: Box::new(reader),
            len: None,
        })
    }

    /// Appends a header field; repeats are kept as separate lines.
    ///
    /// An invalid name or value (see [`ResponseHead::header`]) makes the
    /// server send 500 instead of this response.
    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Response {
        if self.error.is_none() {
            if let Err(e) = self.head.header(name, value) {
                self.error = Some(e);
            }
        }
        self
    }

    /// Replaces the standard reason phrase (`200 Fine`).
    pub fn reason(mut self, reason: &str) -> Response {
        if self.error.is_none() {
            if let Err(e) = self.head.set_reason(reason) {
                self.error = Some(e);
            }
        }
        self
    }

    /// Replaces the body.
    pub fn body(mut self, body: impl Into<Body>) -> Response {
        self.body = body.into();
        self
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.head.status()
    }

    /// The first error made while building, if any: the server will send
    /// 500 instead of this response.
    pub fn error(&self) -> Option<EncodeError> {
        self.error
    }

    /// The generic 500 sent for a handler's panic or error: no detail
    /// reaches the client.
    pub(crate) fn internal_error() -> Response {
        Response::text(500, "Internal Server Error\n")
    }

    /// The parts the connection loop encodes.
    pub(crate) fn into_parts(self) -> (ResponseHead, Option<EncodeError>, Body) {
        (self.head, self.error, self.body)
    }

    /// The head and body, borrowed: the connection loop encodes them in
    /// place rather than moving them out.
    pub(crate) fn parts_mut(&mut self) -> (&ResponseHead, &mut Body) {
        (&self.head, &mut self.body)
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("head", &self.head)
            .field("error", &self.error)
            .field("body", &self.body)
            .finish()
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Body::Empty => f.write_str("Empty"),
            Body::Bytes(b) => f.debug_tuple("Bytes").field(&b.len()).finish(),
            Body::Stream { len, .. } => f.debug_struct("Stream").field("len", len).finish(),
        }
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Body {
        Body::Bytes(b)
    }
}

impl From<Vec<u8>> for Body {
    fn from(v: Vec<u8>) -> Body {
        Body::Bytes(Bytes::from(v))
    }
}

impl From<String> for Body {
    fn from(s: String) -> Body {
        Body::Bytes(Bytes::from(s))
    }
}

impl From<&'static str> for Body {
    fn from(s: &'static str) -> Body {
        Body::Bytes(Bytes::from_static(s.as_bytes()))
    }
}

impl From<&'static [u8]> for Body {
    fn from(s: &'static [u8]) -> Body {
        Body::Bytes(Bytes::from_static(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The constant fields are exactly what `header` would have stored.
    #[test]
    fn text_and_html_heads_equal_built_ones() {
        for (status, built, expected) in [
            (200, Response::text(200, "a"), "text/plain; charset=utf-8"),
            (404, Response::html(404, "a"), "text/html; charset=utf-8"),
        ] {
            let by_hand = Response::new(status).header("Content-Type", expected);
            assert_eq!(built.head, by_hand.head);
            assert!(built.error.is_none());
            let more = built.header("X-A", "1");
            let by_hand = by_hand.header("X-A", "1");
            assert_eq!(more.head, by_hand.head);
        }
        let bad = Response::text(42, "a");
        assert_eq!(bad.error, Some(EncodeError::InvalidStatus(42)));
        assert_eq!(bad.head, Response::new(42).head);
    }
}
