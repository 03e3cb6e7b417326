//! The 64-octet greeting that opens every ZMTP 3.x connection.
//!
//! ```text
//! offset  0      : 0xFF                signature start
//! offset  1..=8  : padding             "not significant", never validated
//! offset  9      : 0x7F                signature end
//! offset 10      : version major       3
//! offset 11      : version minor       0 (ZMTP 3.0) or 1 (ZMTP 3.1)
//! offset 12..=31 : mechanism           "NULL", NUL-padded to 20 octets
//! offset 32      : as-server           0 for NULL
//! offset 33..=63 : filler              31 zeros (libzmq's are not always zero)
//! ```

use bytes::{BufMut, BytesMut};

use super::error::{escape, CodecError};
use super::Status;

/// A ZMTP protocol version, ordered so that `Version::V3_0 < Version::V3_1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// The major version; 3 for every peer this codec accepts.
    pub major: u8,
    /// The minor version: 0 for libzmq up to 4.3.2, 1 from 4.3.3.
    pub minor: u8,
}

impl Version {
    /// ZMTP 3.0 (RFC 23): subscriptions travel as `0x01`/`0x00` messages.
    pub const V3_0: Version = Version { major: 3, minor: 0 };
    /// ZMTP 3.1 (RFC 37): SUBSCRIBE/CANCEL commands, PING/PONG. The version we
    /// announce.
    pub const V3_1: Version = Version { major: 3, minor: 1 };

    /// Whether a peer of this version expects SUBSCRIBE/CANCEL commands rather
    /// than ZMTP 3.0 subscription messages (libzmq 4.3.3+ decides the same
    /// way in `v3_1_encoder.cpp`).
    pub fn uses_subscribe_commands(self) -> bool {
        self >= Version::V3_1
    }
}

/// A decoded peer greeting, or the one we send.
///
/// The mechanism is always `NULL`: decoding any other mechanism is an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Greeting {
    /// The protocol version announced.
    pub version: Version,
    /// The as-server flag. For NULL it has no meaning ("SHALL have no
    /// significance"); libzmq always sends 0 and never reads it, so neither
    /// do we.
    pub as_server: bool,
}

/// The mechanism field for NULL: the name, NUL-padded to 20 octets.
const NULL_MECHANISM: [u8; 20] = *b"NULL\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";

impl Greeting {
    /// The length of a whole greeting.
    pub const LEN: usize = 64;
    /// The length of the signature (`ff`, 8 padding octets, `7f`). libzmq
    /// sends exactly this much first and waits for ours before going on.
    pub const SIGNATURE_LEN: usize = 10;

    /// Our greeting: ZMTP 3.1, mechanism NULL, as-server 0.
    pub const fn ours() -> Greeting {
        Greeting {
            version: Version::V3_1,
            as_server: false,
        }
    }

    /// The 64 octets of this greeting, with zero padding and filler.
    pub fn to_bytes(&self) -> [u8; Greeting::LEN] {
        let mut out = [0; Greeting::LEN];
        out[0] = 0xff;
        out[9] = 0x7f;
        out[10] = self.version.major;
        out[11] = self.version.minor;
        out[12..32].copy_from_slice(&NULL_MECHANISM);
        out[32] = u8::from(self.as_server);
        out
    }

    /// Appends the 64 octets of this greeting to `dst`.
    ///
    /// Sending the whole greeting at once is always safe: RFC 23 §"Version
    /// Negotiation" allows it ("the peer SHALL send its entire greeting"), and
    /// a peer that sends its own in parts (libzmq: 10 octets, then the rest)
    /// simply reads ours as it arrives.
    pub fn encode(&self, dst: &mut BytesMut) {
        dst.put_slice(&self.to_bytes());
    }

    /// Decodes a peer greeting from the start of `src`, checking each field
    /// as soon as its octets are present.
    ///
    /// Returns [`Status::Partial`] until 64 octets are available, then
    /// `Complete(greeting, 64)`. Call it again with the longer buffer: the
    /// checks are cheap and repeat. A bad signature is reported after the
    /// first octet that shows it, a bad version after 11 octets, a bad
    /// mechanism after 32, so the connection can close before the peer sends
    /// the rest. The padding and filler are never looked at.
    ///
    /// # Errors
    ///
    /// - [`CodecError::BadSignature`] unless octet 0 is `ff` and octet 9 is `7f`.
    /// - [`CodecError::UnsupportedVersion`] if the major version is below 3.
    /// - [`CodecError::UnsupportedMechanism`] unless the mechanism is exactly
    ///   `NULL` followed by 16 NULs.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenline::zmq::codec::{Greeting, Status, Version};
    ///
    /// // libzmq's first 10 octets: its padding is not zero.
    /// let mut received = vec![0xff, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x7f];
    /// assert_eq!(Greeting::decode(&received)?, Status::Partial);
    /// received.extend_from_slice(b"\x03\x01NULL");
    /// received.resize(64, 0);
    /// let Status::Complete(greeting, 64) = Greeting::decode(&received)? else { panic!() };
    /// assert_eq!(greeting.version, Version::V3_1);
    /// # Ok::<(), greenline::zmq::codec::CodecError>(())
    /// ```
    pub fn decode(src: &[u8]) -> Result<Status<Greeting>, CodecError> {
        // RFC 23: "signature = %xFF padding %x7F" and "A peer SHALL NOT assign
        // any significance to the padding field and MUST NOT validate this".
        // libzmq puts a ZMTP 1.0 pseudo-length in the padding (`01`, `03`...).
        if src.first().is_some_and(|&b| b != 0xff) || src.get(9).is_some_and(|&b| b != 0x7f) {
            return Err(CodecError::BadSignature);
        }
        // RFC 23: "A peer MUST accept higher protocol versions as valid", so
        // any major >= 3 is fine; below 3 is ZMTP 1.0/2.0, which we do not
        // downgrade to ("If a peer cannot downgrade [...] it MUST close").
        if let Some(&major) = src.get(10) {
            if major < 3 {
                return Err(CodecError::UnsupportedVersion { major });
            }
        }
        // RFC 23: "If the mechanism that the peer received does not exactly
        // match the mechanism it sent, it MUST close the connection."
        if let Some(mechanism) = src.get(12..32) {
            if mechanism != NULL_MECHANISM {
                let end = mechanism.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
                let name = escape(&mechanism[..end]);
                return Err(CodecError::UnsupportedMechanism { name });
            }
        }
        if src.len() < Greeting::LEN {
            return Ok(Status::Partial);
        }
        let version = Version {
            major: src[10],
            minor: src[11],
        };
        let greeting = Greeting {
            version,
            as_server: src[32] != 0,
        };
        Ok(Status::Complete(greeting, Greeting::LEN))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// libzmq 4.3.5's greeting as seen on the wire: padding octet 8 is `01`
    /// (a ZMTP 1.0 pseudo-length), version 3.1, NULL.
    const LIBZMQ: [u8; 64] = [
        0xff, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x7f, 0x03, 0x01, b'N', b'U', b'L', b'L', 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];

    fn with(edits: &[(usize, &[u8])]) -> [u8; 64] {
        let mut bytes = LIBZMQ;
        for (at, octets) in edits {
            bytes[*at..*at + octets.len()].copy_from_slice(octets);
        }
        bytes
    }

    #[test]
    fn ours_is_the_spec_greeting_for_3_1_null() {
        let mut expected = [0u8; 64];
        expected[0] = 0xff;
        expected[9] = 0x7f;
        expected[10..16].copy_from_slice(b"\x03\x01NULL");
        assert_eq!(Greeting::ours().to_bytes(), expected);
        let mut dst = BytesMut::new();
        Greeting::ours().encode(&mut dst);
        assert_eq!(&dst[..], &expected[..]);
        assert_eq!(
            Greeting::decode(&expected),
            Ok(Status::Complete(Greeting::ours(), 64))
        );
    }

    type Expected = Result<Status<Greeting>, CodecError>;

    #[test]
    fn decodes_greetings_whole() {
        let v = |major, minor| Greeting {
            version: Version { major, minor },
            as_server: false,
        };
        let bad_mechanism = |name: &str| CodecError::UnsupportedMechanism { name: name.into() };
        let cases: [(&str, [u8; 64], Expected); 9] = [
            ("libzmq 4.3.5", LIBZMQ, Ok(Status::Complete(v(3, 1), 64))),
            (
                "3.0 with identity padding",
                with(&[(8, b"\x03"), (11, b"\x00")]),
                Ok(Status::Complete(v(3, 0), 64)),
            ),
            (
                "future minor",
                with(&[(11, b"\x07")]),
                Ok(Status::Complete(v(3, 7), 64)),
            ),
            (
                "future major",
                with(&[(10, b"\x04")]),
                Ok(Status::Complete(v(4, 1), 64)),
            ),
            (
                "dirty filler, as-server",
                with(&[(32, b"\x01\xaa\xbb")]),
                Ok(Status::Complete(
                    Greeting {
                        version: Version::V3_1,
                        as_server: true,
                    },
                    64,
                )),
            ),
            (
                "bad start",
                with(&[(0, b"\x00")]),
                Err(CodecError::BadSignature),
            ),
            (
                "bad end",
                with(&[(9, b"\x7e")]),
                Err(CodecError::BadSignature),
            ),
            (
                "version 2",
                with(&[(10, b"\x02")]),
                Err(CodecError::UnsupportedVersion { major: 2 }),
            ),
            (
                "curve",
                with(&[(12, b"CURVE")]),
                Err(bad_mechanism("CURVE")),
            ),
        ];
        for (name, bytes, expected) in cases {
            assert_eq!(Greeting::decode(&bytes), expected, "{name}");
        }
        let plain_with_junk = with(&[(12, b"PLAIN\x00\x01")]);
        assert_eq!(
            Greeting::decode(&plain_with_junk),
            Err(bad_mechanism("PLAIN\\x00\\x01"))
        );
        assert_eq!(
            Greeting::decode(&with(&[(12, b"null")])),
            Err(bad_mechanism("null"))
        );
    }

    /// libzmq sends 10 octets, waits for ours, then sends the other 54.
    #[test]
    fn decodes_libzmq_greeting_in_two_parts() {
        assert_eq!(Greeting::decode(&LIBZMQ[..10]), Ok(Status::Partial));
        assert_eq!(
            Greeting::decode(&LIBZMQ[..]),
            Ok(Status::Complete(
                Greeting {
                    version: Version::V3_1,
                    as_server: false
                },
                64
            ))
        );
        for len in 0..64 {
            assert_eq!(
                Greeting::decode(&LIBZMQ[..len]),
                Ok(Status::Partial),
                "{len} octets"
            );
        }
    }

    #[test]
    fn rejects_as_early_as_the_octets_allow() {
        assert_eq!(Greeting::decode(&[0x00]), Err(CodecError::BadSignature));
        assert_eq!(Greeting::decode(&LIBZMQ[..9]), Ok(Status::Partial));
        let v2 = with(&[(10, b"\x01")]);
        assert_eq!(
            Greeting::decode(&v2[..11]),
            Err(CodecError::UnsupportedVersion { major: 1 })
        );
        let curve = with(&[(12, b"CURVE")]);
        assert_eq!(Greeting::decode(&curve[..31]), Ok(Status::Partial));
        assert!(matches!(
            Greeting::decode(&curve[..32]),
            Err(CodecError::UnsupportedMechanism { .. })
        ));
    }

    #[test]
    fn versions_order_and_pick_subscription_style() {
        assert!(Version::V3_0 < Version::V3_1);
        assert!(!Version::V3_0.uses_subscribe_commands());
        assert!(Version::V3_1.uses_subscribe_commands());
        assert!(Version { major: 4, minor: 0 }.uses_subscribe_commands());
    }
}
