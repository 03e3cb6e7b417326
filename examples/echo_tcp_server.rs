//! A TCP echo server: every line a client sends comes straight back. Each
//! connection is a straight-line loop (read a line, print it, write it back)
//! running in its own greenlet under `StreamServer`.
//!
//! Run:   cargo run --example echo_tcp_server [-- HOST:PORT]   (default 127.0.0.1:5000)
//! Talk:  cargo run --example echo_tcp_client [-- HOST:PORT [COUNT]]
//!        or `nc 127.0.0.1 5000` and type lines.
//!
//! Prints `Received <line>` per line (stdout is line-buffered, also into a
//! pipe) and runs until killed.

use std::io::{self, Write};
use std::net::SocketAddr;

use greenline::net::TcpStream;
use greenline::server::StreamServer;

fn handle(conn: TcpStream, peer: SocketAddr) {
    if let Err(e) = echo(conn) {
        eprintln!("echo_tcp_server: {peer}: {e}");
    }
}

fn echo(conn: TcpStream) -> io::Result<()> {
    let mut file = conn.makefile()?;
    while let Some(line) = file.readline()? {
        println!("Received {}", line.trim_end_matches('\n'));
        file.write_all(line.as_bytes())?;
        file.flush()?;
    }
    Ok(())
}

fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:5000".into());

    let server = StreamServer::bind(addr.as_str(), handle)?;
    server.serve_forever()
}
