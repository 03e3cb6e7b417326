//! The chunked transfer coding (RFC 9112 §7.1): a sans-I/O decoder for
//! request bodies and the two writers for response bodies.
//!
//! ```text
//! chunked-body   = *chunk last-chunk trailer-section CRLF
//! chunk          = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//! last-chunk     = 1*("0") [ chunk-ext ] CRLF
//!
//!   Size ──hex──▶ Size ──;/SP──▶ Ext ──CR──▶ SizeLf ──LF──▶ Data ──▶ DataCr ─▶ DataLf ─┐
//!    ▲                             size 0 ──LF──▶ TrailerStart ──CR──▶ EndLf ──LF──▶ Done
//!    └──────────────────────────────────────────────────────────────────────────────────┘
//! ```
//!
//! Line endings inside the chunked framing must be CRLF: a bare LF is an
//! error here, because lenient chunk parsing is a known request-smuggling
//! vector between proxies and servers that disagree.

use std::ops::Range;

use bytes::{BufMut, BytesMut};

use super::ParseError;

/// Longest chunk-size line (size digits plus extensions) accepted.
const MAX_CHUNK_LINE: usize = 4096;

/// Decoder state for a chunked request body.
///
/// Fed the bytes that follow the head by
/// [`BodyDecoder::decode`](super::BodyDecoder::decode); it keeps no buffer,
/// only its position in the grammar, so input may be split anywhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkedDecoder {
    state: State,
    /// Sum of the chunk sizes seen so far, checked against `max_body`.
    total: u64,
    max_body: u64,
    /// Bytes of trailer section seen so far, checked against `max_trailers`.
    trailers: usize,
    max_trailers: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Reading hex digits of a chunk size; `line` counts the line's bytes.
    Size { size: u64, digits: usize, line: usize },
    /// After the size: skipping BWS and chunk extensions up to CR.
    Ext { size: u64, line: usize },
    /// Saw the CR ending the size line; LF must follow.
    SizeLf { size: u64 },
    /// Inside chunk data with this many bytes left.
    Data { remaining: u64 },
    /// Chunk data ended; CR must follow.
    DataCr,
    /// Saw CR after chunk data; LF must follow.
    DataLf,
    /// At the start of a trailer line or of the final empty line.
    TrailerStart,
    /// Inside a trailer field line, which is read and ignored.
    TrailerLine,
    /// Saw CR ending a trailer line; LF must follow.
    TrailerLf,
    /// Saw CR of the final empty line; LF must follow.
    EndLf,
    /// The body is complete; later bytes belong to the next request.
    Done,
}

/// One step of [`ChunkedDecoder::decode`].
pub(crate) struct Step {
    pub(crate) consumed: usize,
    pub(crate) data: Range<usize>,
    pub(crate) done: bool,
}

impl ChunkedDecoder {
    /// A decoder refusing bodies over `max_body` bytes (sum of chunk sizes)
    /// and trailer sections over `max_trailers` bytes.
    pub fn new(max_body: u64, max_trailers: usize) -> ChunkedDecoder {
        ChunkedDecoder {
            state: State::Size { size: 0, digits: 0, line: 0 },
            total: 0,
            max_body,
            trailers: 0,
            max_trailers,
        }
    }

    /// Whether the last chunk and the trailer section have been read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Consumes framing bytes until it reaches chunk data, returns the run
    /// of data available (one chunk's at most), or runs out of input.
    pub(crate) fn decode(&mut self, input: &[u8]) -> Result<Step, ParseError> {
        let mut i = 0;
        while i < input.len() {
            let b = input[i];
            self.state = match self.state {
                State::Data { remaining } => {
                    let n = remaining.min((input.len() - i) as u64) as usize;
                    let left = remaining - n as u64;
                    self.state = if left == 0 { State::DataCr } else { State::Data { remaining: left } };
                    return Ok(Step { consumed: i + n, data: i..i + n, done: false });
                }
                State::Size { size, digits, line } => match (b as char).to_digit(16) {
                    Some(d) => {
                        if size > u64::MAX >> 4 {
                            return Err(ParseError::ChunkSizeOverflow);
                        }
                        check_line(line)?;
                        State::Size { size: size << 4 | u64::from(d), digits: digits + 1, line: line + 1 }
                    }
                    // chunk-size = 1*HEXDIG: at least one digit first.
                    None if digits == 0 => return Err(ParseError::InvalidChunkSize),
                    // chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
                    None if matches!(b, b';' | b' ' | b'\t') => State::Ext { size, line: line + 1 },
                    None if b == b'\r' => State::SizeLf { size },
                    None => return Err(ParseError::InvalidChunkSize),
                },
                // "A recipient MUST ignore unrecognized chunk extensions": we
                // ignore them all, only bounding their length.
                State::Ext { size, line } => match b {
                    b'\r' => State::SizeLf { size },
                    b'\n' => return Err(ParseError::MissingChunkCrlf),
                    _ => {
                        check_line(line)?;
                        State::Ext { size, line: line + 1 }
                    }
                },
                State::SizeLf { size } => match b {
                    b'\n' if size == 0 => State::TrailerStart,
                    b'\n' => {
                        self.total = self.total.saturating_add(size);
                        if self.total > self.max_body {
                            return Err(ParseError::BodyTooLarge);
                        }
                        State::Data { remaining: size }
                    }
                    _ => return Err(ParseError::MissingChunkCrlf),
                },
                State::DataCr if b == b'\r' => State::DataLf,
                State::DataLf if b == b'\n' => State::Size { size: 0, digits: 0, line: 0 },
                State::DataCr | State::DataLf => return Err(ParseError::MissingChunkCrlf),
                // "A recipient that removes the chunked coding from a message
                // MAY selectively retain or discard the received trailer
                // fields": we discard them, bounding their size.
                State::TrailerStart if b == b'\r' => State::EndLf,
                State::TrailerStart | State::TrailerLine => match b {
                    b'\r' => State::TrailerLf,
                    b'\n' => return Err(ParseError::InvalidTrailer),
                    _ => {
                        self.trailers += 1;
                        if self.trailers > self.max_trailers {
                            return Err(ParseError::TrailersTooLarge);
                        }
                        State::TrailerLine
                    }
                },
                State::TrailerLf if b == b'\n' => State::TrailerStart,
                State::EndLf if b == b'\n' => {
                    self.state = State::Done;
                    return Ok(Step { consumed: i + 1, data: i + 1..i + 1, done: true });
                }
                State::TrailerLf | State::EndLf => return Err(ParseError::InvalidTrailer),
                State::Done => return Ok(Step { consumed: i, data: i..i, done: true }),
            };
            i += 1;
        }
        // Input used up inside framing (or exactly at a data boundary).
        let done = self.state == State::Done;
        Ok(Step { consumed: i, data: i..i, done })
    }
}

fn check_line(line: usize) -> Result<(), ParseError> {
    if line >= MAX_CHUNK_LINE {
        return Err(ParseError::ChunkLineTooLong);
    }
    Ok(())
}

/// Appends `data` as one chunk: size in hex, CRLF, data, CRLF.
///
/// Writes nothing for empty `data`, since a zero-size chunk would end the
/// body; end it with [`write_last_chunk`].
///
/// # Examples
///
/// ```
/// let mut out = bytes::BytesMut::new();
/// greenline::http::write_chunk(b"hello world!!!!!", &mut out);
/// greenline::http::write_last_chunk(&mut out);
/// assert_eq!(&out[..], b"10\r\nhello world!!!!!\r\n0\r\n\r\n");
/// ```
pub fn write_chunk(data: &[u8], out: &mut BytesMut) {
    if data.is_empty() {
        return;
    }
    out.reserve(data.len() + 20);
    out.put_slice(format!("{:x}\r\n", data.len()).as_bytes());
    out.put_slice(data);
    out.put_slice(b"\r\n");
}

/// Appends the last chunk and an empty trailer section: `0\r\n\r\n`.
pub fn write_last_chunk(out: &mut BytesMut) {
    out.put_slice(b"0\r\n\r\n");
}
