//! The talk's `MyApplication` (gservice, "Generalizing"): an HTTP server,
//! a TCP server that sends `hello` lines, and a TCP client printing what
//! it reads, with their ports and address read from settings, and a
//! one-line `main` that is the whole command line.
//!
//! Run it (the `greenline` binary is this same application):
//!
//! ```text
//! cargo run --example service_settings -- -C examples/example.toml
//! cargo run --example service_settings -- -C examples/example.toml start
//! cargo run --example service_settings -- -C examples/example.toml reload
//! cargo run --example service_settings -- -C examples/example.toml stop
//! cargo run --example service_settings -- -C examples/example.toml -X 'http_port = 7070'
//! cargo run --example service_settings -- config template
//! ```
//!
//! Talk to it: `curl localhost:8080` (`hello world`), `nc localhost 1234`
//! (a `hello` a second). The client's lines (`<<< hello`) and the servers'
//! `new … connection!` go to standard output, or to the log file of a
//! daemon. Under systemd, a socket unit naming its sockets `http` and
//! `tcp` (`FileDescriptorName=`) hands them over instead of a bind; and
//! `greenline upgrade` hands them to a new process the same way.

use std::io::{self, Write};
use std::time::Duration;

use greenline::http::{HttpServer, Request, Response};
use greenline::net::TcpStream;
use greenline::server::StreamServer;
use greenline::service::command::{self, Current};
use greenline::service::systemd::listener_or_bind;
use greenline::service::{Bound, Service, ServiceContext, ServiceTree, TcpClient};

greenline::settings! {
    /// The talk's three settings, and the HTTP answer.
    #[derive(Debug, Clone)]
    pub struct MyApplication {
        /// The HTTP server's port (127.0.0.1).
        pub http_port: u16 = 8080,
        /// The TCP server's port (127.0.0.1): it sends `hello` every second.
        pub tcp_port: u16 = 1234,
        /// Where the client connects (`host:port`) and prints what it reads.
        pub connect_address: String = "127.0.0.1:1234".to_string(),
        /// What the HTTP server answers; a reload changes it in place.
        pub greeting: String = "hello world".to_string(),
    }
}

/// The application's tree, made from its settings.
pub fn build(settings: &Current<MyApplication>) -> io::Result<ServiceTree> {
    let now = settings.get();
    let app = ServiceTree::with_service(MyApp);

    let current = settings.clone();
    let handle_http = move |_: &mut Request| {
        println!("new http request!");
        Response::text(200, current.get().greeting.clone())
    };
    let http = Bound::new(
        "http",
        format!("127.0.0.1:{}", now.http_port),
        move |addr| HttpServer::new(listener_or_bind("http", addr)?, handle_http.clone()),
    );
    let tcp = Bound::new("tcp", format!("127.0.0.1:{}", now.tcp_port), |addr| {
        StreamServer::new(listener_or_bind("tcp", addr)?, handle_tcp)
    });

    let client = TcpClient::new("client", now.connect_address.clone(), client_connect);

    add(&app, http)?;
    add(&app, tcp)?;
    add(&app, client)?;
    Ok(app)
}

/// The application's own node. Its servers are bound to the ports they
/// started with: a reload that changes a port or the client's address is
/// refused (and the old settings stay) rather than reported as applied.
struct MyApp;

impl Service for MyApp {
    fn name(&self) -> String {
        "app".into()
    }

    fn do_reload(&self, _: &ServiceContext, changed: &[String]) -> io::Result<()> {
        let fixed: Vec<&str> = changed
            .iter()
            .map(String::as_str)
            .filter(|k| matches!(*k, "http_port" | "tcp_port" | "connect_address"))
            .collect();
        if fixed.is_empty() {
            return Ok(());
        }
        Err(io::Error::other(format!(
            "{} cannot change while the servers run: restart to apply",
            fixed.join(", ")
        )))
    }
}

fn add(app: &ServiceTree, service: impl Service) -> io::Result<()> {
    app.add_service(service).map(drop).map_err(io::Error::from)
}

fn handle_tcp(mut socket: TcpStream, _peer: std::net::SocketAddr) {
    println!("new tcp connection!");
    while socket.write_all(b"hello\n").is_ok() {
        if greenline::sleep(Duration::from_secs(1)).is_err() {
            return;
        }
    }
}

fn client_connect(stream: TcpStream) -> io::Result<()> {
    let mut file = stream.makefile()?;
    // readline returns None at end of file.
    while let Some(line) = file.readline()? {
        print!("<<< {line}");
        io::stdout().flush()?;
    }
    Ok(())
}

#[allow(dead_code)] // the `greenline` binary includes this file for `build`
fn main() {
    command::main(build)
}
