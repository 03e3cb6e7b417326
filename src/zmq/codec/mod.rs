//! The ZMTP 3.0/3.1 wire protocol, sans I/O.
//!
//! Everything here works on byte buffers: decoders take `&[u8]` (or split
//! frames off a [`BytesMut`](bytes::BytesMut) without copying) and return
//! "need more" or "complete (value, bytes used)"; encoders append to a
//! caller's `BytesMut`. Nothing here imports `may` or `std::net`, so the codec
//! is tested with byte tables and fuzzed (`fuzz/fuzz_targets/zmtp_decode.rs`).
//!
//! Only the NULL security mechanism is spoken; peers must be ZMTP 3.0 or later.
//! We announce 3.1.
//!
//! # The handshake
//!
//! ```text
//!   us (e.g. DEALER)                                      peer (e.g. libzmq ROUTER)
//!   │── greeting: ff 00*8 7f 03 01 "NULL" 00 00*31 ────▶│
//!   │◀── greeting: ff 00*7 01 7f ───────────────────────│  libzmq: 10 octets first,
//!   │◀── 03 01 "NULL" 00 ... (54 octets) ───────────────│  the rest after ours
//!   │   check signature, major >= 3, mechanism NULL     │
//!   │── READY Socket-Type=DEALER Identity= ────────────▶│  sent at once, any role
//!   │◀── READY Socket-Type=ROUTER ──────────────────────│  (before or after ours)
//!   │   check the pair is legal; if not: ERROR, close   │
//!   │◀══ messages, PING/PONG, SUBSCRIBE/CANCEL ════════▶│
//! ```
//!
//! [`Handshake`] runs this exchange; [`Greeting`], [`Command`] and
//! [`Metadata`] are the pieces if the socket layer wants to drive it itself.
//!
//! # Traffic
//!
//! After the handshake, [`FrameDecoder::decode`] splits [`Frame`]s off the
//! receive buffer. Message frames (MORE set on all but the last) are collected
//! into a message; command frames go to [`Command::parse`] and never reach the
//! socket pattern: PING is answered with [`Command::ping_reply`], SUBSCRIBE and
//! CANCEL (or ZMTP 3.0 subscription messages) become a [`Subscription`], and
//! anything else is ignored. [`encode_message`] and [`FrameHeader::write_to`]
//! produce the frames to send.

#![forbid(unsafe_code)]

mod command;
mod decoder;
mod error;
mod frame;
mod greeting;
mod handshake;
mod metadata;
mod socket_type;
mod subscription;

pub use self::command::{Command, MAX_PING_CONTEXT};
pub use self::decoder::FrameDecoder;
pub use self::error::CodecError;
pub use self::frame::{encode_message, Frame, FrameHeader};
pub use self::greeting::{Greeting, Version};
pub use self::handshake::{Handshake, PeerInfo};
pub use self::metadata::{Metadata, IDENTITY, SOCKET_TYPE};
pub use self::socket_type::SocketType;
pub use self::subscription::Subscription;

/// The outcome of decoding from a byte slice that may hold only part of a
/// value (httparse's `Status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status<T> {
    /// The slice held a whole value: the value, and how many octets from the
    /// start of the slice it used.
    Complete(T, usize),
    /// The slice ends before the value does; call again with more octets.
    Partial,
}

#[cfg(test)]
mod tests {
    use bytes::{Bytes, BytesMut};

    use super::*;

    /// A tiny xorshift64 generator: reproducible noise without a dependency.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    /// The same decode path as `fuzz/fuzz_targets/zmtp_decode.rs`: whatever
    /// the input, decoding returns a value or an error and never panics.
    /// Returns how many commands parsed, to show the noise gets that deep.
    fn decode_everything(input: &[u8]) -> usize {
        let mut commands = 0;
        let _ = Greeting::decode(input);
        let decoder = FrameDecoder::new()
            .with_max_message_size(Some(64))
            .with_max_command_size(64);
        let mut src = BytesMut::from(input);
        while let Ok(Some(frame)) = decoder.decode(&mut src) {
            if frame.command {
                if let Ok(command) = Command::parse(&frame.body) {
                    commands += 1;
                    let _ = command.ping_reply();
                    let _ = Subscription::from_command(&command);
                    command.encode(&mut BytesMut::new());
                }
            } else {
                let _ = Subscription::from_message(&frame.body);
            }
        }
        let _ = Command::parse(&Bytes::copy_from_slice(input));
        let mut handshake = Handshake::new(SocketType::Dealer, None);
        let mut src = BytesMut::from(input);
        let _ = handshake.advance(&mut src, &mut BytesMut::new());
        commands
    }

    #[test]
    fn random_input_never_panics() {
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let mut commands = 0;
        for round in 0..20_000 {
            let len = (rng.next() % 96) as usize;
            let mut noise: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            // Bias some rounds towards valid flags and small sizes, so frames
            // and commands get decoded rather than only rejected as partial.
            if round % 3 != 0 && noise.len() >= 2 {
                noise[0] &= 0x07;
                noise[1] %= 48;
                if noise.len() >= 3 && round % 2 == 0 {
                    noise[0] |= 0x04; // a command, with a short name
                    noise[2] %= 12;
                }
            }
            commands += decode_everything(&noise);
            // The same noise after a valid greeting reaches the handshake's
            // READY phase.
            let mut after_greeting = Greeting::ours().to_bytes().to_vec();
            after_greeting.extend_from_slice(&noise);
            decode_everything(&after_greeting);
        }
        assert!(commands > 1000, "only {commands} commands parsed");
    }
}
