//! Feeds arbitrary bytes to every ZMTP decoder: greeting, frames (with small
//! limits, in a loop), commands and the handshake. None of them may panic.
//!
//! The handshake gets the input the way a socket does: split into two reads
//! at a point the input picks, for a socket type the input picks, and half
//! the time behind a valid libzmq greeting so the fuzzer reaches the READY
//! and socket-type checks at once. Whatever follows a completed handshake
//! goes to a frame decoder, as the connection's reader would.
//!
//! Run with `cargo +nightly fuzz run zmtp_decode` from the repository root.

#![no_main]

use bytes::{Bytes, BytesMut};
use greenline::zmq::codec::{Command, FrameDecoder, Greeting, Handshake, SocketType, Subscription};
use libfuzzer_sys::fuzz_target;

fn frames(decoder: &FrameDecoder, src: &mut BytesMut) {
    while let Ok(Some(frame)) = decoder.decode(src) {
        if frame.command {
            if let Ok(command) = Command::parse(&frame.body) {
                let _ = command.ping_reply();
                let _ = Subscription::from_command(&command);
                command.encode(&mut BytesMut::new());
            }
        } else {
            let _ = Subscription::from_message(&frame.body);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = Greeting::decode(data);
    let decoder = FrameDecoder::new()
        .with_max_message_size(Some(64))
        .with_max_command_size(64);
    frames(&decoder, &mut BytesMut::from(data));
    let _ = Command::parse(&Bytes::copy_from_slice(data));

    // The handshake, driven like engine.rs drives it.
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    let kind = SocketType::ALL[usize::from(control & 0x0f) % SocketType::ALL.len()];
    let mut input = Vec::new();
    if control & 0x10 != 0 {
        // libzmq's greeting: padding octet 8 is not zero, version 3.1.
        let mut greeting = Greeting::ours().to_bytes();
        greeting[8] = 1;
        input.extend_from_slice(&greeting);
    }
    input.extend_from_slice(rest);
    let split = usize::from(control >> 5) * input.len() / 8;
    let mut handshake = Handshake::new(kind, None).with_decoder(decoder);
    let (mut src, mut out) = (BytesMut::new(), BytesMut::new());
    for chunk in [&input[..split], &input[split..]] {
        src.extend_from_slice(chunk);
        match handshake.advance(&mut src, &mut out) {
            Ok(None) => {}
            Ok(Some(_peer)) => {
                frames(&decoder, &mut src);
                return;
            }
            Err(_) => return,
        }
    }
});
