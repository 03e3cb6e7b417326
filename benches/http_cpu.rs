//! The HTTP server's CPU per request, for instruction counting: one
//! connection, N pipelined `GET /` requests to a hello-world handler.
//!
//!     cargo bench --bench http_cpu -- 20000
//!     B=$(cargo bench --bench http_cpu --no-run 2>&1 | grep -o '/[^ ]*/deps/http_cpu-[0-9a-f]*')
//!     valgrind --tool=callgrind $B 2000; valgrind --tool=callgrind $B 22000
//!
//! With `keep-alive` after the count, the client instead sends one request
//! and reads its response before the next, as a keep-alive load generator's
//! connection does: the server then waits for every request (the path
//! `wrk -c64` exercises), and the count includes the client thread's own
//! instructions, the same in any build of the server, so compare builds.
//!
//!     valgrind --tool=callgrind $B 2000 keep-alive; valgrind --tool=callgrind $B 12000 keep-alive
//!
//! Wall-clock time on a shared machine says little, so the figure to trust
//! is instructions: run the binary under callgrind with two request counts
//! and divide the difference in instructions by the difference in requests
//! (setup cancels out): instructions per request in user space, the
//! kernel's share not included. The server runs `serve_connection` in a greenlet on
//! one worker; the client is two plain threads (one writes every request at
//! once, one reads every response), so the server reads full buffers and
//! answers in batches, as under a pipelining load generator.

use std::io::{Read, Write};
use std::time::Instant;

use greenline::config::{self, Config};
use greenline::http::{serve_connection, AccessLog, Request, Response, ServerConfig};
use greenline::net::TcpListener;

const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    config::configure(Config::from_env().workers(1)).expect("configure before first use");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = greenline::spawn(move || {
        let (stream, peer) = listener.accept().unwrap();
        let hello = |_: &mut Request| Response::text(200, "Hello, World!");
        let config = ServerConfig::new().access_log(AccessLog::Off);
        serve_connection(stream, peer, &hello, &config)
    });

    let started = Instant::now();
    let mut client = std::net::TcpStream::connect(addr).unwrap();
    if std::env::args().nth(2).as_deref() == Some("keep-alive") {
        client.set_nodelay(true).unwrap();
        let mut buf = vec![0; 4096];
        for _ in 0..n {
            client.write_all(REQUEST).unwrap();
            let k = client.read(&mut buf).unwrap();
            assert!(
                buf[..k].ends_with(b"Hello, World!"),
                "one whole response per read"
            );
        }
        drop(client);
        server.join().unwrap().unwrap();
        println!(
            "{n} keep-alive requests in {:?} (wall clock: not a measurement)",
            started.elapsed()
        );
        return;
    }
    let mut writer = client.try_clone().unwrap();
    let sender = std::thread::spawn(move || {
        let batch = REQUEST.repeat(1024);
        let mut left = n;
        while left > 0 {
            let k = left.min(1024);
            writer.write_all(&batch[..k * REQUEST.len()]).unwrap();
            left -= k;
        }
        writer.shutdown(std::net::Shutdown::Write).unwrap();
    });
    // Responses are all the same length (the Date is fixed-width), so
    // counting bytes counts them without the client scanning every byte.
    let mut buf = vec![0; 256 * 1024];
    let mut total = 0;
    let mut one = 0;
    loop {
        match client.read(&mut buf).unwrap() {
            0 => break,
            k => {
                if total == 0 {
                    assert!(buf.starts_with(b"HTTP/1.1 200 OK\r\n"));
                    let body = buf[..k].windows(13).position(|w| w == b"Hello, World!");
                    one = body.expect("first response in the first read") + 13;
                }
                total += k;
            }
        }
    }
    sender.join().unwrap();
    server.join().unwrap().unwrap();
    let elapsed = started.elapsed();
    assert_eq!(total, n * one, "one {one}-byte response per request");
    println!(
        "{n} requests, {total} response bytes, {:.0} ns/request (wall clock: not a measurement)",
        elapsed.as_nanos() as f64 / n.max(1) as f64
    );
}
