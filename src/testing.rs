//! Support for coroutine test suites: a deadline harness and loopback ports.
//!
//! A test of coroutine code that deadlocks usually hangs the whole test run.
//! [`run`] runs the test body in a greenlet with a deadline instead; when the
//! deadline passes it fails the test with a message naming every greenlet
//! the body started (directly or through its children) that is still
//! running, and what each one is blocked in, then kills them.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use greenline::sync::Queue;
//!
//! let sum = greenline::testing::run(Duration::from_secs(5), || {
//!     let q = Queue::new();
//!     let producer = { let q = q.clone(); greenline::spawn(move || (1..=3).for_each(|i| q.put(i).unwrap())) };
//!     producer.join().unwrap();
//!     (0..3).map(|_| q.get().unwrap()).sum::<i32>()
//! });
//! assert_eq!(sum, 6);
//! ```
//!
//! A body that hangs fails like this (the panic message):
//!
//! ```text
//! test body exceeded its 200ms deadline; greenlets still running:
//!   #12 'test-body' blocked in join
//!   #13 'consumer' blocked in Queue::get
//! ```

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::greenlet::header;
use crate::net::TcpListener;
use crate::{Builder, GreenletError};

static NEXT_SCOPE: AtomicU64 = AtomicU64::new(1);

/// Runs `body` in a greenlet named `test-body` and returns its value.
///
/// # Panics
///
/// When `body` panics (with its message), and when `deadline` passes first:
/// the message lists the greenlets still running, which are then killed.
pub fn run<T, F>(deadline: Duration, body: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let _tracking = header::track();
    let scope = NEXT_SCOPE.fetch_add(1, Ordering::Relaxed);
    let g = Builder::new()
        .name("test-body")
        .scope(scope)
        .spawn(body)
        .unwrap_or_else(|e| panic!("testing::run: cannot spawn the test body: {e}"));
    match g.join_timeout(deadline) {
        Ok(v) => v,
        Err(GreenletError::TimedOut) => {
            let live = header::live(scope);
            let mut msg =
                format!("test body exceeded its {deadline:?} deadline; greenlets still running:");
            for h in &live {
                let state = match h.waiting_on() {
                    Some(what) => format!("blocked in {what}"),
                    None => "running (not in a greenline wait)".to_string(),
                };
                msg.push_str(&format!("\n  #{} '{}' {}", h.id, h.label(), state));
            }
            for h in &live {
                h.request_kill();
            }
            panic!("{msg}");
        }
        Err(e) => panic!("{e}"),
    }
}

/// A listener on `127.0.0.1` with a port the kernel picked.
///
/// # Errors
///
/// Whatever `bind` returns (for example when the process is out of file
/// descriptors).
pub fn local_listener() -> io::Result<TcpListener> {
    TcpListener::bind("127.0.0.1:0")
}

/// A port on `127.0.0.1` that was free a moment ago, for programs that must
/// bind it themselves (a child process, a peer in another language). Another
/// process may take it in between; prefer [`local_listener`] when the code
/// under test can take a listener.
///
/// The port is taken from outside the kernel's ephemeral range
/// (`/proc/sys/net/ipv4/ip_local_port_range`) when there is room below or
/// above it: a port from `bind(:0)` is an ephemeral one, which any
/// connection the machine opens meanwhile may take as its local port, and
/// the program then fails to bind it. Where a process starts looking
/// depends on its id, so test programs running at once seldom meet.
///
/// It never returns the same port twice in one process: tests running side
/// by side would then start two servers on one port (one fails to bind, and
/// the other test's client may reach the wrong server or none).
pub fn free_port() -> io::Result<u16> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    static TRIED: AtomicU32 = AtomicU32::new(0);
    let (lo, hi) = outside_ephemeral_range();
    let span = u32::from(hi - lo);
    if span >= 1000 {
        let start = std::process::id().wrapping_mul(7919) % span;
        for _ in 0..span {
            let offset = (start + TRIED.fetch_add(1, Ordering::Relaxed)) % span;
            let port = lo + offset as u16;
            let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
            if given.contains(&port) || std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
                continue;
            }
            given.push(port);
            return Ok(port);
        }
    }
    // No room outside the ephemeral range: ask the kernel for one.
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
        if !given.contains(&port) {
            given.push(port);
            return Ok(port);
        }
    }
}

/// The larger of the port ranges below and above the kernel's ephemeral
/// range (ports from 10000 up, to stay clear of well-known services), as
/// `lo..hi`; empty when the ephemeral range cannot be read.
fn outside_ephemeral_range() -> (u16, u16) {
    const FLOOR: u16 = 10_000;
    let Ok(text) = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range") else {
        return (FLOOR, FLOOR);
    };
    let mut parts = text.split_whitespace().map(|p| p.parse::<u16>());
    let (Some(Ok(first)), Some(Ok(last))) = (parts.next(), parts.next()) else {
        return (FLOOR, FLOOR);
    };
    let below = (FLOOR, first.max(FLOOR));
    let above = (last.saturating_add(1).max(FLOOR), u16::MAX);
    if below.1 - below.0 >= above.1 - above.0 {
        below
    } else {
        above
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_ports_are_distinct_bindable_and_not_ephemeral() {
        let (lo, hi) = outside_ephemeral_range();
        let ports: Vec<u16> = (0..50).map(|_| free_port().unwrap()).collect();
        let mut distinct = ports.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), ports.len(), "{ports:?}");
        for &port in &ports {
            if hi - lo >= 1000 {
                assert!((lo..hi).contains(&port), "{port} outside {lo}..{hi}");
            }
            std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
        }
    }
}
