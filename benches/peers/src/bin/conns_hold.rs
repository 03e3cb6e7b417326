//! The many-connections test: opens N keep-alive HTTP connections to a
//! server, sends one request on each and reads the answer, holds them all
//! open, and reports the server's resident memory per connection. Before
//! closing it sends a second request on every connection, so a connection
//! the server dropped while idle counts as an error.
//!
//! Usage: `conns_hold ADDR N SERVER_PID [HOLD_SECONDS=2]`
//!
//! Prints `connections`, `errors`, the server's VmRSS before the first
//! connection and with all N open, and `rss per connection: B [B]`
//! ((after - before) / N). Exits 1 when any connection failed. On
//! stderr, `conns_hold: all N answered once; holding` marks the start of
//! the hold, for a script that acts on the server meanwhile.
//!
//! At most 256 connects are in flight at once, so a backlog of 1024 never
//! overflows; every step has a 10 s timeout.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Barrier, Semaphore};
use tokio::time::timeout;

const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
const STEP: Duration = Duration::from_secs(10);

/// VmRSS of `pid` in KiB, from `/proc/PID/status`.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("server pid");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS line")
}

/// Sends one request and reads one whole response (headers and a
/// Content-Length body); `buf` keeps any bytes past it.
async fn exchange(stream: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<()> {
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_string());
    stream.write_all(REQUEST).await?;
    buf.clear();
    let mut chunk = [0u8; 1024];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buf[..end]).map_err(|_| bad("head not utf-8"))?;
            if !head.starts_with("HTTP/1.1 200") {
                return Err(bad("status is not 200"));
            }
            let len: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .ok_or_else(|| bad("no content-length"))?;
            if buf.len() >= end + 4 + len {
                buf.drain(..end + 4 + len);
                return Ok(());
            }
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn step<F: std::future::Future<Output = std::io::Result<()>>>(f: F) -> std::io::Result<()> {
    timeout(STEP, f)
        .await
        .map_err(|_| std::io::ErrorKind::TimedOut)?
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: conns_hold ADDR N SERVER_PID [HOLD_SECONDS]";
    let addr = args.next().expect(usage);
    let n: usize = args.next().and_then(|a| a.parse().ok()).expect(usage);
    let pid: u32 = args.next().and_then(|a| a.parse().ok()).expect(usage);
    let hold: f64 = args.next().map_or(2.0, |a| a.parse().expect(usage));

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let errors = rt.block_on(async move {
        let before = rss_kib(pid);
        let started = Instant::now();
        let errors = Arc::new(AtomicU64::new(0));
        let connecting = Arc::new(Semaphore::new(256));
        // Two rendezvous: all N served once (measure), then the hold is over.
        let opened = Arc::new(Barrier::new(n + 1));
        let release = Arc::new(Barrier::new(n + 1));
        let mut tasks = Vec::with_capacity(n);
        for _ in 0..n {
            let (addr, errors, connecting, opened, release) = (
                addr.clone(),
                errors.clone(),
                connecting.clone(),
                opened.clone(),
                release.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let mut buf = Vec::new();
                let permit = connecting.acquire().await;
                let first = async {
                    let mut s = timeout(STEP, TcpStream::connect(&addr))
                        .await
                        .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
                    step(exchange(&mut s, &mut buf)).await?;
                    Ok::<_, std::io::Error>(s)
                }
                .await;
                drop(permit);
                opened.wait().await;
                let second = match first {
                    Ok(mut s) => {
                        release.wait().await;
                        step(exchange(&mut s, &mut buf)).await
                    }
                    Err(e) => {
                        release.wait().await;
                        Err(e)
                    }
                };
                if let Err(e) = second {
                    if errors.fetch_add(1, Ordering::Relaxed) < 5 {
                        eprintln!("conns_hold: {e}");
                    }
                }
            }));
        }
        opened.wait().await;
        let open_secs = started.elapsed().as_secs_f64();
        // For a script that acts on the server while they are held.
        eprintln!("conns_hold: all {n} answered once; holding");
        // Let the server's handlers reach their idle read before measuring.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let after = rss_kib(pid);
        tokio::time::sleep(Duration::from_secs_f64(hold)).await;
        release.wait().await;
        for t in tasks {
            let _ = t.await;
        }
        let errors = errors.load(Ordering::Relaxed);
        let per_conn = (after.saturating_sub(before) * 1024) as f64 / n as f64;
        println!("connections: {n}");
        println!("opened in: {open_secs:.3} [s]");
        println!("held for: {hold:.1} [s], then one more request on each");
        println!("errors: {errors}");
        println!("server rss before: {before} [KiB]");
        println!("server rss with all open: {after} [KiB]");
        println!("rss per connection: {per_conn:.0} [B]");
        errors
    });
    std::process::exit(if errors == 0 { 0 } else { 1 });
}
