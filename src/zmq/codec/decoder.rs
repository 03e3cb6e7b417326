//! Splitting frames off a receive buffer, with size limits.

use bytes::{Buf, BytesMut};

use super::error::CodecError;
use super::frame::{Frame, FrameHeader};
use super::Status;

/// Splits frames off a receive buffer, enforcing size limits at the header.
///
/// The message limit bounds a whole message: a frame's size plus the
/// octets of the frames before it in the same message, which the caller
/// passes to [`decode_after`](FrameDecoder::decode_after) (libzmq's
/// `ZMQ_MAXMSGSIZE` is documented as limiting "the size of the inbound
/// message" but `v2_decoder.cpp` `size_ready` checks each frame alone, so
/// a peer could send any amount as many frames just under it). The command
/// limit bounds each command frame. Limits are checked as soon as the size
/// field is complete, so a peer announcing a huge frame is refused before
/// any of its body is buffered, and a caller that reserves `header_len +
/// size` after a successful check never allocates more than the limit.
///
/// # Examples
///
/// The socket layer reads into one `BytesMut` and splits frames off it; the
/// bodies share the buffer's memory.
///
/// ```
/// use bytes::BytesMut;
/// use greenline::zmq::codec::FrameDecoder;
///
/// let decoder = FrameDecoder::new().with_max_message_size(Some(1 << 20));
/// // What reads appended: "hi" with MORE, an empty last frame, half a frame.
/// let mut buf = BytesMut::from(&b"\x01\x02hi\x00\x00\x00\x05ab"[..]);
/// let mut message = Vec::new();
/// while let Some(frame) = decoder.decode(&mut buf)? {
///     assert!(!frame.command);
///     let last = !frame.more;
///     message.push(frame.body);
///     if last {
///         break;
///     }
/// }
/// assert_eq!(message, [&b"hi"[..], b""]);
/// assert_eq!(decoder.decode(&mut buf)?, None); // waits for 3 more octets
/// # Ok::<(), greenline::zmq::codec::CodecError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameDecoder {
    /// Largest message frame body accepted; `None` for no limit of our own.
    max_message_size: Option<u64>,
    /// Largest command frame body accepted (READY, SUBSCRIBE, PING, ...).
    max_command_size: u64,
}

impl Default for FrameDecoder {
    fn default() -> Self {
        FrameDecoder::new()
    }
}

impl FrameDecoder {
    /// The default command limit: 64 KiB holds any READY libzmq sends and a
    /// SUBSCRIBE for any sane topic.
    pub const DEFAULT_MAX_COMMAND_SIZE: u64 = 64 * 1024;

    /// A decoder with no message size limit and the default command limit.
    pub const fn new() -> FrameDecoder {
        FrameDecoder {
            max_message_size: None,
            max_command_size: FrameDecoder::DEFAULT_MAX_COMMAND_SIZE,
        }
    }

    /// Sets the largest message accepted, all its frame bodies together
    /// (libzmq's `ZMQ_MAXMSGSIZE`; `None` means only the protocol's own
    /// 2^63-1 per frame and the address space limit the size).
    pub const fn with_max_message_size(mut self, max: Option<u64>) -> FrameDecoder {
        self.max_message_size = max;
        self
    }

    /// Sets the largest command frame body accepted.
    pub const fn with_max_command_size(mut self, max: u64) -> FrameDecoder {
        self.max_command_size = max;
        self
    }

    /// Reads and checks the header of a message's first frame, or of a
    /// command, from the start of `src`: [`decode_header_after`] with no
    /// earlier frames.
    ///
    /// [`decode_header_after`]: FrameDecoder::decode_header_after
    ///
    /// # Errors
    ///
    /// As [`decode_header_after`](FrameDecoder::decode_header_after).
    pub fn decode_header(&self, src: &[u8]) -> Result<Status<FrameHeader>, CodecError> {
        self.decode_header_after(src, 0)
    }

    /// Reads and checks a frame header from the start of `src`, for a frame
    /// that follows `message_so_far` octets of message frames of the same
    /// message (ignored for a command frame).
    ///
    /// Returns `Complete(header, header_len)`; the whole frame is then
    /// `header_len + header.size` octets, which is safe to reserve.
    ///
    /// # Errors
    ///
    /// [`CodecError::MessageTooLarge`] if `message_so_far` plus the frame's
    /// size exceeds the message limit (or the frame alone the protocol's
    /// 2^63-1), [`CodecError::CommandTooLarge`] if a command's size exceeds
    /// the command limit.
    pub fn decode_header_after(
        &self,
        src: &[u8],
        message_so_far: u64,
    ) -> Result<Status<FrameHeader>, CodecError> {
        let Status::Complete(header, used) = FrameHeader::decode(src) else {
            return Ok(Status::Partial);
        };
        // RFC 23: "A long frame has a body of 0 to 2^63-1 octets"; the body
        // must also fit in this machine's address space.
        let protocol_max = (i64::MAX as u64).min(usize::MAX as u64 - FrameHeader::MAX_LEN as u64);
        if header.command {
            let max = self.max_command_size.min(protocol_max);
            if header.size > max {
                return Err(CodecError::CommandTooLarge {
                    size: header.size,
                    max,
                });
            }
        } else {
            let max = self.max_message_size.unwrap_or(u64::MAX).min(protocol_max);
            let size = message_so_far.saturating_add(header.size);
            if header.size > protocol_max || size > max {
                return Err(CodecError::MessageTooLarge { size, max });
            }
        }
        Ok(Status::Complete(header, used))
    }

    /// Splits the next whole frame off the front of `src` without copying its
    /// body: the returned [`Frame::body`] shares `src`'s memory. For a
    /// message's first frame or a command; [`decode_after`] checks a later
    /// frame against the message limit together with the frames before it.
    ///
    /// Returns `Ok(None)` and leaves `src` untouched if the frame is not
    /// complete yet; read more into `src` and call again.
    ///
    /// [`decode_after`]: FrameDecoder::decode_after
    ///
    /// # Errors
    ///
    /// As [`decode_header`](FrameDecoder::decode_header); reported as soon as
    /// the header is in `src`, whether or not the body has arrived.
    pub fn decode(&self, src: &mut BytesMut) -> Result<Option<Frame>, CodecError> {
        self.decode_after(src, 0)
    }

    /// As [`decode`](FrameDecoder::decode), for a frame that follows
    /// `message_so_far` octets of message frames of the same message (the
    /// caller counts them; a command frame ignores it).
    ///
    /// # Errors
    ///
    /// As [`decode_header_after`](FrameDecoder::decode_header_after);
    /// reported as soon as the header is in `src`.
    pub fn decode_after(
        &self,
        src: &mut BytesMut,
        message_so_far: u64,
    ) -> Result<Option<Frame>, CodecError> {
        let Status::Complete(header, header_len) = self.decode_header_after(src, message_so_far)?
        else {
            return Ok(None);
        };
        // The checks above bound `size` by usize::MAX - 9: no overflow.
        let size = header.size as usize;
        if src.len() < header_len + size {
            return Ok(None);
        }
        src.advance(header_len);
        let body = src.split_to(size).freeze();
        Ok(Some(Frame {
            more: header.more,
            command: header.command,
            body,
        }))
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    fn bytes_mut(octets: &[u8]) -> BytesMut {
        BytesMut::from(octets)
    }

    fn frame(more: bool, command: bool, body: &[u8]) -> Frame {
        Frame {
            more,
            command,
            body: Bytes::copy_from_slice(body),
        }
    }

    #[test]
    fn decodes_whole_frames() {
        let long_300 = [&[0x02, 0, 0, 0, 0, 0, 0, 0x01, 0x2c][..], &[b'x'; 300]].concat();
        let cases: Vec<(&str, Vec<u8>, Frame)> = vec![
            (
                "short last",
                vec![0x00, 0x02, b'h', b'i'],
                frame(false, false, b"hi"),
            ),
            (
                "short more",
                vec![0x01, 0x01, b'a'],
                frame(true, false, b"a"),
            ),
            ("empty delimiter", vec![0x01, 0x00], frame(true, false, b"")),
            (
                "long more",
                [&[0x03, 0, 0, 0, 0, 0, 0, 0, 0x01][..], b"z"].concat(),
                frame(true, false, b"z"),
            ),
            ("long last 300", long_300, frame(false, false, &[b'x'; 300])),
            (
                "short command",
                vec![0x04, 0x01, 0x00],
                frame(false, true, b"\0"),
            ),
            (
                "command with more",
                vec![0x05, 0x00],
                frame(false, true, b""),
            ),
            (
                "reserved bits",
                vec![0xf8 | 0x01, 0x00],
                frame(true, false, b""),
            ),
        ];
        let decoder = FrameDecoder::new().with_max_message_size(Some(1000));
        for (name, wire, expected) in cases {
            let mut src = bytes_mut(&wire);
            src.extend_from_slice(b"\x00\x00"); // the next frame must stay
            assert_eq!(decoder.decode(&mut src), Ok(Some(expected)), "{name}");
            assert_eq!(&src[..], b"\x00\x00", "{name}: leftover");
        }
    }

    #[test]
    fn truncated_frames_need_more_and_keep_the_buffer() {
        let wire = [&[0x02, 0, 0, 0, 0, 0, 0, 0x01, 0x00][..], &[7; 256]].concat();
        let decoder = FrameDecoder::new();
        for len in [0, 1, 2, 8, 9, 10, 264] {
            let mut src = bytes_mut(&wire[..len]);
            assert_eq!(decoder.decode(&mut src), Ok(None), "{len} octets");
            assert_eq!(src.len(), len);
        }
        let mut src = bytes_mut(&wire);
        assert_eq!(decoder.decode(&mut src).unwrap().unwrap().body.len(), 256);
        assert!(src.is_empty());
        assert_eq!(
            decoder.decode(&mut bytes_mut(&[0x00, 0x03, 1, 2])),
            Ok(None)
        );
    }

    /// The limit is enforced at the size field: nine octets of a frame
    /// announcing 2^40 octets are enough to refuse it.
    #[test]
    fn oversized_frames_fail_at_the_header() {
        let huge = [0x02, 0, 0, 0x01, 0, 0, 0, 0, 0];
        let small = FrameDecoder::new()
            .with_max_message_size(Some(10))
            .with_max_command_size(16);
        let cases: [(&str, &[u8], CodecError); 5] = [
            (
                "long header only",
                &huge,
                CodecError::MessageTooLarge {
                    size: 1 << 40,
                    max: 10,
                },
            ),
            (
                "short, 11 > 10",
                &[0x00, 11],
                CodecError::MessageTooLarge { size: 11, max: 10 },
            ),
            (
                "more frame",
                &[0x01, 200, 1],
                CodecError::MessageTooLarge { size: 200, max: 10 },
            ),
            (
                "command",
                &[0x04, 17],
                CodecError::CommandTooLarge { size: 17, max: 16 },
            ),
            (
                "beyond 2^63-1 with no limit",
                &[0x02, 0x80, 0, 0, 0, 0, 0, 0, 0],
                CodecError::MessageTooLarge {
                    size: 1 << 63,
                    max: i64::MAX as u64,
                },
            ),
        ];
        for (name, wire, expected) in cases {
            let decoder = if name.contains("no limit") {
                FrameDecoder::new()
            } else {
                small
            };
            assert_eq!(
                decoder.decode(&mut bytes_mut(wire)),
                Err(expected),
                "{name}"
            );
        }
        let mut exact = bytes_mut(&[0x00, 10, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        assert!(small.decode(&mut exact).unwrap().is_some());
    }

    /// The message limit counts the frames before this one: each fits
    /// alone, but the frame that takes the message past the limit fails at
    /// its header; commands are checked alone.
    #[test]
    fn later_frames_count_the_message_so_far() {
        let decoder = FrameDecoder::new()
            .with_max_message_size(Some(10))
            .with_max_command_size(16);
        let cases: [(&str, &[u8], u64, Result<usize, CodecError>); 5] = [
            ("fits after 6", &[0x00, 4, 1, 2, 3, 4], 6, Ok(4)),
            (
                "one over after 6",
                &[0x00, 5],
                6,
                Err(CodecError::MessageTooLarge { size: 11, max: 10 }),
            ),
            (
                "long header after 10",
                &[0x02, 0, 0, 0, 0, 0, 0, 0, 1],
                10,
                Err(CodecError::MessageTooLarge { size: 11, max: 10 }),
            ),
            (
                "no overflow near u64::MAX",
                &[0x00, 1],
                u64::MAX,
                Err(CodecError::MessageTooLarge {
                    size: u64::MAX,
                    max: 10,
                }),
            ),
            ("a command ignores the message", &[0x04, 1, 0], 10, Ok(1)),
        ];
        for (name, wire, so_far, expected) in cases {
            let got = decoder
                .decode_after(&mut bytes_mut(wire), so_far)
                .map(|f| f.expect("whole frame").body.len());
            assert_eq!(got, expected, "{name}");
        }
    }

    #[test]
    fn decoded_bodies_share_the_receive_buffer() {
        let mut src = bytes_mut(&[0x00, 0x03, b'a', b'b', b'c']);
        let start = src.as_ptr() as usize;
        let frame = FrameDecoder::new().decode(&mut src).unwrap().unwrap();
        assert_eq!(frame.body.as_ptr() as usize, start + 2);
        let mut dst = BytesMut::new();
        frame.encode(&mut dst);
        assert_eq!(&dst[..], &[0x00, 0x03, b'a', b'b', b'c']);
    }
}
