//! The ZeroMQ socket types, their wire names and which pairs may connect.

use std::fmt;

/// A ZeroMQ socket type as announced in the `Socket-Type` property of READY.
///
/// Only the eleven RFC 23 types exist here; the RFC 37 draft types (CLIENT,
/// SERVER, RADIO, DISH, ...) are reported as
/// [`CodecError::UnknownSocketType`](super::CodecError::UnknownSocketType)
/// by the handshake.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SocketType {
    /// Exclusive pair (RFC 31).
    Pair,
    /// Publisher (RFC 29).
    Pub,
    /// Subscriber (RFC 29).
    Sub,
    /// Requester (RFC 28).
    Req,
    /// Replier (RFC 28).
    Rep,
    /// Asynchronous requester (RFC 28).
    Dealer,
    /// Asynchronous replier, addressing peers by identity (RFC 28).
    Router,
    /// Pipeline sink (RFC 30).
    Pull,
    /// Pipeline source (RFC 30).
    Push,
    /// Publisher that sees subscriptions (RFC 29).
    XPub,
    /// Subscriber that sends subscriptions as messages (RFC 29).
    XSub,
}

impl SocketType {
    /// All socket types, in declaration order.
    pub const ALL: [SocketType; 11] = [
        SocketType::Pair,
        SocketType::Pub,
        SocketType::Sub,
        SocketType::Req,
        SocketType::Rep,
        SocketType::Dealer,
        SocketType::Router,
        SocketType::Pull,
        SocketType::Push,
        SocketType::XPub,
        SocketType::XSub,
    ];

    /// The name sent on the wire in the `Socket-Type` property, e.g. `"DEALER"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SocketType::Pair => "PAIR",
            SocketType::Pub => "PUB",
            SocketType::Sub => "SUB",
            SocketType::Req => "REQ",
            SocketType::Rep => "REP",
            SocketType::Dealer => "DEALER",
            SocketType::Router => "ROUTER",
            SocketType::Pull => "PULL",
            SocketType::Push => "PUSH",
            SocketType::XPub => "XPUB",
            SocketType::XSub => "XSUB",
        }
    }

    /// Parses a wire name. The match is exact (upper case), as libzmq's is:
    /// the grammar in RFC 23 spells the names in capitals.
    ///
    /// Returns `None` for any other name, including the RFC 37 draft types.
    pub fn from_name(name: &[u8]) -> Option<SocketType> {
        SocketType::ALL
            .into_iter()
            .find(|t| t.as_str().as_bytes() == name)
    }

    /// Whether a socket of this type may talk to a peer of type `peer`.
    ///
    /// The relation is symmetric. RFC 23 §"The Socket-Type Property": "The
    /// peer SHOULD enforce that the other peer is using a valid socket type."
    ///
    /// ```text
    /// REQ: REP, ROUTER            PUB, XPUB: SUB, XSUB       PUSH: PULL
    /// REP: REQ, DEALER            SUB, XSUB: PUB, XPUB       PULL: PUSH
    /// DEALER: REP, DEALER, ROUTER                            PAIR: PAIR
    /// ROUTER: REQ, DEALER, ROUTER
    /// ```
    pub const fn is_compatible(self, peer: SocketType) -> bool {
        use SocketType::*;
        matches!(
            (self, peer),
            (Req, Rep | Router)
                | (Rep, Req | Dealer)
                | (Dealer, Rep | Dealer | Router)
                | (Router, Req | Dealer | Router)
                | (Pub | XPub, Sub | XSub)
                | (Sub | XSub, Pub | XPub)
                | (Push, Pull)
                | (Pull, Push)
                | (Pair, Pair)
        )
    }

    /// Whether libzmq announces an `Identity` property for this type (REQ,
    /// DEALER and ROUTER only, `mechanism.cpp::add_basic_properties`).
    ///
    /// RFC 23 §"The Identity Property": "A REQ, DEALER, or ROUTER peer
    /// connecting to a ROUTER MAY announce its identity [...] For all other
    /// socket types, the Identity property shall be ignored."
    pub const fn sends_identity(self) -> bool {
        matches!(
            self,
            SocketType::Req | SocketType::Dealer | SocketType::Router
        )
    }
}

impl fmt::Display for SocketType {
    /// Writes the wire name, e.g. `ROUTER`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::SocketType::{self, *};

    #[test]
    fn wire_names_round_trip_exactly() {
        let names = [
            "PAIR", "PUB", "SUB", "REQ", "REP", "DEALER", "ROUTER", "PULL", "PUSH", "XPUB", "XSUB",
        ];
        for (socket_type, name) in SocketType::ALL.into_iter().zip(names) {
            assert_eq!(socket_type.as_str(), name);
            assert_eq!(socket_type.to_string(), name);
            assert_eq!(SocketType::from_name(name.as_bytes()), Some(socket_type));
        }
        for bad in [&b"dealer"[..], b"Dealer", b"CLIENT", b"", b"DEALER\0"] {
            assert_eq!(SocketType::from_name(bad), None, "{bad:?}");
        }
    }

    /// The RFC 23 table, row by row: `*` marks a legal pair. Columns in the
    /// RFC's order: REQ REP DEALER ROUTER PUB XPUB SUB XSUB PUSH PULL PAIR.
    #[test]
    fn compatibility_matches_rfc_23_table_exhaustively() {
        let order = [
            Req, Rep, Dealer, Router, Pub, XPub, Sub, XSub, Push, Pull, Pair,
        ];
        let table = [
            "  .  *  .  *  .  .  .  .  .  .  .", // REQ
            "  *  .  *  .  .  .  .  .  .  .  .", // REP
            "  .  *  *  *  .  .  .  .  .  .  .", // DEALER
            "  *  .  *  *  .  .  .  .  .  .  .", // ROUTER
            "  .  .  .  .  .  .  *  *  .  .  .", // PUB
            "  .  .  .  .  .  .  *  *  .  .  .", // XPUB
            "  .  .  .  .  *  *  .  .  .  .  .", // SUB
            "  .  .  .  .  *  *  .  .  .  .  .", // XSUB
            "  .  .  .  .  .  .  .  .  .  *  .", // PUSH
            "  .  .  .  .  .  .  .  .  *  .  .", // PULL
            "  .  .  .  .  .  .  .  .  .  .  *", // PAIR
        ];
        let mut legal = 0;
        for (row, line) in order.into_iter().zip(table) {
            let marks: Vec<bool> = line.split_whitespace().map(|m| m == "*").collect();
            assert_eq!(marks.len(), 11);
            for (column, expected) in order.into_iter().zip(marks) {
                assert_eq!(row.is_compatible(column), expected, "{row} -> {column}");
                assert_eq!(
                    column.is_compatible(row),
                    expected,
                    "symmetry {column} -> {row}"
                );
                legal += usize::from(expected);
            }
        }
        assert_eq!(legal, 21);
    }

    #[test]
    fn identity_is_sent_by_req_dealer_router_only() {
        let senders: Vec<SocketType> = SocketType::ALL
            .into_iter()
            .filter(|t| t.sends_identity())
            .collect();
        assert_eq!(senders, [Req, Dealer, Router]);
    }
}
