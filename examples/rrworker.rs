//! Request-reply worker (zguide `rrworker`): a REP socket connected to the
//! broker's backend, answering every request with `World` after a second
//! of 'work'. Runs until killed.
//!
//! Run: `cargo run --example rrworker -- [ENDPOINT [WORK_MSEC]]` (defaults:
//! `tcp://127.0.0.1:5560`, 1000 msec as in zguide); see `rrbroker`.
//! Wiring: rrclient (REQ, connect) ──▶ rrbroker (ROUTER 5559 │ DEALER 5560)
//! ──▶ rrworker (REP, connect).

use std::time::Duration;

use greenline::zmq;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let endpoint = args.next().unwrap_or_else(|| "tcp://127.0.0.1:5560".into());
    let work: u64 = args
        .next()
        .map_or(1000, |n| n.parse().expect("WORK_MSEC must be a number"));

    let context = zmq::Context::new();
    let responder = context.socket(zmq::REP)?;
    responder.connect(&endpoint)?;
    loop {
        // Wait for next request from client.
        let request = responder.recv_string(0)?;
        println!("Received request: [{request}]");
        // Do some 'work'.
        greenline::sleep(Duration::from_millis(work))?;
        // Send reply back to client.
        responder.send("World", 0)?;
    }
}
