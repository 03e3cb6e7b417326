//! gevent's `udp_client` example: sends one datagram to a UDP server and
//! prints the reply. A port of `compat/udp_client.py`, line for line.
//!
//! Run:   cargo run --example udp_client -- HOST:PORT MESSAGE...
//! Talk:  to `udp_server` (or `compat/udp_server.py`) on HOST:PORT.
//!
//! Prints `Sending N bytes to HOST:PORT`, then `HOST:PORT: got b'REPLY'`.
//! Exits 1 when the server refuses the datagram or no reply comes within 5 s.

use std::time::Duration;

use greenline::net::UdpSocket;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let address = args.next().expect("usage: udp_client HOST:PORT MESSAGE...");
    let message = args.collect::<Vec<_>>().join(" ");
    let sock = UdpSocket::bind("0.0.0.0:0")?;
    sock.set_read_timeout(Some(Duration::from_secs(5)))?;
    sock.connect(&address)?;
    println!("Sending {} bytes to {address}", message.len());
    sock.send(message.as_bytes())?;
    let mut data = [0; 8192];
    let (n, address) = sock.recv_from(&mut data)?;
    println!("{address}: got b'{}'", data[..n].escape_ascii());
    Ok(())
}
