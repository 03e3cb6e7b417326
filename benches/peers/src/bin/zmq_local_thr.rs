//! libzmq's `local_thr` on libzmq 4.3.4 through the `zmq` crate: a PULL
//! socket binds, receives `message-count` messages of `message-size`
//! bytes, and prints libzmq's result lines (timing starts at the first
//! message, as in libzmq's tool).
//!
//! Usage: `zmq_local_thr <bind-to> <message-size> <message-count>`

use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        println!("usage: local_thr <bind-to> <message-size> <message-count>");
        std::process::exit(1);
    }
    let size: usize = args[2].parse().expect("message-size");
    let count: usize = args[3].parse().expect("message-count");
    let ctx = zmq::Context::new();
    let s = ctx.socket(zmq::PULL).expect("zmq_socket");
    s.bind(&args[1]).expect("zmq_bind");
    let mut msg = zmq::Message::new();
    s.recv(&mut msg, 0).expect("zmq_recvmsg");
    assert_eq!(msg.len(), size, "message of incorrect size received");
    let watch = Instant::now();
    for _ in 1..count {
        s.recv(&mut msg, 0).expect("zmq_recvmsg");
        assert_eq!(msg.len(), size, "message of incorrect size received");
    }
    let elapsed = (watch.elapsed().as_micros() as u64).max(1);
    let throughput = count as f64 / elapsed as f64 * 1_000_000.0;
    let megabits = throughput * size as f64 * 8.0 / 1_000_000.0;
    println!("message size: {size} [B]");
    println!("message count: {count}");
    println!("mean throughput: {} [msg/s]", throughput as i64);
    println!("mean throughput: {megabits:.3} [Mb/s]");
}
