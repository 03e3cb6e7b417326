//! Subscriptions in both encodings: ZMTP 3.0 messages and 3.1 commands.
//!
//! ```text
//! ZMTP 3.0 (RFC 23):  subscribe   = %x00 short-size %d1 subscription
//!                     unsubscribe = %x00 short-size %d0 subscription
//! ZMTP 3.1 (RFC 37):  subscribe   = command-size %d9 "SUBSCRIBE" subscription
//!                     cancel      = command-size %d6 "CANCEL" subscription
//! ```
//!
//! A publisher accepts both from any peer (as libzmq's XPUB does); a
//! subscriber sends commands to 3.1 peers and messages to 3.0 peers.

use bytes::{BufMut, Bytes, BytesMut};

use super::command::Command;
use super::frame::FrameHeader;
use super::greeting::Version;

/// A subscription change sent by a SUB or XSUB peer.
///
/// RFC 37: "A subscription of "A" SHALL match all messages starting with "A".
/// An empty subscription SHALL match all messages." Subscriptions are
/// counted: two `Subscribe("A")` need two `Cancel("A")`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subscription {
    /// Start receiving messages whose first frame starts with the topic.
    Subscribe(Bytes),
    /// Drop one earlier subscription to the topic.
    Cancel(Bytes),
}

impl Subscription {
    /// The topic prefix this change is about.
    pub fn topic(&self) -> &Bytes {
        match self {
            Subscription::Subscribe(topic) | Subscription::Cancel(topic) => topic,
        }
    }

    /// Recognises a ZMTP 3.0 subscription message: a single-frame message
    /// whose body starts with `0x01` (subscribe) or `0x00` (cancel). The
    /// topic shares `body`'s memory.
    ///
    /// Returns `None` for an empty body or any other first octet, which is
    /// not a subscription (a PUB ignores it, an XPUB passes it on). The
    /// caller checks that the message has exactly one frame.
    pub fn from_message(body: &Bytes) -> Option<Subscription> {
        match body.first()? {
            1 => Some(Subscription::Subscribe(body.slice(1..))),
            0 => Some(Subscription::Cancel(body.slice(1..))),
            _ => None,
        }
    }

    /// Recognises a ZMTP 3.1 SUBSCRIBE or CANCEL command; `None` for any other
    /// command.
    pub fn from_command(command: &Command) -> Option<Subscription> {
        match command {
            Command::Subscribe(topic) => Some(Subscription::Subscribe(topic.clone())),
            Command::Cancel(topic) => Some(Subscription::Cancel(topic.clone())),
            _ => None,
        }
    }

    /// The ZMTP 3.0 message body: `0x01` or `0x00`, then the topic. This is
    /// also how an XPUB hands subscriptions to its application.
    pub fn to_message(&self) -> Bytes {
        let mut body = BytesMut::with_capacity(1 + self.topic().len());
        body.put_u8(match self {
            Subscription::Subscribe(_) => 1,
            Subscription::Cancel(_) => 0,
        });
        body.put_slice(self.topic());
        body.freeze()
    }

    /// The ZMTP 3.1 command.
    pub fn to_command(&self) -> Command {
        match self {
            Subscription::Subscribe(topic) => Command::Subscribe(topic.clone()),
            Subscription::Cancel(topic) => Command::Cancel(topic.clone()),
        }
    }

    /// Appends this change as a whole frame in the encoding a peer of
    /// `peer_version` expects: a command for 3.1 and later, a single-frame
    /// message for 3.0 (libzmq 4.3.3+ `v3_1_encoder.cpp` chooses the same
    /// way). Topics longer than 245 octets get a long frame either way (the
    /// frame the libzmq 4.3.4 bug got wrong).
    pub fn encode(&self, peer_version: Version, dst: &mut BytesMut) {
        if peer_version.uses_subscribe_commands() {
            self.to_command().encode(dst);
        } else {
            let body = self.to_message();
            FrameHeader::message(body.len(), false).encode(dst);
            dst.put_slice(&body);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(octets: &[u8]) -> Bytes {
        Bytes::copy_from_slice(octets)
    }

    /// The frames libzmq 4.3.5 was seen to send for SUBSCRIBE/CANCEL "A".
    #[test]
    fn encodes_per_peer_version() {
        let cases: [(Subscription, Version, &[u8]); 4] = [
            (
                Subscription::Subscribe(b(b"A")),
                Version::V3_1,
                b"\x04\x0b\x09SUBSCRIBEA",
            ),
            (
                Subscription::Cancel(b(b"A")),
                Version::V3_1,
                b"\x04\x08\x06CANCELA",
            ),
            (
                Subscription::Subscribe(b(b"A")),
                Version::V3_0,
                b"\x00\x02\x01A",
            ),
            (
                Subscription::Cancel(b(b"A")),
                Version::V3_0,
                b"\x00\x02\x00A",
            ),
        ];
        for (subscription, version, wire) in cases {
            let mut dst = BytesMut::new();
            subscription.encode(version, &mut dst);
            assert_eq!(&dst[..], wire, "{subscription:?} to {version:?}");
        }
    }

    #[test]
    fn a_246_octet_topic_needs_a_long_command_frame() {
        let mut dst = BytesMut::new();
        Subscription::Subscribe(b(&[b'x'; 246])).encode(Version::V3_1, &mut dst);
        assert_eq!(&dst[..10], &[0x06, 0, 0, 0, 0, 0, 0, 0x01, 0x00, 0x09]);
        assert_eq!(dst.len(), 9 + 256);
    }

    #[test]
    fn recognises_both_encodings() {
        let cases: [(&[u8], Option<Subscription>); 5] = [
            (b"\x01topic", Some(Subscription::Subscribe(b(b"topic")))),
            (b"\x00topic", Some(Subscription::Cancel(b(b"topic")))),
            (b"\x01", Some(Subscription::Subscribe(b(b"")))),
            (b"\x02topic", None),
            (b"", None),
        ];
        for (body, expected) in cases {
            let parsed = Subscription::from_message(&b(body));
            assert_eq!(parsed, expected, "{body:?}");
            if let Some(subscription) = parsed {
                assert_eq!(subscription.to_message(), b(body));
            }
        }
        let command = Command::Cancel(b(b"t"));
        assert_eq!(
            Subscription::from_command(&command),
            Some(Subscription::Cancel(b(b"t")))
        );
        assert_eq!(
            Subscription::from_command(&Command::Pong { context: b(b"") }),
            None
        );
        assert_eq!(
            Subscription::Subscribe(b(b"t")).to_command(),
            Command::Subscribe(b(b"t"))
        );
    }
}
