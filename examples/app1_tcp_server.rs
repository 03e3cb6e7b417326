//! Step 1 of the talk's "Building a Networking App": a basic TCP server that
//! prints `new tcp connection!` for each client and sends it `hello\n` once a
//! second until the client goes away. A line-for-line port of
//! `compat/app1_tcp_server.py` (gevent's `StreamServer`).
//!
//! Run:   cargo run --example app1_tcp_server [-- HOST:PORT]   (default 127.0.0.1:1234)
//! Talk:  nc 127.0.0.1 1234      (prints hello once a second)
//!
//! stdout is line-buffered in Rust even into a pipe, so each line reaches a
//! reader (such as a test) as soon as it is printed.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use greenline::net::TcpStream;
use greenline::server::StreamServer;

fn handle_tcp(mut socket: TcpStream, _address: SocketAddr) {
    println!("new tcp connection!");
    // Python's loop ends when send raises on a closed connection; so does this.
    while socket.write_all(b"hello\n").is_ok() {
        let _ = greenline::sleep(Duration::from_secs(1));
    }
}

fn main() -> std::io::Result<()> {
    let tcp_addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:1234".into());

    let tcp_server = StreamServer::bind(tcp_addr.as_str(), handle_tcp)?;
    tcp_server.serve_forever()
}
