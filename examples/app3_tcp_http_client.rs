//! Step 3 of the talk's "Building a Networking App": step 2's TCP and HTTP
//! servers plus a client greenlet that connects to the TCP server and prints
//! `<<< hello` for every line it reads. A line-for-line port of
//! `compat/app3_tcp_http_client.py` (`create_connection(addr).makefile()`
//! and a `readline()` loop).
//!
//! Run:   cargo run --example app3_tcp_http_client [-- TCP_ADDR [HTTP_ADDR]]
//!        (defaults 127.0.0.1:1234 and 127.0.0.1:8080)
//! Talk:  it prints `new tcp connection!`, then `<<< hello` once a second;
//!        nc 127.0.0.1 1234 (more hello lines), curl -i http://127.0.0.1:8080/
//!
//! The access log goes to stderr, as pywsgi's does; stdout is line-buffered.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use greenline::http::{AccessLog, HttpServer, Request, Response, ServerConfig};
use greenline::net::{create_connection, ConnectOptions, TcpStream};
use greenline::server::StreamServer;

fn handle_http(_env: &mut Request) -> Response {
    let response = Response::new(200)
        .header("Content-Type", "text/html")
        .body("hello world");
    println!("new http request!");
    response
}

fn handle_tcp(mut socket: TcpStream, _address: SocketAddr) {
    println!("new tcp connection!");
    while socket.write_all(b"hello\n").is_ok() {
        let _ = greenline::sleep(Duration::from_secs(1));
    }
}

fn client_connect(address: String) -> std::io::Result<()> {
    let mut sockfile = create_connection(address, ConnectOptions::new())?.makefile()?;
    // readline returns None at end of file, as the talk's comment says.
    while let Some(line) = sockfile.readline()? {
        print!("<<< {line}");
    }
    Ok(())
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let tcp_addr = args.next().unwrap_or_else(|| "127.0.0.1:1234".into());
    let http_addr = args.next().unwrap_or_else(|| "127.0.0.1:8080".into());

    let tcp_server = StreamServer::bind(tcp_addr.as_str(), handle_tcp)?;
    tcp_server.start()?;

    greenline::spawn(move || client_connect(tcp_addr));

    let config = ServerConfig::new().access_log(AccessLog::sink(|e| eprintln!("{e}")));
    let http_server = HttpServer::bind_with(http_addr.as_str(), config, handle_http)?;
    http_server.serve_forever()
}
