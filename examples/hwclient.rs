//! Hello World client (zguide `hwclient`): a REQ socket sending `Hello`
//! ten times to tcp://localhost:5555 and printing each reply.
//!
//! Run: `cargo run --example hwserver` first, then `cargo run --example hwclient`.
//! Wiring: hwclient (REQ, connect) ──▶ hwserver (REP, bind tcp://*:5555).

use greenline::zmq;

fn main() -> std::io::Result<()> {
    let context = zmq::Context::new();
    println!("Connecting to hello world server...");
    let requester = context.socket(zmq::REQ)?;
    requester.connect("tcp://127.0.0.1:5555")?;
    for request_nbr in 0..10 {
        println!("Sending Hello {request_nbr}...");
        requester.send("Hello", 0)?;
        let reply = requester.recv_string(0)?;
        println!("Received {reply} {request_nbr}");
    }
    Ok(())
}
