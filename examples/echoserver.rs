//! gevent's `echoserver` example: a `StreamServer` that welcomes each client,
//! echoes every line it sends, and hangs up when it types `quit`. A port of
//! `compat/echoserver.py`, line for line.
//!
//! Run:   cargo run --example echoserver [-- HOST:PORT]   (default 127.0.0.1:16000)
//! Talk:  telnet 127.0.0.1 16000   (or `nc 127.0.0.1 16000`); type lines, then `quit`.
//!
//! Prints `New connection from ADDR`, `echoed b'LINE'` per line (Python's
//! repr of the bytes), and `client quit` or `client disconnected`.

use std::io::{self, Write};
use std::net::SocketAddr;

use greenline::net::TcpStream;
use greenline::server::StreamServer;

// this handler will be run for each incoming connection in a dedicated greenlet
fn echo(mut socket: TcpStream, address: SocketAddr) -> io::Result<()> {
    println!("New connection from {address}");
    socket.write_all(b"Welcome to the echo server! Type quit to exit.\r\n")?;
    // using a makefile because we want to use readline()
    let mut rfileobj = socket.makefile()?;
    loop {
        let Some(line) = rfileobj.readline_bytes()? else {
            println!("client disconnected");
            break;
        };
        if line.trim_ascii().eq_ignore_ascii_case(b"quit") {
            println!("client quit");
            break;
        }
        socket.write_all(&line)?;
        println!("echoed b'{}'", line.escape_ascii());
    }
    Ok(())
}

fn main() -> io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or("127.0.0.1:16000".into());
    let server = StreamServer::bind(addr.as_str(), |socket, address| {
        let _ = echo(socket, address);
    })?;
    // we use blocking serve_forever() here because we have no other jobs
    println!(
        "Starting echo server on port {}",
        server.local_addr().port()
    );
    server.serve_forever()
}
