//! Size limits that keep a connection's buffers bounded.

/// Bounds applied while parsing a request, each with the status it fails with.
///
/// Every limit is checked on partial input too, so a peer that never ends its
/// head cannot make the read buffer grow past `max_head_len`.
///
/// # Examples
///
/// ```
/// use greenline::http::proto::Limits;
/// let limits = Limits { max_body_len: 1 << 20, ..Limits::default() };
/// assert_eq!(limits.max_headers, 100);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Longest request line in bytes, CRLF excluded. Default 8 KiB, the
    /// minimum RFC 9112 §3 asks servers to support. Over it: 414.
    pub max_request_line: usize,
    /// Most header field lines in one head. Default 100. Over it: 431.
    pub max_headers: usize,
    /// Most bytes in a whole head (request line, fields and the empty line),
    /// also the cap on a chunked body's trailer section. Default 64 KiB.
    /// Over it: 431.
    pub max_head_len: usize,
    /// Largest request body in bytes, by `Content-Length` or the sum of the
    /// chunk sizes. Default 16 MiB. Over it: 413.
    pub max_body_len: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_request_line: 8 * 1024,
            max_headers: 100,
            max_head_len: 64 * 1024,
            max_body_len: 16 * 1024 * 1024,
        }
    }
}
