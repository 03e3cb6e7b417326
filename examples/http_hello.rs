//! A "Hello, World!" HTTP server: gevent's pywsgi hello world, and the
//! target of the plaintext benchmark.
//!
//! Run it, then talk to it with curl or any load generator:
//!
//! ```text
//! cargo run --release --example http_hello -- 127.0.0.1:8080
//! curl -i http://127.0.0.1:8080/
//! wrk -c 64 -t 2 http://127.0.0.1:8080/          # benchmark
//! ```
//!
//! Settings are the production defaults (`ServerConfig::new()`), and so the
//! access log is **on**, as pywsgi's is: one line per request through the
//! `log` crate, printed to stderr here. Pass `--no-access-log` for
//! benchmarks, where formatting and printing a line per request would be
//! measured instead of the server. `--no-idle-handoff` keeps a greenlet per
//! idle keep-alive connection (`ServerConfig::idle_handoff(None)`), to
//! measure what handing idle connections to the server's idle lot saves.
//!
//! Usage: `http_hello [ADDR] [--no-access-log] [--no-idle-handoff]`, ADDR
//! defaulting to `127.0.0.1:8080`.

use std::io::Write;

use greenline::http::{AccessLog, HttpServer, Request, Response, ServerConfig};

/// Prints greenline's `log` records to stderr: the access log and the
/// server's errors (may's own records are left out).
struct Stderr;

impl log::Log for Stderr {
    fn enabled(&self, meta: &log::Metadata) -> bool {
        meta.target().starts_with("greenline")
    }
    fn log(&self, record: &log::Record) {
        if self.enabled(record.metadata()) {
            let _ = writeln!(std::io::stderr().lock(), "{}", record.args());
        }
    }
    fn flush(&self) {}
}

fn main() -> std::io::Result<()> {
    let mut addr = "127.0.0.1:8080".to_string();
    let mut access_log = true;
    let mut config = ServerConfig::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--no-access-log" => access_log = false,
            "--no-idle-handoff" => config = config.idle_handoff(None),
            _ => addr = arg,
        }
    }
    if access_log {
        log::set_logger(&Stderr).expect("no other logger");
        log::set_max_level(log::LevelFilter::Info);
    } else {
        config = config.access_log(AccessLog::Off);
    }
    let server = HttpServer::bind_with(addr.as_str(), config, |_: &mut Request| {
        Response::text(200, "Hello, World!")
    })?;
    eprintln!("serving on http://{}", server.local_addr());
    server.serve_forever()
}
