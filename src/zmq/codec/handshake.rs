//! The NULL handshake as a sans-I/O state machine.
//!
//! ```text
//!  Start ──advance()──▶ Greeting ──peer greeting ok──▶ Ready ──peer READY ok──▶ Done
//!  (writes our            │      (writes our READY)     │              (returns PeerInfo)
//!   greeting)             │                             │
//!                         ▼ bad greeting                ▼ ERROR, bad socket type,
//!                       Failed                        Failed  message, other command
//! ```
//!
//! We send our READY as soon as the peer's greeting checks out, whatever our
//! role: RFC 37 has the client speak first and the server reply, but libzmq is
//! symmetric (`null_mechanism.cpp` produces READY without waiting), and a
//! server that waited for a libzmq client that also waited would deadlock.

use bytes::{Buf, Bytes, BytesMut};

use super::command::Command;
use super::decoder::FrameDecoder;
use super::error::{escape, CodecError};
use super::frame::FrameHeader;
use super::greeting::{Greeting, Version};
use super::metadata::Metadata;
use super::socket_type::SocketType;
use super::Status;

/// What the handshake learned about the peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerInfo {
    /// The version from the peer's greeting; decides the subscription
    /// encoding (see [`Version::uses_subscribe_commands`]).
    pub version: Version,
    /// The peer's `Socket-Type`, already checked against ours; `None` if the
    /// peer sent none.
    pub socket_type: Option<SocketType>,
    /// The peer's `Identity`, if it sent one (possibly empty).
    pub identity: Option<Bytes>,
    /// Every property of the peer's READY, unknown ones included.
    pub metadata: Metadata,
}

/// Where the handshake stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Nothing sent yet: the next `advance` writes our greeting.
    Start,
    /// Waiting for the peer's 64-octet greeting.
    Greeting,
    /// Greeting exchanged and our READY written; waiting for the peer's.
    Ready(Version),
    /// Finished: the caller owns the connection's traffic now.
    Done,
    /// A protocol error was returned; the connection must close.
    Failed,
}

/// The ZMTP 3.1 NULL handshake for one connection: greetings, then READY
/// both ways, then a socket-type check.
///
/// Sans-I/O: the caller reads into a `BytesMut`, calls [`advance`], and
/// writes out whatever `advance` appended to its output buffer.
///
/// # Examples
///
/// Two handshakes talking to each other through buffers, as two sockets
/// would through TCP:
///
/// ```
/// use bytes::BytesMut;
/// use greenline::zmq::codec::{Handshake, SocketType};
///
/// let mut dealer = Handshake::new(SocketType::Dealer, None);
/// let mut router = Handshake::new(SocketType::Router, None);
/// let (mut to_router, mut to_dealer) = (BytesMut::new(), BytesMut::new());
/// let (mut dealer_saw, mut router_saw) = (None, None);
/// // Each call reads what the other wrote and writes what is due: first the
/// // greeting, then READY once the peer's greeting is in.
/// while dealer_saw.is_none() || router_saw.is_none() {
///     if dealer_saw.is_none() {
///         dealer_saw = dealer.advance(&mut to_dealer, &mut to_router)?;
///     }
///     if router_saw.is_none() {
///         router_saw = router.advance(&mut to_router, &mut to_dealer)?;
///     }
/// }
/// assert_eq!(dealer_saw.unwrap().socket_type, Some(SocketType::Router));
/// assert_eq!(router_saw.unwrap().socket_type, Some(SocketType::Dealer));
/// # Ok::<(), greenline::zmq::codec::CodecError>(())
/// ```
///
/// [`advance`]: Handshake::advance
#[derive(Clone, Debug)]
pub struct Handshake {
    /// Our socket type: announced in READY and checked against the peer's.
    socket_type: SocketType,
    /// Our identity, announced by REQ, DEALER and ROUTER sockets.
    identity: Option<Bytes>,
    /// Bounds the peer's READY frame.
    decoder: FrameDecoder,
    /// Progress so far.
    state: State,
}

impl Handshake {
    /// A handshake for a socket of `socket_type`, announcing `identity` if the
    /// type sends one ([`SocketType::sends_identity`]).
    pub fn new(socket_type: SocketType, identity: Option<Bytes>) -> Handshake {
        Handshake {
            socket_type,
            identity,
            decoder: FrameDecoder::new(),
            state: State::Start,
        }
    }

    /// Uses `decoder`'s command limit for the peer's READY (the default is
    /// [`FrameDecoder::DEFAULT_MAX_COMMAND_SIZE`]).
    pub fn with_decoder(mut self, decoder: FrameDecoder) -> Handshake {
        self.decoder = decoder;
        self
    }

    /// Whether the handshake has completed successfully.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Consumes handshake bytes from the front of `src`, appends what we must
    /// send to `out`, and returns the peer's details once both READYs are
    /// exchanged.
    ///
    /// The first call writes our whole greeting, so make it before the first
    /// read (`src` may be empty): a libzmq peer waits for our first 10 octets
    /// before sending the rest of its own. Returns `Ok(None)` while more input
    /// is needed; always flush `out`, even then. On `Ok(Some(_))` any octets
    /// left in `src` are traffic (the peer may send messages right after its
    /// READY): hand them to a [`FrameDecoder`].
    ///
    /// # Errors
    ///
    /// Greeting errors from [`Greeting::decode`], frame limits from
    /// [`FrameDecoder::decode`], READY parse errors from [`Command::parse`],
    /// and:
    /// - [`CodecError::IncompatibleSocketType`] or
    ///   [`CodecError::UnknownSocketType`]: an ERROR command has been appended
    ///   to `out`; flush it, then close.
    /// - [`CodecError::PeerError`] if the peer sent ERROR.
    /// - [`CodecError::UnexpectedCommand`] or [`CodecError::UnexpectedMessage`]
    ///   if anything but READY or ERROR arrives first.
    ///
    /// After an error the connection must be closed.
    ///
    /// # Panics
    ///
    /// If called again after it returned the peer or an error.
    pub fn advance(
        &mut self,
        src: &mut BytesMut,
        out: &mut BytesMut,
    ) -> Result<Option<PeerInfo>, CodecError> {
        let result = self.step(src, out);
        if result.is_err() {
            self.state = State::Failed;
        }
        result
    }

    /// [`advance`](Handshake::advance) without the bookkeeping for errors.
    fn step(
        &mut self,
        src: &mut BytesMut,
        out: &mut BytesMut,
    ) -> Result<Option<PeerInfo>, CodecError> {
        loop {
            match self.state {
                State::Start => {
                    // RFC 23: "A peer that reads a full greeting, including
                    // mechanism, MUST also send a full greeting": we send ours
                    // whole and first, so no peer can deadlock waiting for it.
                    Greeting::ours().encode(out);
                    self.state = State::Greeting;
                }
                State::Greeting => {
                    let Status::Complete(greeting, used) = Greeting::decode(src)? else {
                        return Ok(None);
                    };
                    src.advance(used);
                    // RFC 23: "each peer MUST send its READY command before
                    // attempting to receive" (libzmq does the same).
                    let ours = Metadata::for_socket(self.socket_type, self.identity.clone());
                    Command::Ready(ours).encode(out);
                    self.state = State::Ready(greeting.version);
                }
                State::Ready(version) => {
                    // Refuse a message frame from its header: waiting for its
                    // body first would let a peer make us buffer any amount
                    // (message frames have no limit of their own here).
                    if let Status::Complete(header, _) = FrameHeader::decode(src) {
                        if !header.command {
                            return Err(CodecError::UnexpectedMessage);
                        }
                    }
                    let Some(frame) = self.decoder.decode(src)? else {
                        return Ok(None);
                    };
                    let metadata = match Command::parse(&frame.body)? {
                        Command::Ready(metadata) => metadata,
                        Command::Error { reason } => {
                            return Err(CodecError::PeerError {
                                reason: escape(&reason),
                            });
                        }
                        other => {
                            return Err(CodecError::UnexpectedCommand {
                                name: escape(other.name()),
                            });
                        }
                    };
                    let socket_type = self.check_socket_type(&metadata, out)?;
                    self.state = State::Done;
                    let identity = metadata.identity().cloned();
                    return Ok(Some(PeerInfo {
                        version,
                        socket_type,
                        identity,
                        metadata,
                    }));
                }
                State::Done | State::Failed => {
                    panic!("Handshake::advance called after it finished")
                }
            }
        }
    }

    /// Checks the peer's Socket-Type against ours, appending an ERROR to `out`
    /// when it is refused.
    ///
    /// RFC 23: "When a peer validates the socket type, it SHOULD handle errors
    /// by returning an ERROR command, and then disconnecting the peer."
    /// (libzmq itself only disconnects; it ignores an ERROR after READY.)
    fn check_socket_type(
        &self,
        metadata: &Metadata,
        out: &mut BytesMut,
    ) -> Result<Option<SocketType>, CodecError> {
        let checked = metadata.socket_type().and_then(|peer| match peer {
            Some(peer) if !self.socket_type.is_compatible(peer) => {
                Err(CodecError::IncompatibleSocketType {
                    ours: self.socket_type,
                    peer,
                })
            }
            _ => Ok(peer),
        });
        if let Err(error) = &checked {
            Command::Error {
                reason: Bytes::from(error.to_string()),
            }
            .encode(out);
        }
        checked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// libzmq 4.3.5's greeting: padding octet 8 is `01`, version 3.1.
    fn libzmq_greeting() -> Vec<u8> {
        let mut greeting = Greeting::ours().to_bytes().to_vec();
        greeting[8] = 0x01;
        greeting
    }

    const READY_DEALER: &[u8] =
        b"\x04\x29\x05READY\x0bSocket-Type\x00\x00\x00\x06DEALER\x08Identity\x00\x00\x00\x00";
    /// RFC 23 §"Worked Example": the ROUTER's reply, without Identity.
    const READY_ROUTER: &[u8] = b"\x04\x1c\x05READY\x0bSocket-Type\x00\x00\x00\x06ROUTER";

    #[test]
    fn dealer_meets_a_libzmq_router_greeting_in_two_parts() {
        let mut handshake = Handshake::new(SocketType::Dealer, None);
        let (mut src, mut out) = (BytesMut::new(), BytesMut::new());
        assert_eq!(handshake.advance(&mut src, &mut out), Ok(None));
        assert_eq!(
            &out[..],
            &Greeting::ours().to_bytes()[..],
            "greeting before any read"
        );
        out.clear();

        let greeting = libzmq_greeting();
        src.extend_from_slice(&greeting[..10]);
        assert_eq!(handshake.advance(&mut src, &mut out), Ok(None));
        assert!(out.is_empty());
        src.extend_from_slice(&greeting[10..]);
        assert_eq!(handshake.advance(&mut src, &mut out), Ok(None));
        assert_eq!(&out[..], READY_DEALER);
        assert!(src.is_empty());

        src.extend_from_slice(READY_ROUTER);
        src.extend_from_slice(b"\x00\x02hi"); // traffic right after READY
        let peer = handshake.advance(&mut src, &mut out).unwrap().unwrap();
        assert_eq!(peer.version, Version::V3_1);
        assert_eq!(peer.socket_type, Some(SocketType::Router));
        assert_eq!(peer.identity, None);
        assert!(handshake.is_done());
        assert_eq!(
            &src[..],
            b"\x00\x02hi",
            "traffic stays for the frame decoder"
        );
    }

    #[test]
    fn two_handshakes_complete_against_each_other() {
        let mut req = Handshake::new(SocketType::Req, Some(Bytes::from_static(b"me")));
        let mut rep = Handshake::new(SocketType::Rep, None);
        let (mut to_rep, mut to_req) = (BytesMut::new(), BytesMut::new());
        let (mut req_peer, mut rep_peer) = (None, None);
        for _ in 0..3 {
            if req_peer.is_none() {
                req_peer = req.advance(&mut to_req, &mut to_rep).unwrap();
            }
            if rep_peer.is_none() {
                rep_peer = rep.advance(&mut to_rep, &mut to_req).unwrap();
            }
        }
        let (req_peer, rep_peer) = (req_peer.unwrap(), rep_peer.unwrap());
        assert_eq!(req_peer.socket_type, Some(SocketType::Rep));
        assert_eq!(rep_peer.socket_type, Some(SocketType::Req));
        assert_eq!(rep_peer.identity, Some(Bytes::from_static(b"me")));
        assert_eq!(rep_peer.version, Version::V3_1);
    }

    /// The peer's socket type, or the error.
    type Expected = Result<Option<SocketType>, CodecError>;

    /// Peer READY-phase frames, what our DEALER makes of them, and whether it
    /// answers with ERROR.
    #[test]
    fn refuses_bad_peers_after_the_greeting() {
        let cases: [(&str, &[u8], Expected, bool); 8] = [
            ("no Socket-Type", b"\x04\x06\x05READY", Ok(None), false),
            (
                "PUSH may not talk to DEALER",
                b"\x04\x1a\x05READY\x0bSocket-Type\x00\x00\x00\x04PUSH",
                Err(CodecError::IncompatibleSocketType {
                    ours: SocketType::Dealer,
                    peer: SocketType::Push,
                }),
                true,
            ),
            (
                "draft type",
                b"\x04\x1c\x05READY\x0bSocket-Type\x00\x00\x00\x06SERVER",
                Err(CodecError::UnknownSocketType {
                    name: "SERVER".into(),
                }),
                true,
            ),
            (
                "peer ERROR",
                b"\x04\x0d\x05ERROR\x06denied",
                Err(CodecError::PeerError {
                    reason: "denied".into(),
                }),
                false,
            ),
            (
                "PING before READY",
                b"\x04\x07\x04PING\x00\x00",
                Err(CodecError::UnexpectedCommand {
                    name: "PING".into(),
                }),
                false,
            ),
            (
                "message before READY",
                b"\x00\x01x",
                Err(CodecError::UnexpectedMessage),
                false,
            ),
            (
                "huge message header before READY",
                b"\x02\x00\x00\x01\x00\x00\x00\x00\x00",
                Err(CodecError::UnexpectedMessage),
                false,
            ),
            (
                "huge READY",
                b"\x06\x00\x00\x00\x00\x01\x00\x00\x00",
                Err(CodecError::CommandTooLarge {
                    size: 1 << 24,
                    max: 1 << 16,
                }),
                false,
            ),
        ];
        for (name, frame, expected, error_sent) in cases {
            let mut handshake = Handshake::new(SocketType::Dealer, None);
            let mut src = BytesMut::from(&libzmq_greeting()[..]);
            src.extend_from_slice(frame);
            let mut out = BytesMut::new();
            let result = handshake.advance(&mut src, &mut out);
            assert_eq!(
                result.map(|peer| peer.unwrap().socket_type),
                expected,
                "{name}"
            );
            let sent = out.split_off(64 + READY_DEALER.len());
            assert_eq!(sent.starts_with(b"\x04"), error_sent, "{name}: ERROR sent?");
            if error_sent {
                assert_eq!(&sent[2..8], b"\x05ERROR", "{name}");
            }
        }
    }

    #[test]
    fn a_bad_greeting_fails_before_ready_is_sent() {
        let mut handshake = Handshake::new(SocketType::Pull, None);
        let mut src = BytesMut::from(&libzmq_greeting()[..11]);
        src[10] = 2;
        let mut out = BytesMut::new();
        assert_eq!(
            handshake.advance(&mut src, &mut out),
            Err(CodecError::UnsupportedVersion { major: 2 })
        );
        assert_eq!(out.len(), 64, "only our greeting");
        assert!(!handshake.is_done());
    }

    #[test]
    #[should_panic(expected = "after it finished")]
    fn advancing_a_failed_handshake_panics() {
        let mut handshake = Handshake::new(SocketType::Pull, None);
        let (mut src, mut out) = (BytesMut::from(&b"\x00"[..]), BytesMut::new());
        assert!(handshake.advance(&mut src, &mut out).is_err());
        let _ = handshake.advance(&mut src, &mut out);
    }
}
