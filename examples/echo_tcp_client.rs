//! A TCP echo client: sends `msg 0` .. `msg N-1`, one line each, and checks
//! that every reply equals its request. Pairs with `echo_tcp_server`.
//!
//! Run:   cargo run --example echo_tcp_client [-- HOST:PORT [COUNT]]
//!        (defaults 127.0.0.1:5000 and 10)
//!
//! Prints `Sending msg N` and `Received reply msg N` per message. Exits 0 when
//! every reply echoes its request; exits 1, with a message on stderr, when a
//! reply differs, the server closes the connection, or nothing comes within
//! 5 s (like `compat/echo_client.py`).

use std::io::{self, Write};
use std::process::ExitCode;
use std::time::Duration;

use greenline::net::{create_connection, ConnectOptions};

const TIMEOUT: Duration = Duration::from_secs(5);

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:5000".into());
    let count: u32 = match args.next().map(|c| c.parse()) {
        None => 10,
        Some(Ok(n)) => n,
        Some(Err(e)) => {
            eprintln!("echo_tcp_client: COUNT: {e}");
            return ExitCode::FAILURE;
        }
    };
    match run(&addr, count) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("echo_tcp_client: {addr}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The straight-line client; the main thread blocks in greenline's calls.
fn run(addr: &str, count: u32) -> io::Result<()> {
    let conn = create_connection(addr.to_string(), ConnectOptions::new().timeout(TIMEOUT))?;
    conn.set_read_timeout(Some(TIMEOUT))?;
    let mut file = conn.makefile()?;
    for i in 0..count {
        let msg = format!("msg {i}");
        file.write_all(format!("{msg}\n").as_bytes())?;
        file.flush()?;
        println!("Sending {msg}");
        let reply = file.readline()?.ok_or_else(|| {
            io::Error::new(io::ErrorKind::UnexpectedEof, "server closed the connection")
        })?;
        let reply = reply.trim_end_matches('\n');
        println!("Received reply {reply}");
        if reply != msg {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("reply {reply:?} differs from request {msg:?}"),
            ));
        }
    }
    Ok(())
}
