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
    Size {
        size: u64,
        digits: usize,
        line: usize,
    },
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
            state: State::Size {
                size: 0,
                digits: 0,
                line: 0,
            },
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
                    self.state = if left == 0 {
                        State::DataCr
                    } else {
                        State::Data { remaining: left }
                    };
                    return Ok(Step {
                        consumed: i + n,
                        data: i..i + n,
                        done: false,
                    });
                }
                State::Size { size, digits, line } => match (b as char).to_digit(16) {
                    Some(d) => {
                        if size > u64::MAX >> 4 {
                            return Err(ParseError::ChunkSizeOverflow);
                        }
                        check_line(line)?;
                        State::Size {
                            size: size << 4 | u64::from(d),
                            digits: digits + 1,
                            line: line + 1,
                        }
                    }
                    // chunk-size = 1*HEXDIG: at least one digit first.
                    None if digits == 0 => return Err(ParseError::InvalidChunkSize),
                    // chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
                    None if matches!(b, b';' | b' ' | b'\t') => State::Ext {
                        size,
                        line: line + 1,
                    },
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
                        State::Ext {
                            size,
                            line: line + 1,
                        }
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
                State::DataLf if b == b'\n' => State::Size {
                    size: 0,
                    digits: 0,
                    line: 0,
                },
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
                    return Ok(Step {
                        consumed: i + 1,
                        data: i + 1..i + 1,
                        done: true,
                    });
                }
                State::TrailerLf | State::EndLf => return Err(ParseError::InvalidTrailer),
                State::Done => {
                    return Ok(Step {
                        consumed: i,
                        data: i..i,
                        done: true,
                    })
                }
            };
            i += 1;
        }
        // Input used up inside framing (or exactly at a data boundary).
        let done = self.state == State::Done;
        Ok(Step {
            consumed: i,
            data: i..i,
            done,
        })
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
/// greenline::http::proto::write_chunk(b"hello world!!!!!", &mut out);
/// greenline::http::proto::write_last_chunk(&mut out);
/// assert_eq!(&out[..], b"10\r\nhello world!!!!!\r\n0\r\n\r\n");
/// ```
pub fn write_chunk(data: &[u8], out: &mut BytesMut) {
    if data.is_empty() {
        return;
    }
    out.reserve(data.len() + 20);
    // The size in hex, formatted on the stack: no allocation per chunk.
    let mut size = [0u8; 16];
    let mut i = size.len();
    let mut n = data.len();
    loop {
        i -= 1;
        size[i] = b"0123456789abcdef"[n % 16];
        n /= 16;
        if n == 0 {
            break;
        }
    }
    out.put_slice(&size[i..]);
    out.put_slice(b"\r\n");
    out.put_slice(data);
    out.put_slice(b"\r\n");
}

/// Appends the last chunk and an empty trailer section: `0\r\n\r\n`.
pub fn write_last_chunk(out: &mut BytesMut) {
    out.put_slice(b"0\r\n\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[test]
    fn chunk_sizes_in_hex() {
        for n in [1usize, 15, 16, 255, 4096, 100_000] {
            let mut out = BytesMut::new();
            write_chunk(&vec![b'x'; n], &mut out);
            assert!(out.starts_with(format!("{n:x}\r\n").as_bytes()));
            assert_eq!(out.len(), format!("{n:x}").len() + 2 + n + 2);
        }
    }

    /// Decodes all of `input` in pieces of at most `piece` bytes, returning
    /// the body and the bytes left after it, or the first error.
    fn decode_all(input: &[u8], piece: usize) -> Result<(Vec<u8>, usize), ParseError> {
        let mut decoder = ChunkedDecoder::new(1024, 256);
        let mut body = Vec::new();
        let mut pos = 0;
        loop {
            let end = (pos + piece).min(input.len());
            let step = decoder.decode(&input[pos..end])?;
            body.extend_from_slice(&input[pos..end][step.data.clone()]);
            pos += step.consumed;
            if step.done {
                assert!(decoder.is_done());
                return Ok((body, input.len() - pos));
            }
            assert!(pos < input.len(), "ran out of input");
        }
    }

    #[rstest]
    #[case::one_chunk(b"5\r\nhello\r\n0\r\n\r\n", b"hello")]
    #[case::two_chunks(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", b"hello world")]
    #[case::hex_upper_lower(
        b"A\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n",
        b"01234567890123456789"
    )]
    #[case::leading_zeros(b"0005\r\nhello\r\n000\r\n\r\n", b"hello")]
    #[case::extensions(b"5;name=value;flag\r\nhello\r\n0;last\r\n\r\n", b"hello")]
    #[case::extension_bws(b"5 ; name = \"q;v\"\r\nhello\r\n0\r\n\r\n", b"hello")]
    #[case::trailers(b"5\r\nhello\r\n0\r\nExpires: never\r\nX-Sum: 1\r\n\r\n", b"hello")]
    #[case::empty_body(b"0\r\n\r\n", b"")]
    #[case::crlf_in_data(b"4\r\n\r\n\r\n\r\n0\r\n\r\n", b"\r\n\r\n")]
    fn decodes(#[case] input: &[u8], #[case] expected: &[u8]) {
        for piece in 1..=input.len() {
            let (body, left) = decode_all(input, piece).unwrap();
            assert_eq!(body, expected, "pieces of {piece}");
            assert_eq!(left, 0);
        }
    }

    #[test]
    fn stops_exactly_at_the_end_of_the_body() {
        let input = b"3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n";
        let (body, left) = decode_all(input, input.len()).unwrap();
        assert_eq!((body.as_slice(), left), (&b"abc"[..], 16));
    }

    #[test]
    fn one_call_returns_one_data_run() {
        let mut decoder = ChunkedDecoder::new(1024, 256);
        let input = b"2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n";
        let step = decoder.decode(input).unwrap();
        assert_eq!(
            (step.consumed, &input[step.data], step.done),
            (5, &b"ab"[..], false)
        );
    }

    #[rstest]
    #[case::non_hex(b"zz\r\n", ParseError::InvalidChunkSize)]
    #[case::empty_size(b"\r\n", ParseError::InvalidChunkSize)]
    #[case::negative(b"-1\r\n", ParseError::InvalidChunkSize)]
    #[case::overflow(b"ffffffffffffffffff\r\n", ParseError::ChunkSizeOverflow)]
    #[case::bare_lf_after_size(b"5\nhello\r\n", ParseError::InvalidChunkSize)]
    #[case::bare_lf_in_ext(b"5;a\nhello\r\n", ParseError::MissingChunkCrlf)]
    #[case::cr_without_lf(b"5\rhello\r\n", ParseError::MissingChunkCrlf)]
    #[case::missing_crlf_after_data(b"5\r\nhelloX\r\n0\r\n\r\n", ParseError::MissingChunkCrlf)]
    #[case::lf_only_after_data(b"5\r\nhello\n0\r\n\r\n", ParseError::MissingChunkCrlf)]
    #[case::over_body_limit(b"401\r\n", ParseError::BodyTooLarge)]
    #[case::sum_over_body_limit(b"200\r\n", ParseError::BodyTooLarge)]
    #[case::bare_lf_in_trailer(b"0\r\nX: y\n\r\n", ParseError::InvalidTrailer)]
    #[case::bad_final_crlf(b"0\r\n\rX", ParseError::InvalidTrailer)]
    fn refuses(#[case] input: &[u8], #[case] expected: ParseError) {
        // The second case sends 512 + 512 + 1: the third chunk passes 1024.
        let input: Vec<u8> = if input == b"200\r\n" {
            let mut v = Vec::new();
            for size in [0x200, 0x200, 1] {
                v.extend_from_slice(format!("{size:x}\r\n").as_bytes());
                v.resize(v.len() + size, b'x');
                v.extend_from_slice(b"\r\n");
            }
            v
        } else {
            input.to_vec()
        };
        for piece in 1..=input.len() {
            assert_eq!(
                decode_all(&input, piece).unwrap_err(),
                expected,
                "pieces of {piece}"
            );
        }
    }

    #[test]
    fn bounds_extensions_and_trailers() {
        let mut long_ext = b"1;".to_vec();
        long_ext.resize(MAX_CHUNK_LINE + 8, b'x');
        assert_eq!(
            decode_all(&long_ext, 100).unwrap_err(),
            ParseError::ChunkLineTooLong
        );
        let mut zeros = vec![b'0'; MAX_CHUNK_LINE + 8];
        zeros.push(b'\r');
        assert_eq!(
            decode_all(&zeros, 100).unwrap_err(),
            ParseError::ChunkLineTooLong
        );
        let mut trailers = b"0\r\n".to_vec();
        for _ in 0..30 {
            trailers.extend_from_slice(b"X-Trailer: 0123456789\r\n");
        }
        assert_eq!(
            decode_all(&trailers, 64).unwrap_err(),
            ParseError::TrailersTooLarge
        );
    }

    #[test]
    fn writers() {
        let mut out = BytesMut::new();
        write_chunk(b"", &mut out);
        assert!(out.is_empty(), "an empty chunk would end the body");
        write_chunk(&[b'x'; 255], &mut out);
        assert!(out.starts_with(b"ff\r\nxxx"));
        write_last_chunk(&mut out);
        let (body, left) = decode_all(&out, out.len()).unwrap();
        assert_eq!((body.len(), left), (255, 0));
    }
}
