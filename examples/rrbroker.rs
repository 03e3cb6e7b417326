//! Request-reply broker (zguide `rrbroker`): a ROUTER for clients and a
//! DEALER for workers, polled together; each message that comes in on one
//! goes out whole on the other.
//!
//! Run: `cargo run --example rrbroker -- [FRONTEND [BACKEND]]` (defaults:
//! zguide's `tcp://*:5559` and `tcp://*:5560`), then `rrworker`s and
//! `rrclient`s in any order.
//! Wiring: rrclient (REQ, connect) ──▶ rrbroker (ROUTER, bind tcp://*:5559
//! │ DEALER, bind tcp://*:5560) ──▶ rrworker (REP, connect).
//! zguide's `msgqueue` is the same broker as one call: `zmq::proxy`.

use greenline::zmq::{self, Poller, POLLIN};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let frontend_endpoint = args.next().unwrap_or_else(|| "tcp://*:5559".into());
    let backend_endpoint = args.next().unwrap_or_else(|| "tcp://*:5560".into());

    // Prepare our context and sockets.
    let context = zmq::Context::new();
    let frontend = context.socket(zmq::ROUTER)?;
    let backend = context.socket(zmq::DEALER)?;
    frontend.bind(&frontend_endpoint)?;
    backend.bind(&backend_endpoint)?;

    // Initialize poll set.
    let mut poller = Poller::new();
    poller.register(&frontend, POLLIN);
    poller.register(&backend, POLLIN);

    // Switch messages between sockets.
    loop {
        let socks = poller.poll(None)?;
        if socks.get(&frontend) == Some(POLLIN) {
            let message = frontend.recv_multipart(0)?;
            backend.send_multipart(message, 0)?;
        }
        if socks.get(&backend) == Some(POLLIN) {
            let message = backend.recv_multipart(0)?;
            frontend.send_multipart(message, 0)?;
        }
    }
}
