//! libzmq's `inproc_thr` on libzmq 4.3.4 through the `zmq` crate: a PUSH
//! in a second thread sends `message-count` messages over
//! `inproc://thr_test` to a PULL in the main thread; libzmq's result lines.
//!
//! Usage: `zmq_inproc_thr <message-size> <message-count>`

use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        println!("usage: inproc_thr <message-size> <message-count>");
        std::process::exit(1);
    }
    let size: usize = args[1].parse().expect("message-size");
    let count: usize = args[2].parse().expect("message-count");
    let ctx = zmq::Context::new();
    let s = ctx.socket(zmq::PULL).expect("zmq_socket");
    s.bind("inproc://thr_test").expect("zmq_bind");
    let wctx = ctx.clone();
    let worker = std::thread::spawn(move || {
        let s = wctx.socket(zmq::PUSH).expect("zmq_socket");
        s.connect("inproc://thr_test").expect("zmq_connect");
        for _ in 0..count {
            s.send(zmq::Message::with_size(size), 0)
                .expect("zmq_sendmsg");
        }
    });
    println!("message size: {size} [B]");
    println!("message count: {count}");
    let mut msg = zmq::Message::new();
    s.recv(&mut msg, 0).expect("zmq_recvmsg");
    assert_eq!(msg.len(), size, "message of incorrect size received");
    let watch = Instant::now();
    for _ in 1..count {
        s.recv(&mut msg, 0).expect("zmq_recvmsg");
        assert_eq!(msg.len(), size, "message of incorrect size received");
    }
    let elapsed = (watch.elapsed().as_micros() as u64).max(1);
    worker.join().unwrap();
    let throughput = (count as f64 / elapsed as f64 * 1_000_000.0) as u64;
    let megabits = (throughput * size as u64 * 8) as f64 / 1_000_000.0;
    println!("mean throughput: {throughput} [msg/s]");
    println!("mean throughput: {megabits:.3} [Mb/s]");
}
