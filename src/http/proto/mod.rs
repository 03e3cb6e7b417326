//! The HTTP/1.1 codec, sans-I/O: request heads and bodies in, response
//! heads and chunks out, bytes only.
//!
//! Nothing here reads or writes a socket, reads a clock or starts a
//! thread. Parsers take `&[u8]` and answer "need more" or "complete, with
//! the bytes used"; encoders append to a caller's [`bytes::BytesMut`]. The
//! server ([`crate::http`]) drives them; a fuzz target and plain byte
//! tables test them.
//!
//! ```text
//!  read into buf ─▶ RequestHead::parse_split(buf) ──None──▶ read more
//!                        │ Err(e): write e.status(), close
//!                        ▼ Some(head)
//!                   BodyDecoder::new(head.body_kind(), limits)
//!                        │ handler reads body ◀── decode(buf) / read more
//!                        ▼ handler returns
//!                   drain decoder to done (or close) ─▶ ResponseHead::encode
//!                        ▼
//!                   more bytes in buf? parse the next (pipelined) request
//! ```
//!
//! * Requests: [`RequestHead`] (with [`Headers`], [`Version`], and the
//!   framing decision [`BodyKind`]), bounded by [`Limits`]; bodies through
//!   [`BodyDecoder`] (a [`ChunkedDecoder`] for chunked ones); failures are
//!   a [`ParseError`] naming the status to answer.
//! * Responses: [`ResponseHead`], its body [`Framing`] and
//!   [`body_allowed`], [`CONTINUE`], [`write_chunk`] and
//!   [`write_last_chunk`], [`reason_phrase`], and [`format_http_date`] for
//!   the `Date` value; a bad header is an [`EncodeError`].
//!
//! # Framing rules
//!
//! The decisions that keep one request's bytes from being read as another's
//! (RFC 9112 §6.3), each implemented in the file named:
//!
//! * `Transfer-Encoding` and `Content-Length` together: 400, close
//!   (`framing.rs`). "Such a message might indicate an attempt to perform
//!   request smuggling".
//! * `Transfer-Encoding` whose final coding is not `chunked`: 400;
//!   `chunked` after another coding (`gzip, chunked`): 501, since only
//!   chunked is decoded; any `Transfer-Encoding` in HTTP/1.0: 400.
//! * `Content-Length` not `1*DIGIT`, overflowing, or with differing
//!   repeats: 400. Identical repeats (`5, 5`) are one length. Over
//!   [`Limits::max_body_len`]: 413 before any body is read.
//! * No `Content-Length` nor `Transfer-Encoding`: the body is empty.
//! * A body a handler did not read is drained by the server through the
//!   same [`BodyDecoder`] (or the connection closed), never parsed as a
//!   request.
//! * HTTP/1.1 persists unless `Connection: close`; HTTP/1.0 closes unless
//!   `Connection: keep-alive` (§9.3).
//! * Responses to HEAD and 1xx/204/304 carry no body ([`body_allowed`]).
//! * A malformed head gets its status from [`ParseError::status`]; head,
//!   request line and header count are bounded on partial input
//!   ([`Limits`]), so the read buffer never grows without limit.
//!
//! HTTP/1.1 requests must carry exactly one `Host` (RFC 9112 §3.2), else
//! 400. Versions other than 1.0 and 1.1 that are well formed
//! (`HTTP/2.0`) get 505; malformed ones 400.
#![forbid(unsafe_code)]

mod body;
mod chunked;
mod date;
mod error;
mod framing;
mod headers;
mod limits;
mod request_head;
mod response_head;
mod status;
mod version;

pub use body::{BodyDecoder, Decoded};
pub use chunked::{write_chunk, write_last_chunk, ChunkedDecoder};
pub use date::{format_http_date, HTTP_DATE_LEN};
pub use error::{EncodeError, ParseError};
pub use framing::BodyKind;
pub use headers::Headers;
pub use limits::Limits;
pub use request_head::RequestHead;
pub use response_head::{body_allowed, Framing, ResponseHead, CONTINUE};
pub use status::reason_phrase;
pub use version::Version;

// For the server's connection loop: a reusable field index, and the last
// response head encoded.
pub(crate) use headers::Field;
pub(crate) use response_head::HeadCache;

#[cfg(test)]
mod body_tests;
#[cfg(test)]
mod request_tests;
