//! The one error type of the ZMTP codec.

use std::fmt;

use super::socket_type::SocketType;

/// A ZMTP protocol violation or a limit the peer broke.
///
/// Every variant is fatal for the connection: the socket layer closes it (after
/// sending an ERROR command where the spec asks for one). At the socket
/// boundary it is converted with `io::Error::new(ErrorKind::InvalidData, e)`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodecError {
    /// The greeting does not start with the ZMTP signature `ff <8 octets> 7f`.
    ///
    /// The peer speaks ZMTP 1.0 or something that is not ZMTP at all.
    BadSignature,
    /// The peer's major version is below 3 (ZMTP 1.0 or 2.0), which this codec
    /// does not speak.
    ///
    /// Only the major version is reported: in a ZMTP 2.0 greeting the octet
    /// after the major version is a socket type, not a minor version.
    UnsupportedVersion {
        /// The major version the peer announced.
        major: u8,
    },
    /// The peer announced a security mechanism other than `NULL`.
    UnsupportedMechanism {
        /// The mechanism name, trailing NUL padding removed, non-printable
        /// octets escaped.
        name: String,
    },
    /// A message frame announced a body that takes its message past the
    /// configured maximum (or is past the protocol's 2^63-1 itself);
    /// detected at the size header, before any of the body was buffered.
    MessageTooLarge {
        /// The message's size with this frame: the octets of its earlier
        /// frames plus the size this frame's header announced.
        size: u64,
        /// The largest size accepted.
        max: u64,
    },
    /// A command frame announced a body larger than the command limit;
    /// detected at the size header, before any of the body was buffered.
    CommandTooLarge {
        /// The size the frame header announced.
        size: u64,
        /// The largest size accepted.
        max: u64,
    },
    /// A command frame's body does not follow the grammar of its command
    /// (empty name, name longer than the body, PING without a TTL, ...).
    MalformedCommand {
        /// The command name as far as it could be read, escaped; empty when
        /// the name itself is broken.
        name: String,
    },
    /// The metadata in a READY command is truncated or has an empty property
    /// name.
    MalformedMetadata,
    /// The peer's `Socket-Type` property names no socket type this codec
    /// knows (for example the draft `CLIENT`).
    UnknownSocketType {
        /// The announced name, escaped.
        name: String,
    },
    /// The peer's socket type may not talk to ours (RFC 23 §"The Socket-Type
    /// Property"), for example PUSH to PUB.
    IncompatibleSocketType {
        /// Our socket type.
        ours: SocketType,
        /// The peer's socket type.
        peer: SocketType,
    },
    /// The peer sent an ERROR command during the handshake.
    PeerError {
        /// The error reason the peer gave, escaped.
        reason: String,
    },
    /// During the handshake the peer sent a command other than READY or
    /// ERROR.
    UnexpectedCommand {
        /// The command name, escaped.
        name: String,
    },
    /// During the handshake the peer sent a message frame before its READY.
    UnexpectedMessage,
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodecError::BadSignature => f.write_str("bad zmtp greeting signature"),
            CodecError::UnsupportedVersion { major } => {
                write!(f, "unsupported zmtp version {major} (need 3 or later)")
            }
            CodecError::UnsupportedMechanism { name } => {
                write!(f, "unsupported security mechanism \"{name}\" (only NULL)")
            }
            CodecError::MessageTooLarge { size, max } => {
                write!(f, "message of {size} bytes exceeds the maximum of {max}")
            }
            CodecError::CommandTooLarge { size, max } => {
                write!(
                    f,
                    "command frame of {size} bytes exceeds the maximum of {max}"
                )
            }
            CodecError::MalformedCommand { name } => write!(f, "malformed command \"{name}\""),
            CodecError::MalformedMetadata => f.write_str("malformed metadata in ready command"),
            CodecError::UnknownSocketType { name } => write!(f, "unknown socket type \"{name}\""),
            CodecError::IncompatibleSocketType { ours, peer } => {
                write!(f, "socket type {peer} may not connect to {ours}")
            }
            CodecError::PeerError { reason } => write!(f, "peer sent error \"{reason}\""),
            CodecError::UnexpectedCommand { name } => {
                write!(f, "unexpected command \"{name}\" during handshake")
            }
            CodecError::UnexpectedMessage => {
                f.write_str("message frame before handshake completed")
            }
        }
    }
}

impl std::error::Error for CodecError {}

/// Renders peer-supplied octets for an error message: printable ASCII kept,
/// everything else escaped, so a hostile peer cannot inject control characters
/// into logs.
pub(crate) fn escape(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_lowercase_and_names_the_detail() {
        let cases = [
            (CodecError::BadSignature, "bad zmtp greeting signature"),
            (
                CodecError::UnsupportedVersion { major: 2 },
                "unsupported zmtp version 2 (need 3 or later)",
            ),
            (
                CodecError::UnsupportedMechanism {
                    name: "CURVE".into(),
                },
                "unsupported security mechanism \"CURVE\" (only NULL)",
            ),
            (
                CodecError::MessageTooLarge { size: 11, max: 10 },
                "message of 11 bytes exceeds the maximum of 10",
            ),
            (
                CodecError::IncompatibleSocketType {
                    ours: SocketType::Pub,
                    peer: SocketType::Push,
                },
                "socket type PUSH may not connect to PUB",
            ),
            (
                CodecError::PeerError {
                    reason: escape(b"no \"way\"\n"),
                },
                r#"peer sent error "no \"way\"\n""#,
            ),
        ];
        for (error, expected) in cases {
            assert_eq!(error.to_string(), expected);
        }
    }

    #[test]
    fn escape_hides_control_characters() {
        assert_eq!(escape(b"ok\n\x00\xff"), "ok\\n\\x00\\xff");
    }
}
