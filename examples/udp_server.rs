//! gevent's `udp_server` example: a `DatagramServer` answering every
//! datagram with `Received N bytes`, from a greenlet per datagram. A port of
//! `compat/udp_server.py`, line for line.
//!
//! Run:   cargo run --example udp_server [-- HOST:PORT]   (default 127.0.0.1:9000)
//! Talk:  cargo run --example udp_client -- 127.0.0.1:9000 hello
//!
//! Prints `HOST: got b'DATA'` per datagram (Python's repr of the bytes) and
//! runs until killed.

use greenline::server::DatagramServer;

fn main() -> std::io::Result<()> {
    let address = std::env::args().nth(1).unwrap_or("127.0.0.1:9000".into());
    println!("Receiving datagrams on {address}");
    DatagramServer::bind(address.as_str(), |data, address, server| {
        println!("{}: got b'{}'", address.ip(), data.escape_ascii());
        let _ = server.send_to(format!("Received {} bytes", data.len()).as_bytes(), address);
    })?
    .serve_forever()
}
