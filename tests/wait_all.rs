//! gevent's `wait()`: wait until every other greenlet has finished. In its
//! own binary, since it counts every greenlet of the process.

use std::time::{Duration, Instant};

#[test]
fn wait_returns_once_every_other_greenlet_has_finished() {
    let start = Instant::now();
    for i in 1..=5u64 {
        greenline::spawn(move || greenline::sleep(Duration::from_millis(20 * i)));
    }
    // From a plain thread: all five.
    assert!(greenline::wait(Some(Duration::from_secs(10))));
    assert!(start.elapsed() >= Duration::from_millis(100));

    // From a greenlet: every other one; and a timeout while one runs on.
    let long = greenline::spawn(|| greenline::sleep(Duration::from_secs(60)));
    let waiter = greenline::spawn(|| greenline::wait(Some(Duration::from_millis(50))));
    assert!(!waiter.join().unwrap(), "the long sleeper is still running");
    long.kill();
    let waiter = greenline::spawn(|| greenline::wait(Some(Duration::from_secs(10))));
    assert!(waiter.join().unwrap());
}
