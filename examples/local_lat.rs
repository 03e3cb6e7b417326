//! Latency benchmark, echoing side: libzmq's `perf/local_lat` on
//! greenline's sockets, same arguments, so the other end can be libzmq's
//! `remote_lat` (or `benches/peers`' `zmq_remote_lat`).
//!
//! A REP socket binds and sends back each of `roundtrip-count` messages of
//! `message-size` bytes, then waits a second for the last reply to leave
//! (as libzmq's tool does). Prints nothing: the other side reports.
//!
//! Run: `cargo run --release --example local_lat -- tcp://127.0.0.1:5556 64 100000`
//! then `cargo run --release --example remote_lat -- tcp://127.0.0.1:5556 64 100000`.

use std::time::Duration;

use greenline::zmq;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        println!("usage: local_lat <bind-to> <message-size> <roundtrip-count>");
        std::process::exit(1);
    }
    let bind_to = args[1].clone();
    let size: usize = args[2].parse().expect("message-size must be a number");
    let count: u64 = args[3].parse().expect("roundtrip-count must be a number");

    greenline::spawn(move || -> std::io::Result<()> {
        let ctx = zmq::Context::new();
        let s = ctx.socket(zmq::REP)?;
        s.bind(&bind_to)?;
        for _ in 0..count {
            let msg = s.recv(0)?;
            assert_eq!(msg.len(), size, "message of incorrect size received");
            s.send(msg, 0)?;
        }
        greenline::sleep(Duration::from_secs(1))?;
        s.close()
    })
    .join()?
}
