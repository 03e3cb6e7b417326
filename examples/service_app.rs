//! The talk's gservice step: `app = Service()`, `add_service` of a TCP
//! server sending `hello` every second, an HTTP server answering
//! `hello world` and a `TcpClient` printing `<<< hello` for each line it
//! reads from the TCP server, then `serve_forever()`. The same tree as
//! `compat/service_app.py`, which writes it with plain gevent (three
//! greenlets and `joinall`; gservice is Python 2 only).
//!
//! Run:   cargo run --example service_app [-- TCP_ADDR [HTTP_ADDR]]
//!        (defaults 127.0.0.1:1234 and 127.0.0.1:8080)
//! Talk:  it prints `new tcp connection!`, then `<<< hello` once a second;
//!        nc 127.0.0.1 1234 (more hello lines), curl -i http://127.0.0.1:8080/
//! Stop:  Ctrl-C or SIGTERM: the tree stops in reverse (client, HTTP, TCP);
//!        what held the stop up, if anything, goes to stderr.
//!
//! Unlike the Python version, a port in use is a start failure naming the
//! service and the address, and nothing is left running.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use greenline::http::{AccessLog, HttpServer, Request, Response, ServerConfig};
use greenline::net::TcpStream;
use greenline::server::StreamServer;
use greenline::service::{Bound, ServiceTree, TcpClient};
use greenline::signal::signal_handler;
use signal_hook::consts::{SIGINT, SIGTERM};

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
        if greenline::sleep(Duration::from_secs(1)).is_err() {
            break; // killed by the stop
        }
    }
}

fn client_connect(socket: TcpStream) -> std::io::Result<()> {
    let mut sockfile = socket.makefile()?;
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

    let app = ServiceTree::new("app");
    app.add_service(Bound::new("tcp", tcp_addr.clone(), |addr| {
        StreamServer::bind(addr, handle_tcp)
    }))?;
    app.add_service(Bound::new("http", http_addr, |addr| {
        let config = ServerConfig::new().access_log(AccessLog::sink(|e| eprintln!("{e}")));
        HttpServer::bind_with(addr, config, handle_http)
    }))?;
    app.add_service(TcpClient::new("client", tcp_addr, client_connect))?;

    for signal in [SIGINT, SIGTERM] {
        let app = app.clone();
        signal_handler(signal, move || {
            let report = app.stop();
            if !report.is_clean() {
                eprintln!("{report}");
            }
        })?;
    }
    app.serve_forever()?;
    Ok(())
}
