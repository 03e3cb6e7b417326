//! Throughput benchmark over `inproc://`: libzmq's `perf/inproc_thr` on
//! greenline's sockets, same arguments and result lines. A PUSH greenlet
//! (libzmq: a thread) sends `message-count` messages of `message-size`
//! bytes to a PULL in the main greenlet over `inproc://thr_test`.
//!
//! Run: `cargo run --release --example inproc_thr -- 64 1000000`
//! (compare `benches/peers`' `zmq_inproc_thr 64 1000000`).

use std::time::Instant;

use greenline::zmq;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        println!("usage: inproc_thr <message-size> <message-count>");
        std::process::exit(1);
    }
    let size: usize = args[1].parse().expect("message-size must be a number");
    let count: u64 = args[2].parse().expect("message-count must be a number");

    greenline::spawn(move || -> std::io::Result<()> {
        let ctx = zmq::Context::new();
        let s = ctx.socket(zmq::PULL)?;
        s.bind("inproc://thr_test")?;
        let push = ctx.socket(zmq::PUSH)?;
        let worker = greenline::spawn(move || -> std::io::Result<()> {
            push.connect("inproc://thr_test")?;
            for _ in 0..count {
                push.send(vec![0u8; size], 0)?;
            }
            push.close()
        });
        println!("message size: {size} [B]");
        println!("message count: {count}");
        let check = |m: &[u8]| assert_eq!(m.len(), size, "message of incorrect size received");
        check(&s.recv(0)?);
        let watch = Instant::now();
        for _ in 1..count {
            check(&s.recv(0)?);
        }
        let elapsed = (watch.elapsed().as_micros() as u64).max(1);
        worker.get()?;
        let throughput = (count as f64 / elapsed as f64 * 1_000_000.0) as u64;
        let megabits = (throughput * size as u64 * 8) as f64 / 1_000_000.0;
        println!("mean throughput: {throughput} [msg/s]");
        println!("mean throughput: {megabits:.3} [Mb/s]");
        s.close()
    })
    .join()?
}
