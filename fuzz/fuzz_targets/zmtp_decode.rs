//! Feeds arbitrary bytes to every ZMTP decoder: greeting, frames (with small
//! limits, in a loop), commands and the handshake. None of them may panic.
//!
//! Run with `cargo +nightly fuzz run zmtp_decode` from the repository root.

#![no_main]

use bytes::{Bytes, BytesMut};
use greenline::zmq::codec::{Command, FrameDecoder, Greeting, Handshake, SocketType, Subscription};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = Greeting::decode(data);
    let decoder = FrameDecoder::new().with_max_message_size(Some(64)).with_max_command_size(64);
    let mut src = BytesMut::from(data);
    while let Ok(Some(frame)) = decoder.decode(&mut src) {
        if frame.command {
            if let Ok(command) = Command::parse(&frame.body) {
                let _ = command.ping_reply();
                command.encode(&mut BytesMut::new());
            }
        } else {
            let _ = Subscription::from_message(&frame.body);
        }
    }
    let _ = Command::parse(&Bytes::copy_from_slice(data));
    let mut handshake = Handshake::new(SocketType::Dealer, None);
    let _ = handshake.advance(&mut BytesMut::from(data), &mut BytesMut::new());
});
