//! yield_storm: the reliability issue's reproduction, as a program. Fifty
//! greenlets yield five times each, over and over, for three seconds (or
//! the seconds given). On may's short timers this corrupted the heap within
//! a second or two; it must exit 0.
//!
//!     cargo run --release --example yield_storm          # 3 s
//!     cargo run --release --example yield_storm -- 10    # 10 s
//!
//! `scripts/stress.sh` runs it many times with the stress tests.
use std::time::{Duration, Instant};

fn main() {
    let secs: u64 = std::env::args()
        .nth(1)
        .map_or(3, |s| s.parse().expect("seconds"));
    let t_end = Instant::now() + Duration::from_secs(secs);
    let mut rounds = 0u64;
    while Instant::now() < t_end {
        let gs: Vec<_> = (0..50)
            .map(|_| {
                greenline::spawn(|| {
                    for _ in 0..5 {
                        greenline::yield_now()
                    }
                })
            })
            .collect();
        for g in gs {
            g.join().unwrap();
        }
        rounds += 1;
    }
    println!("{rounds} rounds of 50 greenlets x 5 yields");
}
