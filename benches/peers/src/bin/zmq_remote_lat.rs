//! libzmq's `remote_lat` on libzmq 4.3.4 through the `zmq` crate: a REQ
//! socket connects, does `roundtrip-count` request/reply round trips of
//! `message-size` bytes and prints libzmq's result lines (latency = half a
//! round trip).
//!
//! Usage: `zmq_remote_lat <connect-to> <message-size> <roundtrip-count>`

use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        println!("usage: remote_lat <connect-to> <message-size> <roundtrip-count>");
        std::process::exit(1);
    }
    let size: usize = args[2].parse().expect("message-size");
    let count: usize = args[3].parse().expect("roundtrip-count");
    let ctx = zmq::Context::new();
    let s = ctx.socket(zmq::REQ).expect("zmq_socket");
    s.connect(&args[1]).expect("zmq_connect");
    let body = vec![0u8; size];
    let mut msg = zmq::Message::new();
    let watch = Instant::now();
    for _ in 0..count {
        s.send(&body[..], 0).expect("zmq_sendmsg");
        s.recv(&mut msg, 0).expect("zmq_recvmsg");
        assert_eq!(msg.len(), size, "message of incorrect size received");
    }
    let elapsed = watch.elapsed().as_micros() as f64;
    let latency = elapsed / (count as f64 * 2.0);
    println!("message size: {size} [B]");
    println!("roundtrip count: {count}");
    println!("average latency: {latency:.3} [us]");
}
