//! Load generator for the echo benchmark: C connections, each a ping-pong
//! loop of one S-byte message (send it, read S bytes back, repeat), for a
//! fixed duration. Prints the round trips per second and the errors.
//!
//! Usage: `echo_load ADDR [CONNECTIONS=64] [SIZE=64] [SECONDS=10]`
//!
//! One tokio current_thread runtime: pinned to its own core by the script,
//! it drives all connections without a thread per connection. Counting
//! starts after every connection is open and has done one round trip.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn arg<T: std::str::FromStr>(n: usize, default: T) -> T {
    std::env::args()
        .nth(n)
        .map(|a| {
            a.parse()
                .unwrap_or_else(|_| panic!("argument {n} is not a number"))
        })
        .unwrap_or(default)
}

async fn ping(stream: &mut TcpStream, msg: &[u8], buf: &mut [u8]) -> std::io::Result<()> {
    stream.write_all(msg).await?;
    stream.read_exact(buf).await?;
    if buf != msg {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "echo differs",
        ));
    }
    Ok(())
}

fn main() -> std::io::Result<()> {
    let addr: String = std::env::args()
        .nth(1)
        .expect("usage: echo_load ADDR [CONNECTIONS] [SIZE] [SECONDS]");
    let conns: usize = arg(2, 64);
    let size: usize = arg(3, 64);
    let secs: f64 = arg(4, 10.0);

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let counted = Arc::new(AtomicU64::new(0));
        let errors = Arc::new(AtomicU64::new(0));
        let counting = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let ready = Arc::new(tokio::sync::Barrier::new(conns + 1));
        let mut tasks = Vec::new();
        for i in 0..conns {
            let (addr, counted, errors, counting, stop, ready) = (
                addr.clone(),
                counted.clone(),
                errors.clone(),
                counting.clone(),
                stop.clone(),
                ready.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let msg: Vec<u8> = (0..size).map(|b| (b + i) as u8).collect();
                let mut buf = vec![0u8; size];
                let mut stream = match TcpStream::connect(&addr).await {
                    Ok(s) => s,
                    Err(e) => {
                        eprintln!("echo_load: connect: {e}");
                        errors.fetch_add(1, Ordering::Relaxed);
                        ready.wait().await;
                        return;
                    }
                };
                let _ = stream.set_nodelay(true);
                let warm = ping(&mut stream, &msg, &mut buf).await;
                ready.wait().await;
                if let Err(e) = warm {
                    eprintln!("echo_load: {e}");
                    errors.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                while !stop.load(Ordering::Relaxed) {
                    if let Err(e) = ping(&mut stream, &msg, &mut buf).await {
                        eprintln!("echo_load: {e}");
                        errors.fetch_add(1, Ordering::Relaxed);
                        return;
                    }
                    if counting.load(Ordering::Relaxed) {
                        counted.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }));
        }
        ready.wait().await;
        counting.store(true, Ordering::Relaxed);
        let start = Instant::now();
        tokio::time::sleep(Duration::from_secs_f64(secs)).await;
        counting.store(false, Ordering::Relaxed);
        let elapsed = start.elapsed().as_secs_f64();
        let total = counted.load(Ordering::Relaxed);
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            // Bounded: a server that stopped answering must not hang the script.
            let _ = tokio::time::timeout(Duration::from_secs(2), t).await;
        }
        println!("connections: {conns}");
        println!("message size: {size} [B]");
        println!("duration: {elapsed:.3} [s]");
        println!("round trips: {total}");
        println!("throughput: {:.0} [msg/s]", total as f64 / elapsed);
        println!("errors: {}", errors.load(Ordering::Relaxed));
        Ok(())
    })
}
