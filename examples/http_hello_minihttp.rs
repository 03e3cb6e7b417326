//! The `http_hello` server on may_minihttp's engine instead of greenline's
//! own: the same handler, served by [`MiniHttpServer`]. Needs the
//! `minihttp` feature; read the engine's faults in `greenline::http`'s
//! `MiniHttpServer` docs before using it with clients you do not control.
//!
//! ```text
//! cargo run --release --features minihttp --example http_hello_minihttp -- 127.0.0.1:8080
//! curl -i http://127.0.0.1:8080/
//! wrk -c 64 -t 2 http://127.0.0.1:8080/
//! ```
//!
//! Usage: `http_hello_minihttp [ADDR]`, ADDR defaulting to `127.0.0.1:8080`.
//! No access log (`AccessLog::Off`), as for a benchmark.

use greenline::http::{AccessLog, MiniHttpServer, Request, Response, ServerConfig};

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let hello = |_: &mut Request| Response::text(200, "Hello, World!");
    let config = ServerConfig::new().access_log(AccessLog::Off);
    let server = MiniHttpServer::start(addr.as_str(), hello, config)?;
    eprintln!("serving on http://{addr} (may_minihttp engine)");
    server.join()
}
