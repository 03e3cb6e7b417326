//! The talk's "ZeroMQ in gevent?" slide: a REP server greenlet and a REQ
//! client greenlet in one process. Port of `compat/gevent_zeromq.py`, same
//! argument and output (twenty lines).
//!
//! Run: `cargo run --example gevent_zeromq -- [ENDPOINT]`
//! (default `tcp://127.0.0.1:5559`).
//! Wiring: client greenlet (REQ, connect) ──▶ server greenlet (REP, bind).

use greenline::zmq;

fn main() -> std::io::Result<()> {
    let endpoint = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tcp://127.0.0.1:5559".into());
    let context = zmq::Context::new();

    let socket = context.socket(zmq::REP)?;
    socket.bind(&endpoint)?;
    let server = greenline::spawn(move || -> std::io::Result<()> {
        loop {
            let message = socket.recv_string(0)?;
            println!("Received request:  {message}");
            socket.send("World", 0)?;
        }
    });

    let socket = context.socket(zmq::REQ)?;
    socket.connect(&endpoint)?;
    let client = greenline::spawn(move || -> std::io::Result<()> {
        for request in 0..10 {
            socket.send("Hello", 0)?;
            let message = socket.recv_string(0)?;
            println!("Received reply  {request} [ {message} ]");
        }
        Ok(())
    });

    client.join().expect("client greenlet")?;
    // The original's `context.destroy(linger=0)`: the killed server
    // greenlet has dropped its socket, nothing is left to send, so term
    // returns at once.
    server.kill();
    context.term()
}
