//! Latency benchmark, measuring side: libzmq's `perf/remote_lat` on
//! greenline's sockets, same arguments and result lines, so the other end
//! can be libzmq's `local_lat` (or `benches/peers`' `zmq_local_lat`).
//!
//! A REQ socket connects and does `roundtrip-count` request/reply round
//! trips of `message-size` bytes; the latency printed is half the mean
//! round trip, as libzmq computes it:
//!
//! ```text
//! message size: 64 [B]
//! roundtrip count: 100000
//! average latency: 25.123 [us]
//! ```
//!
//! Run: see `local_lat`.

use std::time::Instant;

use greenline::zmq::{self, Bytes};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        println!("usage: remote_lat <connect-to> <message-size> <roundtrip-count>");
        std::process::exit(1);
    }
    let connect_to = args[1].clone();
    let size: usize = args[2].parse().expect("message-size must be a number");
    let count: u64 = args[3].parse().expect("roundtrip-count must be a number");

    greenline::spawn(move || -> std::io::Result<()> {
        let ctx = zmq::Context::new();
        let s = ctx.socket(zmq::REQ)?;
        s.connect(&connect_to)?;
        // libzmq's tool sends the reply it got as the next request.
        let mut msg = Bytes::from(vec![0u8; size]);
        let watch = Instant::now();
        for _ in 0..count {
            s.send(msg, 0)?;
            msg = s.recv(0)?;
            assert_eq!(msg.len(), size, "message of incorrect size received");
        }
        let elapsed = watch.elapsed().as_micros() as f64;
        println!("message size: {size} [B]");
        println!("roundtrip count: {count}");
        println!(
            "average latency: {:.3} [us]",
            elapsed / (count as f64 * 2.0)
        );
        s.close()
    })
    .join()?
}
