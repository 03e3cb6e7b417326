//! One decoder for every request body framing, so the I/O layer reads and
//! drains bodies the same way whatever the framing.

use std::ops::Range;

use super::{BodyKind, ChunkedDecoder, Limits, ParseError};

/// Extracts a request body from the bytes that follow its head.
///
/// Sans-I/O: [`decode`](Self::decode) is given whatever bytes are buffered
/// and says how many it used and which of them are body data. Every byte the
/// decoder does not consume belongs to the next request, which is what keeps
/// an unread body from being parsed as a second request: the server must
/// drive the decoder to [`is_done`](Self::is_done) (draining) or close the
/// connection before it parses another head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BodyDecoder {
    /// No body; done from the start.
    Empty,
    /// A `Content-Length` body with this many bytes still to come.
    Length(u64),
    /// A chunked body.
    Chunked(ChunkedDecoder),
}

/// The result of one [`BodyDecoder::decode`] call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// How many bytes of the input were used (framing and data); drop them
    /// from the front of the buffer.
    pub consumed: usize,
    /// Where the body data lies in the input, always within
    /// `..consumed`. Empty when this call found no data.
    pub data: Range<usize>,
    /// Whether the body is complete. Bytes after `consumed` are the next
    /// request's.
    pub done: bool,
}

impl Decoded {
    /// Whether the decoder needs more input: not done and nothing to hand
    /// out. Every input byte was then consumed.
    pub fn needs_more(&self) -> bool {
        !self.done && self.data.is_empty()
    }
}

impl BodyDecoder {
    /// The decoder for a body framed as `kind`, enforcing
    /// `limits.max_body_len` on chunked bodies (a `Content-Length` over it
    /// was already refused by [`RequestHead::parse`](super::RequestHead::parse))
    /// and `limits.max_head_len` on their trailer section.
    pub fn new(kind: BodyKind, limits: &Limits) -> BodyDecoder {
        match kind {
            BodyKind::Empty | BodyKind::Length(0) => BodyDecoder::Empty,
            BodyKind::Length(n) => BodyDecoder::Length(n),
            BodyKind::Chunked => BodyDecoder::Chunked(ChunkedDecoder::new(
                limits.max_body_len,
                limits.max_head_len,
            )),
        }
    }

    /// Decodes the next piece of body from `input`.
    ///
    /// Each call returns at most one contiguous run of data. Call it again
    /// on the rest of the input while `data` is non-empty and `done` is
    /// false; when [`Decoded::needs_more`] is true, read more bytes first.
    /// Once done, further calls consume nothing and report done.
    ///
    /// # Errors
    ///
    /// For chunked bodies: a malformed chunk size or missing CRLF (400), a
    /// body over the limit ([`ParseError::BodyTooLarge`], 413) or oversized
    /// trailers (431). The connection must then be closed: the position of
    /// the next request is unknown.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenline::http::proto::{BodyDecoder, BodyKind, Limits};
    /// let mut body = BodyDecoder::new(BodyKind::Chunked, &Limits::default());
    /// let input = b"5;ext=1\r\nhello\r\n0\r\nTrailer: x\r\n\r\nGET";
    /// let d = body.decode(input).unwrap();
    /// assert_eq!(&input[d.data.clone()], b"hello");
    /// let rest = &input[d.consumed..];
    /// let d = body.decode(rest).unwrap();
    /// assert!(d.done);
    /// assert_eq!(&rest[d.consumed..], b"GET");
    /// ```
    pub fn decode(&mut self, input: &[u8]) -> Result<Decoded, ParseError> {
        match self {
            BodyDecoder::Empty => Ok(Decoded {
                consumed: 0,
                data: 0..0,
                done: true,
            }),
            BodyDecoder::Length(remaining) => {
                // At most `input.len()`, so the cast cannot truncate.
                let n = (*remaining).min(input.len() as u64) as usize;
                *remaining -= n as u64;
                let done = *remaining == 0;
                if done {
                    *self = BodyDecoder::Empty;
                }
                Ok(Decoded {
                    consumed: n,
                    data: 0..n,
                    done,
                })
            }
            BodyDecoder::Chunked(chunked) => {
                let step = chunked.decode(input)?;
                Ok(Decoded {
                    consumed: step.consumed,
                    data: step.data,
                    done: step.done,
                })
            }
        }
    }

    /// Whether the whole body has been decoded.
    #[inline]
    pub fn is_done(&self) -> bool {
        match self {
            BodyDecoder::Empty => true,
            BodyDecoder::Length(n) => *n == 0,
            BodyDecoder::Chunked(chunked) => chunked.is_done(),
        }
    }
}
