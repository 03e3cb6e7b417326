//! Latency benchmark over `inproc://`: libzmq's `perf/inproc_lat` on
//! greenline's sockets, same arguments and result lines. A REQ in the main
//! greenlet and a REP greenlet (libzmq: a thread) over `inproc://lat_test`;
//! the latency printed is half the mean round trip.
//!
//! Run: `cargo run --release --example inproc_lat -- 64 100000`
//! (compare `benches/peers`' `zmq_inproc_lat 64 100000`).

use std::time::Instant;

use greenline::zmq::{self, Bytes};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        println!("usage: inproc_lat <message-size> <roundtrip-count>");
        std::process::exit(1);
    }
    let size: usize = args[1].parse().expect("message-size must be a number");
    let count: u64 = args[2].parse().expect("roundtrip-count must be a number");

    greenline::spawn(move || -> std::io::Result<()> {
        let ctx = zmq::Context::new();
        let s = ctx.socket(zmq::REQ)?;
        s.bind("inproc://lat_test")?;
        let rep = ctx.socket(zmq::REP)?;
        let worker = greenline::spawn(move || -> std::io::Result<()> {
            rep.connect("inproc://lat_test")?;
            for _ in 0..count {
                let msg = rep.recv(0)?;
                rep.send(msg, 0)?;
            }
            rep.close()
        });
        println!("message size: {size} [B]");
        println!("roundtrip count: {count}");
        let mut msg = Bytes::from(vec![0u8; size]);
        let watch = Instant::now();
        for _ in 0..count {
            s.send(msg, 0)?;
            msg = s.recv(0)?;
            assert_eq!(msg.len(), size, "message of incorrect size received");
        }
        let elapsed = watch.elapsed().as_micros() as f64;
        worker.get()?;
        println!(
            "average latency: {:.3} [us]",
            elapsed / (count as f64 * 2.0)
        );
        s.close()
    })
    .join()?
}
