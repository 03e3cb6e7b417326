//! The talk's echo server ("Echo in Python"): a REP socket that prints
//! `Received msg N` for each request and sends it back. Port of
//! `compat/echo_server.py`, same arguments and output.
//!
//! Run: `cargo run --example echo_server -- [ENDPOINT [COUNT]]`
//! (default `tcp://127.0.0.1:5000`; with COUNT it exits 0 after COUNT
//! messages, flushing the last reply).
//! Wiring: echo_client (REQ, connect) ──▶ echo_server (REP, bind).
//!
//! One change from the original: a request is received and echoed whole
//! (`recv_multipart`), its frames printed space-separated. The original's
//! `recv` reads only a multipart request's first frame, and its reply then
//! fails with EFSM (a REP may not answer half a request), ending the
//! server; here any peer's multipart request is simply echoed.

use std::time::Duration;

use greenline::zmq;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let endpoint = args.next().unwrap_or_else(|| "tcp://127.0.0.1:5000".into());
    let count: Option<u64> = args
        .next()
        .map(|c| c.parse().expect("COUNT must be a number"));

    let context = zmq::Context::new();
    let socket = context.socket(zmq::REP)?;
    socket.bind(&endpoint)?;

    let mut served = 0;
    while count.map_or(true, |c| served < c) {
        let msg = socket.recv_multipart(0)?;
        let text: Vec<_> = msg.iter().map(|f| String::from_utf8_lossy(f)).collect();
        println!("Received {}", text.join(" "));
        socket.send_multipart(msg, 0)?;
        served += 1;
    }
    socket.set_linger(Some(Duration::from_secs(1)));
    socket.close()?;
    context.term()
}
