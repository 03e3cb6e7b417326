//! may_minihttp 0.1.11 "Hello, World!" with one may worker: the
//! may_minihttp peer of the plaintext benchmark.
//!
//! Usage: `minihttp_hello [ADDR]` (default `127.0.0.1:8081`). The worker
//! count comes from `MAY_WORKERS` (default 1); may's own core pinning is
//! off, the scripts pin the whole process with `taskset`.

use std::io;

use may_minihttp::{HttpServer, HttpService, Request, Response};

#[derive(Clone)]
struct Hello;

impl HttpService for Hello {
    fn call(&mut self, _req: Request, rsp: &mut Response) -> io::Result<()> {
        // The same Content-Type as greenline's `Response::text`, so wrk
        // parses the same fields from every server.
        rsp.header("Content-Type: text/plain; charset=utf-8")
            .body("Hello, World!");
        Ok(())
    }
}

fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8081".into());
    let workers = std::env::var("MAY_WORKERS")
        .ok()
        .and_then(|w| w.parse().ok())
        .unwrap_or(1);
    may::config().set_workers(workers).set_worker_pin(false);
    let server = HttpServer(Hello).start(addr.as_str()).expect("bind");
    eprintln!("minihttp_hello: serving on http://{addr} with {workers} worker(s)");
    server.join().unwrap();
}
