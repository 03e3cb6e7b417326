//! The echo benchmark's server: a `StreamServer` whose handler writes back
//! every byte it reads, with no line framing and no printing
//! (`echo_tcp_server` prints each line, which would be measured instead).
//!
//! Run:   `GREENLINE_WORKERS=1 cargo run --release --example echo_bench_server [-- ADDR]`
//!        (default `127.0.0.1:5010`)
//! Load:  `benches/peers`' `echo_load 127.0.0.1:5010 64 64 10`, or `benches/run_echo.sh`.

use std::io::{self, Read, Write};
use std::net::SocketAddr;

use greenline::net::TcpStream;
use greenline::server::StreamServer;

fn echo(mut conn: TcpStream, _peer: SocketAddr) {
    let _ = conn.set_nodelay(true);
    let mut buf = vec![0u8; 4096];
    loop {
        let n = match conn.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if conn.write_all(&buf[..n]).is_err() {
            return;
        }
    }
}

fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:5010".into());
    let server = StreamServer::bind(addr.as_str(), echo)?;
    eprintln!("echo_bench_server: serving on {}", server.local_addr());
    server.serve_forever()
}
