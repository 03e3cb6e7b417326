//! Throughput benchmark, sending side: libzmq's `perf/remote_thr` on
//! greenline's sockets, same arguments, so the other end can be libzmq's
//! `local_thr` (or `benches/peers`' `zmq_local_thr`).
//!
//! A PUSH socket connects and sends `message-count` messages of
//! `message-size` zero bytes, then closes with an unbounded linger so every
//! message is delivered before the process exits (libzmq's default). Prints
//! nothing: the receiver reports.
//!
//! Run: see `local_thr`, e.g.
//! `cargo run --release --example remote_thr -- tcp://127.0.0.1:5555 64 1000000`.

use greenline::zmq;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        println!("usage: remote_thr <connect-to> <message-size> <message-count>");
        std::process::exit(1);
    }
    let connect_to = args[1].clone();
    let size: usize = args[2].parse().expect("message-size must be a number");
    let count: u64 = args[3].parse().expect("message-count must be a number");

    greenline::spawn(move || -> std::io::Result<()> {
        let ctx = zmq::Context::new();
        let s = ctx.socket(zmq::PUSH)?;
        s.set_linger(None);
        s.connect(&connect_to)?;
        for _ in 0..count {
            // A fresh buffer per message, as libzmq's tool inits one per send.
            s.send(vec![0u8; size], 0)?;
        }
        s.close()
    })
    .join()?
}
