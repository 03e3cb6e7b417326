//! Core micro-benchmarks: greenline against raw may and std threads, measured
//! side by side in one run on one worker.
//!
//!     cargo bench --bench core
//!
//! Prints the median of 11 batches for each figure, and greenline's ratio to
//! each peer (below 1.0 means greenline is faster). Targets from the core
//! issue, on this 2-core machine with one worker: spawn+join at most 1 µs,
//! queue ping-pong at most 300 ns per message.

use std::io::{Read, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use greenline::config::{self, Config};
use greenline::net::{TcpListener, TcpStream};
use greenline::sync::{Event, Queue};

const BATCHES: usize = 11;

/// Runs `batch` (which performs `n` operations) BATCHES times and returns the
/// median time per operation.
fn median_per_op(n: u32, mut batch: impl FnMut(u32)) -> Duration {
    batch(n / 10 + 1); // warm up
    let mut v: Vec<Duration> = (0..BATCHES)
        .map(|_| {
            let t = Instant::now();
            batch(n);
            t.elapsed() / n
        })
        .collect();
    v.sort();
    v[BATCHES / 2]
}

/// Runs `f` inside a greenlet and returns its result.
fn in_greenlet<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    greenline::spawn(f).join().unwrap()
}

fn row(name: &str, ours: Duration, peers: &[(&str, Duration)], target: Option<Duration>) {
    let mut line = format!("{name:<28} greenline {:>9.0} ns", ours.as_nanos());
    for (peer, d) in peers {
        line += &format!(
            " | {peer} {:>8.0} ns (ratio {:.2})",
            d.as_nanos(),
            ours.as_secs_f64() / d.as_secs_f64()
        );
    }
    if let Some(t) = target {
        line += &format!(
            " | target <= {} ns: {}",
            t.as_nanos(),
            if ours <= t { "PASS" } else { "MISS" }
        );
    }
    println!("{line}");
}

fn spawn_join() {
    let ours = in_greenlet(|| {
        median_per_op(20_000, |n| {
            for i in 0..n {
                let g = greenline::spawn(move || std::hint::black_box(i));
                std::hint::black_box(g.join().unwrap());
            }
        })
    });
    let raw_may = in_greenlet(|| {
        median_per_op(20_000, |n| {
            for i in 0..n {
                let h = may::go!(move || std::hint::black_box(i));
                std::hint::black_box(h.join().unwrap());
            }
        })
    });
    let threads = median_per_op(2_000, |n| {
        for i in 0..n {
            let h = std::thread::spawn(move || std::hint::black_box(i));
            std::hint::black_box(h.join().unwrap());
        }
    });
    row(
        "spawn + join",
        ours,
        &[("raw may", raw_may), ("std thread", threads)],
        Some(Duration::from_nanos(1_000)),
    );
}

fn ping_pong() {
    // One message each way per round; the figure is per message.
    let ours = in_greenlet(|| {
        let (ping, pong) = (Queue::new(), Queue::new());
        let echo = {
            let (ping, pong) = (ping.clone(), pong.clone());
            greenline::spawn(move || {
                while let Ok(x) = ping.get() {
                    pong.put(x).unwrap();
                }
            })
        };
        let d = median_per_op(50_000, |n| {
            for i in 0..n {
                ping.put(i).unwrap();
                std::hint::black_box(pong.get().unwrap());
            }
        }) / 2;
        ping.close();
        echo.join().unwrap();
        d
    });
    let raw_may = in_greenlet(|| {
        let (ping_tx, ping_rx) = may::sync::mpsc::channel::<u32>();
        let (pong_tx, pong_rx) = may::sync::mpsc::channel::<u32>();
        let echo = may::go!(move || {
            while let Ok(x) = ping_rx.recv() {
                if pong_tx.send(x).is_err() {
                    break;
                }
            }
        });
        let d = median_per_op(50_000, |n| {
            for i in 0..n {
                ping_tx.send(i).unwrap();
                std::hint::black_box(pong_rx.recv().unwrap());
            }
        }) / 2;
        drop(ping_tx);
        echo.join().unwrap();
        d
    });
    let threads = {
        let (ping_tx, ping_rx) = mpsc::channel::<u32>();
        let (pong_tx, pong_rx) = mpsc::channel::<u32>();
        let echo = std::thread::spawn(move || {
            while let Ok(x) = ping_rx.recv() {
                if pong_tx.send(x).is_err() {
                    break;
                }
            }
        });
        let d = median_per_op(20_000, |n| {
            for i in 0..n {
                ping_tx.send(i).unwrap();
                std::hint::black_box(pong_rx.recv().unwrap());
            }
        }) / 2;
        drop(ping_tx);
        echo.join().unwrap();
        d
    };
    row(
        "queue ping-pong (per msg)",
        ours,
        &[("raw may mpsc", raw_may), ("std threads mpsc", threads)],
        Some(Duration::from_nanos(300)),
    );
}

fn event_wake() {
    // Two events bounced between two greenlets: set, the waiter wakes, clears
    // and sets the other. Figure per wake.
    let ours = in_greenlet(|| {
        let (a, b) = (Event::new(), Event::new());
        let other = {
            let (a, b) = (a.clone(), b.clone());
            greenline::spawn(move || loop {
                if a.wait().is_err() {
                    break;
                }
                a.clear();
                b.set();
            })
        };
        let d = median_per_op(30_000, |n| {
            for _ in 0..n {
                a.set();
                b.wait().unwrap();
                b.clear();
            }
        }) / 2;
        other.kill();
        d
    });
    let threads = {
        use std::sync::{Arc, Condvar, Mutex};
        let pair = Arc::new((Mutex::new(0u8), Condvar::new()));
        let other = {
            let pair = pair.clone();
            std::thread::spawn(move || loop {
                let (m, c) = &*pair;
                let mut s = c.wait_while(m.lock().unwrap(), |s| *s == 0).unwrap();
                if *s == 2 {
                    break;
                }
                *s = 0;
                c.notify_all();
            })
        };
        let d = median_per_op(20_000, |n| {
            let (m, c) = &*pair;
            for _ in 0..n {
                let mut s = m.lock().unwrap();
                *s = 1;
                c.notify_all();
                drop(c.wait_while(s, |s| *s == 1).unwrap());
            }
        }) / 2;
        *pair.0.lock().unwrap() = 2;
        pair.1.notify_all();
        other.join().unwrap();
        d
    };
    row(
        "event wake",
        ours,
        &[("std Condvar threads", threads)],
        None,
    );
}

/// Echoes 64-byte messages until the peer goes away.
fn echo_64(mut s: impl Read + Write) {
    let mut buf = [0u8; 64];
    while s.read_exact(&mut buf).is_ok() {
        if s.write_all(&buf).is_err() {
            break;
        }
    }
}

/// Median time of one 64-byte round trip over `c`.
fn round_trips(mut c: impl Read + Write) -> Duration {
    let mut buf = [7u8; 64];
    median_per_op(20_000, |n| {
        for _ in 0..n {
            c.write_all(&buf).unwrap();
            c.read_exact(&mut buf).unwrap();
        }
    })
}

fn echo_round_trip() {
    let ours = in_greenlet(|| {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        greenline::spawn(move || echo_64(l.accept().unwrap().0));
        let c = TcpStream::connect(addr).unwrap();
        c.set_nodelay(true).unwrap();
        round_trips(c)
    });
    let raw_may = in_greenlet(|| {
        let l = may::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        may::go!(move || echo_64(l.accept().unwrap().0));
        let c = may::net::TcpStream::connect(addr).unwrap();
        c.set_nodelay(true).unwrap();
        round_trips(c)
    });
    let threads = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        std::thread::spawn(move || {
            let (s, _) = l.accept().unwrap();
            s.set_nodelay(true).unwrap();
            echo_64(s)
        });
        let c = std::net::TcpStream::connect(addr).unwrap();
        c.set_nodelay(true).unwrap();
        round_trips(c)
    };
    row(
        "echo round trip 64 B",
        ours,
        &[("raw may", raw_may), ("std threads", threads)],
        None,
    );
}

fn main() {
    // `cargo bench` passes --bench; other arguments select nothing here.
    let workers = std::env::var("GREENLINE_WORKERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    config::configure(Config::from_env().workers(workers)).expect("configure before first use");
    println!("greenline core benchmarks: {workers} worker(s), median of {BATCHES} batches");
    // `cargo bench --bench core -- NAME` runs the benchmarks whose name
    // contains NAME (spawn, ping, event, echo).
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let wanted = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));
    let all: [(&str, fn()); 4] = [
        ("spawn", spawn_join),
        ("ping", ping_pong),
        ("event", event_wake),
        ("echo", echo_round_trip),
    ];
    for (name, bench) in all {
        if wanted(name) {
            bench();
        }
    }
}
