//! Frames: the flags octet, a 1- or 8-octet size, and the body.
//!
//! RFC 23 §"Framing": "A frame consists of a flags field (1 octet), followed
//! by a size field (one octet or eight octets) and a frame body of size
//! octets."
//!
//! ```text
//! short:  flags | size (1)           | body        flags bit 0 MORE
//! long:   flags | size (8, big-end.) | body        flags bit 1 LONG
//!                                                  flags bit 2 COMMAND
//! ```

use bytes::{BufMut, Bytes, BytesMut};

use super::Status;

const MORE: u8 = 0x01;
const LONG: u8 = 0x02;
const COMMAND: u8 = 0x04;

/// The flags and size that precede a frame body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameHeader {
    /// Another frame of the same message follows. Always false on commands.
    pub more: bool,
    /// The body is a command, not message data.
    pub command: bool,
    /// The body length in octets.
    pub size: u64,
}

impl FrameHeader {
    /// The longest header: the flags octet and an 8-octet size.
    pub const MAX_LEN: usize = 9;

    /// The header of a message frame of `size` octets.
    pub fn message(size: usize, more: bool) -> FrameHeader {
        FrameHeader {
            more,
            command: false,
            size: size as u64,
        }
    }

    /// The header of a command frame of `size` octets.
    pub fn command(size: usize) -> FrameHeader {
        FrameHeader {
            more: false,
            command: true,
            size: size as u64,
        }
    }

    /// The encoded length: 2 for the short form, 9 for the long form.
    pub fn encoded_len(&self) -> usize {
        if self.size <= 255 {
            2
        } else {
            9
        }
    }

    /// Writes the header into `buf` and returns the part written, for
    /// vectored writes that send bodies without copying them.
    ///
    /// The short form is used for sizes up to 255, the long form above.
    /// RFC 23: "If the body is 0-255 octets, the command SHOULD use a short
    /// size field [...] If the body is 256 or more octets, the command SHOULD
    /// use a long size field"; libzmq frames messages the same way.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenline::zmq::codec::FrameHeader;
    ///
    /// let body = vec![0u8; 1000];
    /// let mut buf = [0; FrameHeader::MAX_LEN];
    /// let header = FrameHeader::message(body.len(), false).write_to(&mut buf);
    /// assert_eq!(header, [0x02, 0, 0, 0, 0, 0, 0, 0x03, 0xe8]);
    /// // Then e.g. stream.write_vectored(&[IoSlice::new(header), IoSlice::new(&body)]).
    /// ```
    pub fn write_to<'a>(&self, buf: &'a mut [u8; FrameHeader::MAX_LEN]) -> &'a [u8] {
        let mut flags = 0;
        if self.more && !self.command {
            flags |= MORE;
        }
        if self.command {
            flags |= COMMAND;
        }
        if self.size <= 255 {
            buf[0] = flags;
            buf[1] = self.size as u8;
            &buf[..2]
        } else {
            buf[0] = flags | LONG;
            buf[1..9].copy_from_slice(&self.size.to_be_bytes());
            &buf[..9]
        }
    }

    /// Appends the header to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        let mut buf = [0; FrameHeader::MAX_LEN];
        dst.put_slice(self.write_to(&mut buf));
    }

    /// Reads a frame header from the start of `src`, without limits.
    ///
    /// Returns `Complete(header, header_len)` or `Partial` if `src` is shorter
    /// than the header. Reserved flag bits (7..3) are ignored, as libzmq
    /// ignores them; MORE on a command frame ("This bit SHALL be zero on
    /// command frames") is ignored too. Either form is accepted for any size.
    /// This never fails: size limits are
    /// [`FrameDecoder`](super::FrameDecoder)'s job.
    pub fn decode(src: &[u8]) -> Status<FrameHeader> {
        let Some(&flags) = src.first() else {
            return Status::Partial;
        };
        let command = flags & COMMAND != 0;
        let more = flags & MORE != 0 && !command;
        let (size, used) = if flags & LONG == 0 {
            match src.get(1) {
                Some(&size) => (u64::from(size), 2),
                None => return Status::Partial,
            }
        } else {
            match src.get(1..9) {
                Some(size) => (u64::from_be_bytes(size.try_into().expect("8 octets")), 9),
                None => return Status::Partial,
            }
        };
        Status::Complete(
            FrameHeader {
                more,
                command,
                size,
            },
            used,
        )
    }
}

/// One decoded frame: a command or one part of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Another frame of the same message follows. Always false on commands.
    pub more: bool,
    /// The body is a command; parse it with
    /// [`Command::parse`](super::Command::parse).
    pub command: bool,
    /// The body, sharing the receive buffer's memory.
    pub body: Bytes,
}

impl Frame {
    /// Appends this frame (header and body) to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        let header = FrameHeader {
            more: self.more,
            command: self.command,
            size: self.body.len() as u64,
        };
        dst.reserve(header.encoded_len() + self.body.len());
        header.encode(dst);
        dst.put_slice(&self.body);
    }
}

/// Appends a whole multipart message to `dst`: MORE on every frame but the
/// last, one allocation for all headers and bodies.
///
/// An empty `parts` writes nothing (a ZMTP message has at least one frame, so
/// the socket layer sends an empty message as one empty part). For large
/// bodies, build the headers with [`FrameHeader::write_to`] instead and hand
/// the bodies to a vectored write.
pub fn encode_message(parts: &[Bytes], dst: &mut BytesMut) {
    let total: usize = parts
        .iter()
        .map(|part| FrameHeader::message(part.len(), false).encoded_len() + part.len())
        .sum();
    dst.reserve(total);
    for (i, part) in parts.iter().enumerate() {
        FrameHeader::message(part.len(), i + 1 < parts.len()).encode(dst);
        dst.put_slice(part);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zmq::codec::FrameDecoder;

    #[test]
    fn header_forms_switch_at_255() {
        let cases: [(FrameHeader, &[u8]); 5] = [
            (FrameHeader::message(0, false), &[0x00, 0x00]),
            (FrameHeader::message(255, true), &[0x01, 0xff]),
            (
                FrameHeader::message(256, false),
                &[0x02, 0, 0, 0, 0, 0, 0, 0x01, 0x00],
            ),
            (
                FrameHeader::message(256, true),
                &[0x03, 0, 0, 0, 0, 0, 0, 0x01, 0x00],
            ),
            (
                FrameHeader::command(300),
                &[0x06, 0, 0, 0, 0, 0, 0, 0x01, 0x2c],
            ),
        ];
        for (header, wire) in cases {
            let mut buf = [0; FrameHeader::MAX_LEN];
            assert_eq!(header.write_to(&mut buf), wire, "{header:?}");
            assert_eq!(header.encoded_len(), wire.len());
            assert_eq!(
                FrameHeader::decode(wire),
                Status::Complete(header, wire.len())
            );
        }
    }

    #[test]
    fn encodes_a_multipart_message_and_decodes_it_back() {
        let parts = [
            Bytes::from_static(b""),
            Bytes::from_static(b"q1"),
            Bytes::from(vec![9; 256]),
        ];
        let mut dst = BytesMut::new();
        encode_message(&parts, &mut dst);
        let mut expected = vec![
            0x01, 0x00, 0x01, 0x02, b'q', b'1', 0x02, 0, 0, 0, 0, 0, 0, 0x01, 0,
        ];
        expected.extend_from_slice(&[9; 256]);
        assert_eq!(&dst[..], &expected[..]);

        let decoder = FrameDecoder::new();
        let mut decoded = Vec::new();
        while let Some(frame) = decoder.decode(&mut dst).unwrap() {
            decoded.push(frame);
        }
        let bodies: Vec<Bytes> = decoded.iter().map(|f| f.body.clone()).collect();
        assert_eq!(bodies, parts);
        let mores: Vec<bool> = decoded.iter().map(|f| f.more).collect();
        assert_eq!(mores, [true, true, false]);

        let mut empty = BytesMut::new();
        encode_message(&[], &mut empty);
        assert!(empty.is_empty());
    }
}
