//! The protocol version of a request (RFC 9112 §2.3).
//!
//! ```text
//! HTTP-version = HTTP-name "/" DIGIT "." DIGIT
//! ```
//!
//! Only 1.0 and 1.1 are served; a well-formed other version is refused
//! with 505 by the parser.

/// The HTTP version of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    /// `HTTP/1.0`: connections close after each exchange unless the client
    /// sends `Connection: keep-alive`.
    Http10,
    /// `HTTP/1.1`: connections persist unless either side sends
    /// `Connection: close`.
    Http11,
}
