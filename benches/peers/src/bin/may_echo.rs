//! TCP echo on the raw may runtime (a coroutine per connection, no
//! greenline): the "raw may" peer of the echo benchmark, which shows what
//! greenline's layer costs over the runtime it sits on.
//!
//! Usage: `may_echo [ADDR]` (default `127.0.0.1:5012`). Workers from
//! `MAY_WORKERS` (default 1), may's core pinning off (the scripts use
//! `taskset`).

use std::io::{Read, Write};

use may::go;
use may::net::TcpListener;

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:5012".into());
    let workers = std::env::var("MAY_WORKERS")
        .ok()
        .and_then(|w| w.parse().ok())
        .unwrap_or(1);
    may::config().set_workers(workers).set_worker_pin(false);
    let listener = TcpListener::bind(addr.as_str())?;
    eprintln!("may_echo: serving on {}", listener.local_addr()?);
    for stream in listener.incoming() {
        let mut stream = match stream {
            Ok(s) => s,
            Err(_) => continue,
        };
        let _ = stream.set_nodelay(true);
        go!(move || {
            let mut buf = vec![0u8; 4096];
            loop {
                let n = match stream.read(&mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                if stream.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
        });
    }
    Ok(())
}
