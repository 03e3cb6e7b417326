//! Request-reply client (zguide `rrclient`): a REQ socket connected to the
//! broker's frontend, sending `Hello` and printing each `World`.
//!
//! Run: `cargo run --example rrclient -- [ENDPOINT [COUNT]]` (defaults:
//! `tcp://127.0.0.1:5559`, 10 requests); see `rrbroker`.
//! Wiring: rrclient (REQ, connect) ──▶ rrbroker (ROUTER 5559 │ DEALER 5560)
//! ──▶ rrworker (REP, connect).

use greenline::zmq;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let endpoint = args.next().unwrap_or_else(|| "tcp://127.0.0.1:5559".into());
    let count: u32 = args
        .next()
        .map_or(10, |n| n.parse().expect("COUNT must be a number"));

    let context = zmq::Context::new();
    let requester = context.socket(zmq::REQ)?;
    requester.connect(&endpoint)?;
    for request_nbr in 0..count {
        requester.send("Hello", 0)?;
        let reply = requester.recv_string(0)?;
        println!("Received reply {request_nbr} [{reply}]");
    }
    Ok(())
}
