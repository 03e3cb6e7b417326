//! A steady HTTP load that counts what fails: CONNS threads, each with a
//! keep-alive connection sending `GET /` and reading the whole answer,
//! one request at a time, until STOPFILE exists. Every INTERVAL_MS it
//! prints how many requests were served in that interval, so a script
//! can see a hand-over's gap.
//!
//! Usage: `http_load ADDR CONNS STOPFILE [INTERVAL_MS=100] [MAX_SECONDS=300]`
//!
//! A request counts as failed when it gets no `200` with a whole
//! `Content-Length` body within 5 s: a refused or timed-out connect, a
//! reset, an early end, a bad status. One case is not a failure but
//! counted apart as `retried`: a keep-alive connection the server closed
//! while idle, seen as an end (or reset) before any byte of the answer on
//! a connection that had already served a request. RFC 9112 §9.3.1 lets
//! a client retry an idempotent request then, and browsers, curl and
//! hyper do: the request is sent again once on a new connection, and
//! counts as failed only if that fails too.
//!
//! Output, one line per interval while running:
//! `interval END_UNIX_MS SERVED FAILED`, then `requests: N`,
//! `failed: N`, `retried: N`, `connections: N` (opened in all),
//! `bodies: N` (distinct bodies seen, so a reload that changes the answer
//! shows), `max latency: MS [ms]`. The first failures go to stderr.

use std::collections::HashSet;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
const TIMEOUT: Duration = Duration::from_secs(5);

/// What every connection thread adds to.
#[derive(Default)]
struct Counts {
    served: AtomicU64,
    failed: AtomicU64,
    retried: AtomicU64,
    connections: AtomicU64,
    max_latency_us: AtomicU64,
    bodies: Mutex<HashSet<Vec<u8>>>,
}

/// Why one exchange did not give an answer.
enum Miss {
    /// The connection ended (or was reset) before any byte of the
    /// answer: on a reused keep-alive connection, the idle-close race.
    ClosedBeforeAnswer(std::io::Error),
    /// Anything else: a timeout, a bad or partial answer.
    Failed(String),
}

/// One answer: its body and whether the server keeps the connection.
struct Answer {
    body: Vec<u8>,
    keep: bool,
}

fn connect(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let s = TcpStream::connect_timeout(&addr, TIMEOUT)?;
    s.set_read_timeout(Some(TIMEOUT))?;
    s.set_write_timeout(Some(TIMEOUT))?;
    s.set_nodelay(true)?;
    Ok(s)
}

fn closed(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::UnexpectedEof
            | ErrorKind::ConnectionReset
            | ErrorKind::BrokenPipe
            | ErrorKind::ConnectionAborted
    )
}

/// Sends one request on `s` and reads its whole answer into `buf`.
fn exchange(s: &mut TcpStream, buf: &mut Vec<u8>) -> Result<Answer, Miss> {
    if let Err(e) = s.write_all(REQUEST) {
        return Err(if closed(&e) {
            Miss::ClosedBeforeAnswer(e)
        } else {
            Miss::Failed(e.to_string())
        });
    }
    buf.clear();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buf[..end])
                .map_err(|_| Miss::Failed("head not UTF-8".into()))?;
            let status = head.lines().next().unwrap_or("");
            if !status.starts_with("HTTP/1.1 200") {
                return Err(Miss::Failed(format!("status line {status:?}")));
            }
            let header = |name: &str| {
                head.lines().skip(1).find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.trim()
                        .eq_ignore_ascii_case(name)
                        .then(|| v.trim().to_string())
                })
            };
            let len: usize = header("content-length")
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| Miss::Failed("no Content-Length".into()))?;
            let keep = !header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
            if buf.len() >= end + 4 + len {
                let body = buf[end + 4..end + 4 + len].to_vec();
                return Ok(Answer { body, keep });
            }
        }
        match s.read(&mut chunk) {
            Ok(0) if buf.is_empty() => {
                return Err(Miss::ClosedBeforeAnswer(ErrorKind::UnexpectedEof.into()));
            }
            Ok(0) => {
                return Err(Miss::Failed(format!(
                    "end of stream after {} bytes of the answer",
                    buf.len()
                )))
            }
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if closed(&e) && buf.is_empty() => return Err(Miss::ClosedBeforeAnswer(e)),
            Err(e) => return Err(Miss::Failed(e.to_string())),
        }
    }
}

fn report(counts: &Counts, why: &str) {
    if counts.failed.fetch_add(1, Ordering::Relaxed) < 5 {
        eprintln!("http_load: failed request: {why}");
    }
}

/// One connection's loop until `done`.
fn drive(addr: SocketAddr, done: &AtomicBool, counts: &Counts) {
    let mut conn: Option<TcpStream> = None;
    // Requests served on `conn`: a close before the first is a failure.
    let mut used = 0u64;
    let mut buf = Vec::with_capacity(4096);
    let mut last_body = Vec::new();
    while !done.load(Ordering::Relaxed) {
        let started = Instant::now();
        let mut retry = false;
        let answer = loop {
            if conn.is_none() {
                match connect(addr) {
                    Ok(s) => {
                        counts.connections.fetch_add(1, Ordering::Relaxed);
                        conn = Some(s);
                        used = 0;
                    }
                    Err(e) => break Err(format!("connect: {e}")),
                }
            }
            let s = conn.as_mut().expect("connected above");
            match exchange(s, &mut buf) {
                Ok(a) => break Ok(a),
                Err(Miss::ClosedBeforeAnswer(_)) if used > 0 && !retry => {
                    counts.retried.fetch_add(1, Ordering::Relaxed);
                    conn = None;
                    retry = true;
                }
                Err(Miss::ClosedBeforeAnswer(e)) => {
                    conn = None;
                    break Err(format!("closed before the answer: {e}"));
                }
                Err(Miss::Failed(why)) => {
                    conn = None;
                    break Err(why);
                }
            }
        };
        match answer {
            Ok(a) => {
                used += 1;
                if !a.keep {
                    conn = None;
                }
                let us = started.elapsed().as_micros() as u64;
                counts.max_latency_us.fetch_max(us, Ordering::Relaxed);
                counts.served.fetch_add(1, Ordering::Relaxed);
                if a.body != last_body {
                    counts.bodies.lock().unwrap().insert(a.body.clone());
                    last_body = a.body;
                }
            }
            Err(why) => {
                report(counts, &why);
                // A refused connect would spin: give the server a moment.
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

fn unix_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: http_load ADDR CONNS STOPFILE [INTERVAL_MS=100] [MAX_SECONDS=300]";
    let addr: SocketAddr = args
        .next()
        .and_then(|a| a.to_socket_addrs().ok()?.next())
        .expect(usage);
    let conns: usize = args.next().and_then(|a| a.parse().ok()).expect(usage);
    let stopfile = PathBuf::from(args.next().expect(usage));
    let interval = Duration::from_millis(args.next().map_or(100, |a| a.parse().expect(usage)));
    let max = Duration::from_secs(args.next().map_or(300, |a| a.parse().expect(usage)));

    let done = Arc::new(AtomicBool::new(false));
    let counts = Arc::new(Counts::default());
    let threads: Vec<_> = (0..conns)
        .map(|_| {
            let (done, counts) = (done.clone(), counts.clone());
            std::thread::spawn(move || drive(addr, &done, &counts))
        })
        .collect();

    let started = Instant::now();
    let mut next = started + interval;
    let (mut served_before, mut failed_before) = (0, 0);
    while !stopfile.exists() && started.elapsed() < max {
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
        let (served, failed) = (
            counts.served.load(Ordering::Relaxed),
            counts.failed.load(Ordering::Relaxed),
        );
        println!(
            "interval {} {} {}",
            unix_ms(),
            served - served_before,
            failed - failed_before
        );
        (served_before, failed_before) = (served, failed);
        next += interval;
    }
    done.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    println!("requests: {}", counts.served.load(Ordering::Relaxed));
    println!("failed: {}", counts.failed.load(Ordering::Relaxed));
    println!("retried: {}", counts.retried.load(Ordering::Relaxed));
    println!(
        "connections: {}",
        counts.connections.load(Ordering::Relaxed)
    );
    println!("bodies: {}", counts.bodies.lock().unwrap().len());
    println!(
        "max latency: {:.1} [ms]",
        counts.max_latency_us.load(Ordering::Relaxed) as f64 / 1e3
    );
}
