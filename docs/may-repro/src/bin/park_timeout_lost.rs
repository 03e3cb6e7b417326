//! may 0.3.51: `park_timeout` with a timeout under a millisecond parks for
//! ever. may keeps park timeouts in whole milliseconds, truncating, and
//! reads 0 as "no timeout": `park_timeout(Duration::from_micros(500))`
//! never times out. Expected: prints "done" at once. Seen: "has not woken
//! in 10 s", every run.
//!
//! (The same `Park::subscribe` also queues its timer before it stores the
//! coroutine the timer is to wake, so a timer that fires in between wakes
//! nobody and the park waits for ever; that needs the worker to stall for
//! the whole timeout inside `subscribe`, and is not reproduced here.)
//!
//!     cargo run --release --bin park_timeout_lost
use std::time::{Duration, Instant};

fn main() {
    let start = Instant::now();
    let co = may::go!(|| {
        // Never unparked: only the timeout can end it.
        may::coroutine::park_timeout(Duration::from_micros(500));
    });
    while !co.is_done() {
        if start.elapsed() > Duration::from_secs(10) {
            eprintln!("a coroutine parked for 500 µs has not woken in 10 s");
            std::process::exit(1);
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    println!("done in {:?}", start.elapsed());
}
