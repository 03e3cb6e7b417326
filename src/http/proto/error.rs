//! The errors of request parsing and response encoding.
//!
//! Every [`ParseError`] names the status code to answer with
//! ([`ParseError::status`]). After any of them the connection's framing is
//! unknown or untrusted, so the server sends that status with
//! `Connection: close` and then closes: it never parses the rest of the
//! buffer as another request.

use std::fmt;

/// Why a request head or body could not be parsed.
///
/// Returned by [`RequestHead::parse`](super::RequestHead::parse) and
/// [`BodyDecoder::decode`](super::BodyDecoder::decode). Each variant maps to
/// the 4xx/5xx status a server should send, see [`ParseError::status`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseError {
    /// The request line is malformed: a method that is not a token, a bad
    /// byte in the target, or a version that is not `HTTP/<digit>.<digit>`.
    /// Status 400.
    InvalidRequestLine,
    /// A header field name or value holds a byte the grammar forbids
    /// (including whitespace before the colon and obs-fold). Status 400.
    InvalidHeader,
    /// A line ended in a bare CR, or CR was followed by something other than
    /// LF. Status 400.
    InvalidNewline,
    /// The method is longer than any method this server implements
    /// (32 bytes). Status 501, as RFC 9112 §3 recommends.
    MethodTooLong,
    /// The request line is longer than [`Limits::max_request_line`](super::Limits).
    /// Status 414.
    UriTooLong,
    /// More header fields than [`Limits::max_headers`](super::Limits).
    /// Status 431.
    TooManyHeaders,
    /// The head did not end within [`Limits::max_head_len`](super::Limits)
    /// bytes. Status 431.
    HeadTooLarge,
    /// The version is well formed but neither HTTP/1.0 nor HTTP/1.1
    /// (for example `HTTP/2.0`). Status 505.
    UnsupportedVersion,
    /// An HTTP/1.1 request without a `Host` header field. Status 400.
    MissingHost,
    /// More than one `Host` field line. Status 400.
    DuplicateHost,
    /// A `Content-Length` that is not a decimal number, overflows `u64`, or
    /// has differing values. Status 400.
    InvalidContentLength,
    /// Both `Transfer-Encoding` and `Content-Length` are present: a request
    /// smuggling vector. Status 400.
    ContentLengthWithTransferEncoding,
    /// `Transfer-Encoding` is present but `chunked` is not its final coding
    /// (or is applied twice), so the body length cannot be determined.
    /// Status 400.
    ChunkedNotFinal,
    /// `Transfer-Encoding` in an HTTP/1.0 request, whose framing is then
    /// faulty by definition. Status 400.
    TransferEncodingInHttp10,
    /// A transfer coding other than `chunked` (for example `gzip, chunked`):
    /// greenline decodes no other coding. Status 501.
    UnsupportedTransferCoding,
    /// The body is larger than [`Limits::max_body_len`](super::Limits),
    /// known up front from `Content-Length` or found while decoding chunks.
    /// Status 413.
    BodyTooLarge,
    /// A chunk-size line that does not start with a hex digit or holds a
    /// byte that is not allowed there. Status 400.
    InvalidChunkSize,
    /// A chunk size that does not fit in 64 bits. Status 400.
    ChunkSizeOverflow,
    /// A chunk-size line (size plus extensions) over 4 KiB. Status 400.
    ChunkLineTooLong,
    /// The CRLF after a chunk-size line or after chunk data is missing.
    /// Status 400.
    MissingChunkCrlf,
    /// A trailer line ended in a bare LF or CR. Status 400.
    InvalidTrailer,
    /// The trailer section is larger than
    /// [`Limits::max_head_len`](super::Limits). Status 431.
    TrailersTooLarge,
}

impl ParseError {
    /// The status code a server should answer with before closing.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenline::http::proto::ParseError;
    /// assert_eq!(ParseError::UriTooLong.status(), 414);
    /// ```
    pub fn status(&self) -> u16 {
        use ParseError::*;
        match self {
            InvalidRequestLine
            | InvalidHeader
            | InvalidNewline
            | MissingHost
            | DuplicateHost
            | InvalidContentLength
            | ContentLengthWithTransferEncoding
            | ChunkedNotFinal
            | TransferEncodingInHttp10
            | InvalidChunkSize
            | ChunkSizeOverflow
            | ChunkLineTooLong
            | MissingChunkCrlf
            | InvalidTrailer => 400,
            BodyTooLarge => 413,
            UriTooLong => 414,
            TooManyHeaders | HeadTooLarge | TrailersTooLarge => 431,
            MethodTooLong | UnsupportedTransferCoding => 501,
            UnsupportedVersion => 505,
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ParseError::*;
        f.write_str(match self {
            InvalidRequestLine => "invalid request line",
            InvalidHeader => "invalid header field",
            InvalidNewline => "invalid line ending",
            MethodTooLong => "method too long",
            UriTooLong => "request line too long",
            TooManyHeaders => "too many header fields",
            HeadTooLarge => "request head too large",
            UnsupportedVersion => "unsupported http version",
            MissingHost => "missing host header",
            DuplicateHost => "more than one host header",
            InvalidContentLength => "invalid content-length",
            ContentLengthWithTransferEncoding => "both content-length and transfer-encoding",
            ChunkedNotFinal => "chunked is not the final transfer coding",
            TransferEncodingInHttp10 => "transfer-encoding in an http/1.0 request",
            UnsupportedTransferCoding => "unsupported transfer coding",
            BodyTooLarge => "request body too large",
            InvalidChunkSize => "invalid chunk size",
            ChunkSizeOverflow => "chunk size overflows",
            ChunkLineTooLong => "chunk size line too long",
            MissingChunkCrlf => "missing crlf in chunked body",
            InvalidTrailer => "invalid trailer line",
            TrailersTooLarge => "trailer section too large",
        })
    }
}

impl std::error::Error for ParseError {}

/// Why a response head could not be built.
///
/// Returned by the [`ResponseHead`](super::ResponseHead) builders; nothing
/// invalid is ever stored, so encoding itself cannot fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EncodeError {
    /// The status code is not three digits (100..=999).
    InvalidStatus(u16),
    /// A header field name that is empty or not a token.
    InvalidHeaderName,
    /// A header field value holding CR, LF, NUL or another control byte:
    /// writing it would let the value inject lines into the response.
    InvalidHeaderValue,
    /// A reason phrase holding CR, LF or another control byte.
    InvalidReason,
    /// `Content-Length`, `Transfer-Encoding` or `Connection`: the encoder
    /// writes these itself from its framing arguments.
    ReservedHeader,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::InvalidStatus(code) => write!(f, "invalid status code {code}"),
            EncodeError::InvalidHeaderName => f.write_str("invalid header name"),
            EncodeError::InvalidHeaderValue => f.write_str("invalid header value"),
            EncodeError::InvalidReason => f.write_str("invalid reason phrase"),
            EncodeError::ReservedHeader => {
                f.write_str("framing header is set by the encoder, not the caller")
            }
        }
    }
}

impl std::error::Error for EncodeError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_lowercase() {
        let all = [
            ParseError::InvalidRequestLine,
            ParseError::UnsupportedVersion,
            ParseError::ContentLengthWithTransferEncoding,
            ParseError::TransferEncodingInHttp10,
        ];
        for e in all {
            let s = e.to_string();
            assert_eq!(s, s.to_lowercase());
        }
        assert_eq!(
            EncodeError::InvalidStatus(42).to_string(),
            "invalid status code 42"
        );
    }
}
