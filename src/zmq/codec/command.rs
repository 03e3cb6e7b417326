//! Commands: READY, ERROR, SUBSCRIBE, CANCEL, PING, PONG, and the rest.
//!
//! RFC 37 §"Formal Grammar":
//!
//! ```text
//! command-body = command-name command-data
//! command-name = short-size 1*255command-name-char
//! command-data = *OCTET
//! ```

use bytes::{BufMut, Bytes, BytesMut};

use super::error::{escape, CodecError};
use super::frame::FrameHeader;
use super::metadata::Metadata;

/// The longest PING context: "ping-context = 0*16OCTET".
pub const MAX_PING_CONTEXT: usize = 16;

/// A command frame's body, parsed.
///
/// Fields are [`Bytes`] slices of the frame body: parsing copies nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// `READY`: ends the NULL handshake, carrying the sender's metadata.
    Ready(Metadata),
    /// `ERROR`: the peer refuses the handshake; fatal, do not reconnect with
    /// the same credentials (RFC 23 §"Error Handling").
    Error {
        /// A reason for logs, at most 255 octets; "no defined semantic value".
        reason: Bytes,
    },
    /// `SUBSCRIBE` (ZMTP 3.1): the peer subscribes to messages starting with
    /// `topic`.
    Subscribe(Bytes),
    /// `CANCEL` (ZMTP 3.1): the peer drops one subscription to `topic`.
    Cancel(Bytes),
    /// `PING`: a heartbeat; answer with a PONG echoing `context`
    /// (see [`Command::ping_reply`]).
    Ping {
        /// Time-to-live in tenths of a second: "a strong hint to the other peer
        /// to disconnect if no further traffic is received after that time";
        /// 0 for none.
        ttl: u16,
        /// Opaque context to echo, at most 16 octets.
        context: Bytes,
    },
    /// `PONG`: the reply to our PING.
    Pong {
        /// The context of the PING this answers.
        context: Bytes,
    },
    /// Any other command (a security mechanism's, a draft's, or a future
    /// one). The caller should ignore it: libzmq may send commands we do not
    /// know, and they must never reach the socket pattern layer.
    Unknown {
        /// The command name.
        name: Bytes,
        /// Everything after the name.
        data: Bytes,
    },
}

impl Command {
    /// Parses the body of a command frame (a [`Frame`](super::Frame) with
    /// `command` set).
    ///
    /// Lenient where libzmq is: a PING context longer than 16 octets is cut
    /// to 16 (`zmtp_engine.cpp::process_heartbeat_message`), octets after an
    /// ERROR reason are ignored, command names are matched exactly.
    ///
    /// # Errors
    ///
    /// - [`CodecError::MalformedCommand`] if the name is empty or runs past
    ///   the body, a PING has no 2-octet TTL, or an ERROR reason runs past the
    ///   body.
    /// - [`CodecError::MalformedMetadata`] if a READY's properties are broken.
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::{Bytes, BytesMut};
    /// use greenline::zmq::codec::Command;
    ///
    /// let body = Bytes::from_static(b"\x04PING\x00\x0actx");
    /// let ping = Command::parse(&body)?;
    /// assert_eq!(ping, Command::Ping { ttl: 10, context: Bytes::from_static(b"ctx") });
    /// let mut out = BytesMut::new();
    /// ping.ping_reply().unwrap().encode(&mut out);
    /// assert_eq!(&out[..], b"\x04\x08\x04PONGctx");
    /// # Ok::<(), greenline::zmq::codec::CodecError>(())
    /// ```
    pub fn parse(body: &Bytes) -> Result<Command, CodecError> {
        let malformed = |name: &[u8]| CodecError::MalformedCommand { name: escape(name) };
        let Some(&name_len) = body.first() else {
            return Err(malformed(b""));
        };
        let name_end = 1 + usize::from(name_len);
        if name_len == 0 || body.len() < name_end {
            return Err(malformed(b""));
        }
        let name = &body[1..name_end];
        let data = body.slice(name_end..);
        let command = match name {
            b"READY" => Command::Ready(Metadata::parse(&data)?),
            b"ERROR" => {
                // "error-reason = short-size 0*255VCHAR"
                let Some(&len) = data.first() else {
                    return Err(malformed(name));
                };
                let end = 1 + usize::from(len);
                if data.len() < end {
                    return Err(malformed(name));
                }
                Command::Error {
                    reason: data.slice(1..end),
                }
            }
            b"SUBSCRIBE" => Command::Subscribe(data),
            b"CANCEL" => Command::Cancel(data),
            b"PING" => {
                // "ping = command-size %d4 "PING" ping-ttl ping-context"
                if data.len() < 2 {
                    return Err(malformed(name));
                }
                let ttl = u16::from_be_bytes([data[0], data[1]]);
                let end = data.len().min(2 + MAX_PING_CONTEXT);
                Command::Ping {
                    ttl,
                    context: data.slice(2..end),
                }
            }
            b"PONG" => Command::Pong { context: data },
            _ => Command::Unknown {
                name: body.slice(1..name_end),
                data,
            },
        };
        Ok(command)
    }

    /// The command name as sent on the wire, e.g. `b"READY"`.
    pub fn name(&self) -> &[u8] {
        match self {
            Command::Ready(_) => b"READY",
            Command::Error { .. } => b"ERROR",
            Command::Subscribe(_) => b"SUBSCRIBE",
            Command::Cancel(_) => b"CANCEL",
            Command::Ping { .. } => b"PING",
            Command::Pong { .. } => b"PONG",
            Command::Unknown { name, .. } => name,
        }
    }

    /// The PONG answering this command if it is a PING: "When a peer
    /// receives a PING command it SHALL respond with a PONG command that
    /// echoes the ping-context". `None` for every other command.
    pub fn ping_reply(&self) -> Option<Command> {
        match self {
            Command::Ping { context, .. } => Some(Command::Pong {
                context: context.clone(),
            }),
            _ => None,
        }
    }

    /// Appends this command as a whole frame (header, name, data) to `dst`,
    /// choosing the long form when the body exceeds 255 octets.
    ///
    /// Fields longer than the grammar allows are cut: an ERROR reason to 255
    /// octets, a PING/PONG context to 16.
    ///
    /// # Panics
    ///
    /// If an `Unknown` command's name is empty or longer than 255 octets.
    pub fn encode(&self, dst: &mut BytesMut) {
        let name = self.name();
        assert!(
            (1..=255).contains(&name.len()),
            "command name must be 1 to 255 octets"
        );
        let data_len = match self {
            Command::Ready(metadata) => metadata.encoded_len(),
            Command::Error { reason } => 1 + reason.len().min(255),
            Command::Subscribe(topic) | Command::Cancel(topic) => topic.len(),
            Command::Ping { context, .. } => 2 + context.len().min(MAX_PING_CONTEXT),
            Command::Pong { context } => context.len().min(MAX_PING_CONTEXT),
            Command::Unknown { data, .. } => data.len(),
        };
        let header = FrameHeader::command(1 + name.len() + data_len);
        dst.reserve(header.encoded_len() + 1 + name.len() + data_len);
        header.encode(dst);
        dst.put_u8(name.len() as u8);
        dst.put_slice(name);
        match self {
            Command::Ready(metadata) => metadata.encode(dst),
            Command::Error { reason } => {
                let reason = &reason[..reason.len().min(255)];
                dst.put_u8(reason.len() as u8);
                dst.put_slice(reason);
            }
            Command::Subscribe(topic) | Command::Cancel(topic) => dst.put_slice(topic),
            Command::Ping { ttl, context } => {
                dst.put_u16(*ttl);
                dst.put_slice(&context[..context.len().min(MAX_PING_CONTEXT)]);
            }
            Command::Pong { context } => {
                dst.put_slice(&context[..context.len().min(MAX_PING_CONTEXT)])
            }
            Command::Unknown { data, .. } => dst.put_slice(data),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zmq::codec::{FrameDecoder, SocketType};

    fn b(octets: &[u8]) -> Bytes {
        Bytes::copy_from_slice(octets)
    }

    /// Exact frames (header included) and the command each carries; every
    /// row is checked in both directions.
    #[test]
    fn commands_round_trip_through_exact_bytes() {
        let subscribe_300 = [
            &[0x06, 0, 0, 0, 0, 0, 0, 0x01, 0x36, 0x09][..],
            b"SUBSCRIBE",
            &[b't'; 300],
        ]
        .concat();
        let cases: Vec<(&str, Vec<u8>, Command)> = vec![
            (
                "READY DEALER, RFC 23 worked example",
                b"\x04\x29\x05READY\x0bSocket-Type\x00\x00\x00\x06DEALER\x08Identity\x00\x00\x00\x00".to_vec(),
                Command::Ready(Metadata::for_socket(SocketType::Dealer, None)),
            ),
            (
                "READY REP as pyzmq sends it",
                b"\x04\x19\x05READY\x0bSocket-Type\x00\x00\x00\x03REP".to_vec(),
                Command::Ready(Metadata::for_socket(SocketType::Rep, None)),
            ),
            (
                "READY REQ with Identity me",
                b"\x04\x28\x05READY\x0bSocket-Type\x00\x00\x00\x03REQ\x08Identity\x00\x00\x00\x02me".to_vec(),
                Command::Ready(Metadata::for_socket(SocketType::Req, Some(b(b"me")))),
            ),
            (
                "ERROR",
                b"\x04\x0e\x05ERROR\x07Invalid".to_vec(),
                Command::Error { reason: b(b"Invalid") },
            ),
            ("SUBSCRIBE A", b"\x04\x0b\x09SUBSCRIBEA".to_vec(), Command::Subscribe(b(b"A"))),
            ("SUBSCRIBE all", b"\x04\x0a\x09SUBSCRIBE".to_vec(), Command::Subscribe(b(b""))),
            ("SUBSCRIBE 300-octet topic", subscribe_300, Command::Subscribe(b(&[b't'; 300]))),
            ("CANCEL A", b"\x04\x08\x06CANCELA".to_vec(), Command::Cancel(b(b"A"))),
            (
                "PING as libzmq sends it, TTL 1 s",
                b"\x04\x07\x04PING\x00\x0a".to_vec(),
                Command::Ping { ttl: 10, context: b(b"") },
            ),
            (
                "PING with context",
                b"\x04\x0d\x04PING\x01\x2cctx123".to_vec(),
                Command::Ping { ttl: 300, context: b(b"ctx123") },
            ),
            ("PONG", b"\x04\x0b\x04PONGctx123".to_vec(), Command::Pong { context: b(b"ctx123") }),
            (
                "unknown JOIN",
                b"\x04\x08\x04JOINgrp".to_vec(),
                Command::Unknown { name: b(b"JOIN"), data: b(b"grp") },
            ),
        ];
        let decoder = FrameDecoder::new();
        for (name, wire, command) in cases {
            let mut src = BytesMut::from(&wire[..]);
            let frame = decoder.decode(&mut src).unwrap().expect(name);
            assert!(frame.command && !frame.more && src.is_empty(), "{name}");
            assert_eq!(Command::parse(&frame.body).as_ref(), Ok(&command), "{name}");
            let mut dst = BytesMut::new();
            command.encode(&mut dst);
            assert_eq!(&dst[..], &wire[..], "{name}");
        }
    }

    #[test]
    fn ping_gets_a_pong_with_the_same_context() {
        let ping = Command::parse(&b(b"\x04PING\x00\x0actx123")).unwrap();
        let pong = ping.ping_reply().unwrap();
        let mut dst = BytesMut::new();
        pong.encode(&mut dst);
        assert_eq!(&dst[..], b"\x04\x0b\x04PONGctx123");
        assert_eq!(pong.ping_reply(), None);
    }

    #[test]
    fn long_contexts_and_reasons_are_cut_to_the_grammar() {
        let long_ping = [&b"\x04PING\x00\x00"[..], &[b'c'; 20]].concat();
        let parsed = Command::parse(&b(&long_ping)).unwrap();
        assert_eq!(
            parsed,
            Command::Ping {
                ttl: 0,
                context: b(&[b'c'; 16])
            }
        );

        let mut dst = BytesMut::new();
        Command::Pong {
            context: b(&[b'c'; 20]),
        }
        .encode(&mut dst);
        assert_eq!(dst.len(), 2 + 1 + 4 + 16);
        dst.clear();
        Command::Error {
            reason: b(&[b'r'; 300]),
        }
        .encode(&mut dst);
        assert_eq!(
            &dst[..9],
            &[0x06, 0, 0, 0, 0, 0, 0, 0x01, 0x06],
            "1 + 5 + 1 + 255 octets"
        );
        assert_eq!(dst[15], 255);
    }

    #[test]
    fn rejects_malformed_commands() {
        let malformed = |name: &str| Err(CodecError::MalformedCommand { name: name.into() });
        let cases: [(&str, &[u8], Result<Command, CodecError>); 7] = [
            ("empty body", b"", malformed("")),
            ("empty name", b"\x00READY", malformed("")),
            ("name past end", b"\x09PING", malformed("")),
            ("ping without ttl", b"\x04PING\x00", malformed("PING")),
            (
                "error without reason size",
                b"\x05ERROR",
                malformed("ERROR"),
            ),
            (
                "error reason past end",
                b"\x05ERROR\x05abc",
                malformed("ERROR"),
            ),
            (
                "ready with broken metadata",
                b"\x05READY\x0bSocket",
                Err(CodecError::MalformedMetadata),
            ),
        ];
        for (name, body, expected) in cases {
            assert_eq!(Command::parse(&b(body)), expected, "{name}");
        }
        assert_eq!(
            Command::parse(&b(b"\x05ERROR\x02okEXTRA")),
            Ok(Command::Error { reason: b(b"ok") }),
            "octets after the reason are ignored"
        );
        assert_eq!(
            Command::parse(&b(b"\x05ready")),
            Ok(Command::Unknown {
                name: b(b"ready"),
                data: b(b"")
            }),
            "names are exact"
        );
    }
}
