//! Memory after a flood: once thousands of connections have come and gone,
//! the server process gives the freed memory back instead of keeping it.
//!
//! One test in its own binary: it reads the process's resident set, which
//! other tests running beside it would disturb.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use greenline::net::TcpStream;
use greenline::server::StreamServer;

/// The process's resident set, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmRSS in /proc/self/status")
}

/// Open-files limit of this process.
fn nofile() -> u64 {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
    limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3)?.parse().ok())
        .unwrap_or(1024)
}

#[test]
fn memory_held_by_a_flood_of_connections_is_returned_after_it() {
    // Both ends are in this process: two descriptors per connection.
    let n = ((nofile().saturating_sub(300)) / 2).min(8_000) as usize;
    assert!(n >= 2_000, "need an open-files limit of at least 4,300");
    let server = StreamServer::bind("127.0.0.1:0", |mut s: TcpStream, _| {
        let mut buf = [0u8; 256];
        while let Ok(k @ 1..) = s.read(&mut buf) {
            if s.write_all(&buf[..k]).is_err() {
                return;
            }
        }
    })
    .unwrap();
    server.start().unwrap();
    let addr = server.local_addr();
    // Warm up the runtime and the server, then measure.
    let mut c = std::net::TcpStream::connect(addr).unwrap();
    c.write_all(b"w").unwrap();
    c.read_exact(&mut [0]).unwrap();
    drop(c);
    let before = rss_kib();

    let mut clients = Vec::with_capacity(n);
    for _ in 0..n {
        let mut c = std::net::TcpStream::connect(addr).unwrap();
        c.write_all(b"x").unwrap();
        c.read_exact(&mut [0]).unwrap();
        clients.push(c);
    }
    let during = rss_kib();
    drop(clients);

    // The flood is over once its greenlets have ended; the memory should
    // then come back within a few seconds.
    let grown = during.saturating_sub(before);
    let bound = before + grown / 10;
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut after = rss_kib();
    while after > bound && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        after = rss_kib();
    }
    eprintln!("{n} connections: {before} KiB before, {during} during, {after} after");
    assert!(
        after <= bound,
        "{n} connections: resident set {before} KiB before, {during} KiB during, \
         still {after} KiB 10 s after (bound {bound} KiB)"
    );
    server.stop(Duration::from_secs(5));
}
