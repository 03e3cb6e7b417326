//! Throughput benchmark, receiving side: libzmq's `perf/local_thr` on
//! greenline's sockets, same arguments and result lines, so either end can
//! be libzmq's own tool (or `benches/peers`' `zmq_local_thr`).
//!
//! A PULL socket binds, receives `message-count` messages of
//! `message-size` bytes (timing starts at the first one) and prints:
//!
//! ```text
//! message size: 64 [B]
//! message count: 1000000
//! mean throughput: 2500000 [msg/s]
//! mean throughput: 1280.000 [Mb/s]
//! ```
//!
//! Run: `cargo run --release --example local_thr -- tcp://127.0.0.1:5555 64 1000000`
//! then `cargo run --release --example remote_thr -- tcp://127.0.0.1:5555 64 1000000`.
//! The loop runs in a greenlet, as a gevent program would; see BENCHMARKS.md.

use std::time::Instant;

use greenline::zmq;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        println!("usage: local_thr <bind-to> <message-size> <message-count>");
        std::process::exit(1);
    }
    let bind_to = args[1].clone();
    let size: usize = args[2].parse().expect("message-size must be a number");
    let count: u64 = args[3].parse().expect("message-count must be a number");

    greenline::spawn(move || -> std::io::Result<()> {
        let ctx = zmq::Context::new();
        let s = ctx.socket(zmq::PULL)?;
        s.bind(&bind_to)?;
        let check = |m: &[u8]| assert_eq!(m.len(), size, "message of incorrect size received");
        check(&s.recv(0)?);
        let watch = Instant::now();
        for _ in 1..count {
            check(&s.recv(0)?);
        }
        let elapsed = (watch.elapsed().as_micros() as u64).max(1);
        let throughput = count as f64 / elapsed as f64 * 1_000_000.0;
        let megabits = throughput * size as f64 * 8.0 / 1_000_000.0;
        println!("message size: {size} [B]");
        println!("message count: {count}");
        println!("mean throughput: {} [msg/s]", throughput as i64);
        println!("mean throughput: {megabits:.3} [Mb/s]");
        s.close()
    })
    .join()?
}
