//! Hello World server (zguide `hwserver`): a REP socket bound to
//! tcp://*:5555 that answers every request with `World`.
//!
//! Run: `cargo run --example hwserver`, then `cargo run --example hwclient`.
//! Wiring: hwclient (REQ, connect) ──▶ hwserver (REP, bind tcp://*:5555).

use std::time::Duration;

use greenline::zmq;

fn main() -> std::io::Result<()> {
    let context = zmq::Context::new();
    let responder = context.socket(zmq::REP)?;
    responder.bind("tcp://*:5555")?;
    loop {
        let request = responder.recv_string(0)?;
        println!("Received {request}");
        greenline::sleep(Duration::from_secs(1))?; // do some 'work'
        responder.send("World", 0)?;
    }
}
