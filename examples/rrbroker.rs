//! Request-reply broker (zguide `rrbroker`, as its `msgqueue` variant): a
//! ROUTER for clients and a DEALER for workers, joined by the built-in
//! proxy (the queue device).
//!
//! Run: `cargo run --example rrbroker -- [FRONTEND [BACKEND]]` (defaults:
//! zguide's `tcp://*:5559` and `tcp://*:5560`), then `rrworker`s and
//! `rrclient`s in any order.
//! Wiring: rrclient (REQ, connect) ──▶ rrbroker (ROUTER, bind tcp://*:5559
//! │ DEALER, bind tcp://*:5560) ──▶ rrworker (REP, connect).

use greenline::zmq;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let frontend_endpoint = args.next().unwrap_or_else(|| "tcp://*:5559".into());
    let backend_endpoint = args.next().unwrap_or_else(|| "tcp://*:5560".into());

    let context = zmq::Context::new();
    let frontend = context.socket(zmq::ROUTER)?;
    frontend.bind(&frontend_endpoint)?;
    let backend = context.socket(zmq::DEALER)?;
    backend.bind(&backend_endpoint)?;

    // Forwards whole messages both ways until the context is terminated.
    zmq::proxy(&frontend, &backend, None)
}
