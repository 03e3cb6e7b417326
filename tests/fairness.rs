//! Scheduling promises that need a single worker to be observable: a
//! yield_now loop (or several) does not starve sockets, and code after sleep runs on the
//! worker, not on may's timer thread. (Its own binary: it configures the
//! runtime with one worker.)

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use greenline::config::{self, Config};
use greenline::net::{TcpListener, TcpStream};

fn one_worker() {
    let _ = config::configure(Config::from_env().workers(1));
    assert_eq!(
        config::current().get_workers(),
        1,
        "this binary needs one worker"
    );
}

#[test]
fn a_yield_now_loop_lets_sockets_make_progress() {
    one_worker();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    // The spinner: gevent's `while True: sleep(0)`, for up to 5 s.
    let spinner = {
        let stop = stop.clone();
        greenline::spawn(move || {
            let t = Instant::now();
            let mut n = 0u64;
            while !stop.load(Ordering::SeqCst) && t.elapsed() < Duration::from_secs(5) {
                greenline::yield_now();
                n += 1;
            }
            n
        })
    };
    // Echo round trips on the same (only) worker while it spins.
    let echo = greenline::spawn(move || -> std::io::Result<Duration> {
        let server = greenline::spawn(move || -> std::io::Result<()> {
            let (mut s, _) = listener.accept()?;
            let mut buf = [0; 4];
            for _ in 0..10 {
                s.read_exact(&mut buf)?;
                s.write_all(&buf)?;
            }
            Ok(())
        });
        let t = Instant::now();
        let mut c = TcpStream::connect(addr)?;
        let mut buf = [0; 4];
        for _ in 0..10 {
            c.write_all(b"ping")?;
            c.read_exact(&mut buf)?;
        }
        server.join().unwrap()?;
        Ok(t.elapsed())
    });
    let took = echo.join().unwrap().unwrap();
    stop.store(true, Ordering::SeqCst);
    let spins = spinner.join().unwrap();
    // With may's bare yield_now the echo would wait for the spinner's 5 s.
    assert!(
        took < Duration::from_secs(2),
        "10 round trips took {took:?} beside a spinner"
    );
    assert!(spins > 0);
}

#[test]
fn several_yield_now_loops_let_sockets_make_progress() {
    one_worker();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    // Eight spinners: each one's fair yield, were it only a hand-back
    // through another thread, would be back in the worker's inbox before
    // the others let the run queue empty, and the worker would not poll.
    let spinners: Vec<_> = (0..8)
        .map(|_| {
            let stop = stop.clone();
            greenline::spawn(move || {
                let t = Instant::now();
                let mut n = 0u64;
                while !stop.load(Ordering::SeqCst) && t.elapsed() < Duration::from_secs(5) {
                    greenline::yield_now();
                    n += 1;
                }
                n
            })
        })
        .collect();
    let echo = greenline::spawn(move || -> std::io::Result<Duration> {
        let server = greenline::spawn(move || -> std::io::Result<()> {
            let (mut s, _) = listener.accept()?;
            let mut buf = [0; 4];
            for _ in 0..50 {
                s.read_exact(&mut buf)?;
                s.write_all(&buf)?;
            }
            Ok(())
        });
        let t = Instant::now();
        let mut c = TcpStream::connect(addr)?;
        let mut buf = [0; 4];
        for _ in 0..50 {
            c.write_all(b"ping")?;
            c.read_exact(&mut buf)?;
        }
        server.join().unwrap()?;
        Ok(t.elapsed())
    });
    let took = echo.join().unwrap().unwrap();
    stop.store(true, Ordering::SeqCst);
    let spins: u64 = spinners.into_iter().map(|s| s.join().unwrap()).sum();
    // A poll at least once a millisecond: about 2 ms a round trip (one
    // poll for each direction). Without the wait for the poll, 0.5 s to
    // over 5 s were measured.
    assert!(
        took < Duration::from_secs(1),
        "50 round trips took {took:?} beside eight spinners"
    );
    assert!(spins > 0);
}

#[test]
fn code_after_sleep_runs_on_the_worker() {
    one_worker();
    let ids = greenline::spawn(|| {
        let worker = std::thread::current().id();
        let mut after = Vec::new();
        for _ in 0..5 {
            greenline::sleep(Duration::from_millis(2)).unwrap();
            after.push(std::thread::current().id());
        }
        (worker, after)
    })
    .join()
    .unwrap();
    for id in ids.1 {
        assert_eq!(id, ids.0, "resumed off the worker (on may's timer thread)");
    }
}
