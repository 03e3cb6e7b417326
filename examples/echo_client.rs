//! The talk's echo client ("Echo in Python"): a REQ socket sending
//! `msg 0`..`msg 9`, printing `Sending msg N` and `Received reply msg N`.
//! Port of `compat/echo_client.py`, same arguments, output and exit codes.
//!
//! Run: `cargo run --example echo_client -- [ENDPOINT]`
//! (default `tcp://127.0.0.1:5000`). Exits 0 when every reply echoes its
//! request, 1 (with a message on stderr) on a mismatch or no reply in 5 s.
//! Wiring: echo_client (REQ, connect) ──▶ echo_server (REP, bind).

use std::process::ExitCode;
use std::time::Duration;

use greenline::zmq;

fn main() -> std::io::Result<ExitCode> {
    let endpoint = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tcp://127.0.0.1:5000".into());

    let context = zmq::Context::new();
    let socket = context.socket(zmq::REQ)?;
    socket.set_rcvtimeo(Some(Duration::from_secs(5)));
    socket.set_sndtimeo(Some(Duration::from_secs(5)));
    socket.set_linger(Some(Duration::ZERO));
    socket.connect(&endpoint)?;

    for i in 0..10 {
        let msg = format!("msg {i}");
        let reply = socket.send_string(msg.clone(), 0).and_then(|()| {
            println!("Sending {msg}");
            socket.recv_string(0)
        });
        let reply = match reply {
            Ok(reply) => reply,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                eprintln!("echo_client: no reply within 5 s from {endpoint}");
                return Ok(ExitCode::FAILURE);
            }
            Err(e) => return Err(e),
        };
        println!("Received reply {reply}");
        if reply != msg {
            eprintln!("echo_client: reply {reply:?} differs from request {msg:?}");
            return Ok(ExitCode::FAILURE);
        }
    }
    socket.close()?;
    context.term()?;
    Ok(ExitCode::SUCCESS)
}
