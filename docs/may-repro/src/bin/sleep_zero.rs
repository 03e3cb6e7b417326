//! may 0.3.51: `sleep(Duration::ZERO)` (and sleeps of a few microseconds)
//! in a coroutine corrupts the heap. Expected: runs 3 s and exits 0.
//! Seen: `malloc(): unaligned fastbin chunk detected`, `corrupted
//! double-linked list` or SIGSEGV within the 3 s, in nearly every run.
//!
//!     cargo run --release --bin sleep_zero          # zero sleeps
//!     cargo run --release --bin sleep_zero -- 50    # 50 µs sleeps
use std::time::{Duration, Instant};

fn main() {
    let micros: u64 = std::env::args().nth(1).map_or(0, |a| a.parse().unwrap());
    let dur = Duration::from_micros(micros);
    let end = Instant::now() + Duration::from_secs(3);
    while Instant::now() < end {
        let cos: Vec<_> = (0..50)
            .map(|_| {
                may::go!(move || {
                    for _ in 0..5 {
                        may::coroutine::sleep(dur);
                        may::coroutine::yield_now();
                    }
                })
            })
            .collect();
        for co in cos {
            co.join().unwrap();
        }
    }
}
