//! Step 2 of the talk's "Building a Networking App": the TCP server of step 1
//! (`hello\n` once a second to each client, printing `new tcp connection!`)
//! plus an HTTP server answering every request `200 OK`, `text/html`,
//! `hello world`, printing `new http request!`. A line-for-line port of
//! `compat/app2_tcp_http.py` (gevent's `StreamServer` and pywsgi's
//! `WSGIServer`): the TCP server is `start()`ed, the HTTP one runs in
//! `serve_forever()`.
//!
//! Run:   cargo run --example app2_tcp_http [-- TCP_ADDR [HTTP_ADDR]]
//!        (defaults 127.0.0.1:1234 and 127.0.0.1:8080)
//! Talk:  nc 127.0.0.1 1234              (prints hello once a second)
//!        curl -i http://127.0.0.1:8080/  (hello world)
//!
//! The access log goes to stderr, as pywsgi's does; stdout is line-buffered,
//! so a reader on a pipe sees each line as it is printed.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use greenline::http::{AccessLog, HttpServer, Request, Response, ServerConfig};
use greenline::net::TcpStream;
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
    // Python's loop ends when send raises on a closed connection; so does this.
    while socket.write_all(b"hello\n").is_ok() {
        let _ = greenline::sleep(Duration::from_secs(1));
    }
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let tcp_addr = args.next().unwrap_or_else(|| "127.0.0.1:1234".into());
    let http_addr = args.next().unwrap_or_else(|| "127.0.0.1:8080".into());

    let tcp_server = StreamServer::bind(tcp_addr.as_str(), handle_tcp)?;
    tcp_server.start()?;

    let config = ServerConfig::new().access_log(AccessLog::sink(|e| eprintln!("{e}")));
    let http_server = HttpServer::bind_with(http_addr.as_str(), config, handle_http)?;
    http_server.serve_forever()
}
