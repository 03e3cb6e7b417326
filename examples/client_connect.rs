//! The talk's `client_connect`: connect, wrap the socket with `makefile()`,
//! and print every line the server sends, until it closes.
//!
//! ```python
//! def client_connect(address):
//!     sockfile = create_connection(address).makefile()
//!     while True:
//!         line = sockfile.readline() # returns None on EOF
//!         if line is not None:
//!             print "<<<", line,
//!         else:
//!             break
//! ```
//!
//! Run:   cargo run --example client_connect [-- HOST:PORT]   (default 127.0.0.1:1234)
//! Talk:  start a server first, e.g. `cargo run --example app1_tcp_server`,
//!        which sends `hello` once a second; this prints `<<< hello` for each.

use greenline::net::{create_connection, ConnectOptions};

fn client_connect(address: String) -> std::io::Result<()> {
    let mut sockfile = create_connection(address, ConnectOptions::new())?.makefile()?;
    while let Some(line) = sockfile.readline()? {
        print!("<<< {line}");
    }
    Ok(())
}

fn main() -> std::io::Result<()> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:1234".into());
    greenline::spawn(move || client_connect(address))
        .join()
        .map_err(std::io::Error::from)?
}
