//! libzmq's `inproc_lat` on libzmq 4.3.4 through the `zmq` crate: a REQ in
//! the main thread and a REP in a second thread over `inproc://lat_test`;
//! libzmq's result lines (latency = half a round trip).
//!
//! Usage: `zmq_inproc_lat <message-size> <roundtrip-count>`

use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        println!("usage: inproc_lat <message-size> <roundtrip-count>");
        std::process::exit(1);
    }
    let size: usize = args[1].parse().expect("message-size");
    let count: usize = args[2].parse().expect("roundtrip-count");
    let ctx = zmq::Context::new();
    let s = ctx.socket(zmq::REQ).expect("zmq_socket");
    s.bind("inproc://lat_test").expect("zmq_bind");
    let wctx = ctx.clone();
    let worker = std::thread::spawn(move || {
        let s = wctx.socket(zmq::REP).expect("zmq_socket");
        s.connect("inproc://lat_test").expect("zmq_connect");
        let mut msg = zmq::Message::new();
        for _ in 0..count {
            s.recv(&mut msg, 0).expect("zmq_recvmsg");
            s.send(&msg[..], 0).expect("zmq_sendmsg");
        }
    });
    let body = vec![0u8; size];
    let mut msg = zmq::Message::new();
    println!("message size: {size} [B]");
    println!("roundtrip count: {count}");
    let watch = Instant::now();
    for _ in 0..count {
        s.send(&body[..], 0).expect("zmq_sendmsg");
        s.recv(&mut msg, 0).expect("zmq_recvmsg");
        assert_eq!(msg.len(), size, "message of incorrect size received");
    }
    let elapsed = watch.elapsed().as_micros() as f64;
    worker.join().unwrap();
    println!(
        "average latency: {:.3} [us]",
        elapsed / (count as f64 * 2.0)
    );
}
