//! gevent's `threadpool` example: four blocking `sleep(1)` calls on a
//! `ThreadPool` of three threads, waited for with `greenline::wait`: about
//! 2 s, since the fourth waits for a free thread. A port of
//! `compat/threadpool.py`, line for line.
//!
//! Run:   cargo run --example threadpool
//!
//! Prints one line with the time it took, to the millisecond.

use std::time::{Duration, Instant};

use greenline::threadpool::ThreadPool;

fn main() {
    let pool = ThreadPool::new(3);
    let start = Instant::now();
    for _ in 0..4 {
        pool.spawn(|| std::thread::sleep(Duration::from_secs(1)));
    }
    greenline::wait(None);
    let delay = start.elapsed().as_secs_f64();
    println!("Running \"time.sleep(1)\" 4 times with 3 threads. Should take about 2 seconds: {delay:.3}s");
}
