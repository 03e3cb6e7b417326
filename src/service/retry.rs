//! [`connect_and_retry`]: a client's connect, tried again with exponential
//! back-off and jitter until it succeeds, the attempts run out, or a
//! deadline passes.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::net::{create_connection, ConnectOptions, TcpStream, ToAddress};

/// How [`connect_and_retry`] waits between attempts: the n-th wait (from
/// 0) is `initial_delay * 2^n`, capped at `max_delay`, less a random part
/// of up to `jitter` of it (so clients that lost one server do not come
/// back in step).
///
/// Defaults: 100 ms first wait, 30 s cap, jitter 0.5, no limit on
/// attempts, no deadline, a 10 s timeout per attempt.
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    initial_delay: Duration,
    max_delay: Duration,
    jitter: f64,
    max_attempts: Option<u32>,
    deadline: Option<Duration>,
    connect_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(30),
            jitter: 0.5,
            max_attempts: None,
            deadline: None,
            connect_timeout: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The default policy (see the type's docs).
    pub fn new() -> RetryPolicy {
        RetryPolicy::default()
    }

    /// The first wait.
    pub fn initial_delay(mut self, d: Duration) -> RetryPolicy {
        self.initial_delay = d;
        self
    }

    /// The longest wait.
    pub fn max_delay(mut self, d: Duration) -> RetryPolicy {
        self.max_delay = d;
        self
    }

    /// The part of each wait that is random, from 0 (none) to 1 (a wait
    /// anywhere between 0 and the full delay); clamped to that range.
    pub fn jitter(mut self, fraction: f64) -> RetryPolicy {
        self.jitter = if fraction.is_nan() {
            0.0
        } else {
            fraction.clamp(0.0, 1.0)
        };
        self
    }

    /// Gives up after `n` attempts (at least 1).
    pub fn max_attempts(mut self, n: u32) -> RetryPolicy {
        self.max_attempts = Some(n.max(1));
        self
    }

    /// Gives up once `d` has passed since the first attempt: no attempt
    /// starts after it, and waits and attempts are cut to end by it.
    pub fn deadline(mut self, d: Duration) -> RetryPolicy {
        self.deadline = Some(d);
        self
    }

    /// The timeout of each attempt (resolution and connect).
    pub fn connect_timeout(mut self, d: Duration) -> RetryPolicy {
        self.connect_timeout = d;
        self
    }

    /// The wait after failed attempt `n` (from 0), before jitter:
    /// `initial_delay * 2^n`, capped at `max_delay`.
    pub fn backoff(&self, n: u32) -> Duration {
        let factor = 2u32.saturating_pow(n.min(31));
        self.initial_delay
            .saturating_mul(factor)
            .min(self.max_delay)
    }

    /// The wait after failed attempt `n` with its jitter drawn from `r`
    /// (in `[0, 1)`): `backoff(n) * (1 - jitter * r)`.
    fn wait(&self, n: u32, r: f64) -> Duration {
        self.backoff(n).mul_f64(1.0 - self.jitter * r)
    }
}

/// Connects to `addr` (as [`create_connection`]), trying again after each
/// failure as `policy` says, and returns the first stream that connects.
///
/// Each attempt is bounded by the policy's connect timeout (and what is
/// left of its deadline). Between attempts it sleeps the policy's wait:
/// woken by the time passing; a kill ends the sleep (the greenlet unwinds);
/// the caller's [`crate::Timeout`] ends it with `TimedOut`. Errors that a
/// retry cannot mend (`InvalidInput`: a malformed address) return at once.
///
/// # Errors
///
/// The last attempt's error kind, with a message naming the address, the
/// number of attempts and the last error, once the attempts or the
/// deadline are spent; `TimedOut` from the caller's `Timeout`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use greenline::service::{connect_and_retry, RetryPolicy};
///
/// let port = greenline::testing::free_port().unwrap();
/// let addr = format!("127.0.0.1:{port}");
/// let late = addr.clone();
/// greenline::spawn_later(Duration::from_millis(50), move || {
///     let l = greenline::net::TcpListener::bind(late.as_str()).unwrap();
///     let _ = l.accept();
/// });
/// let policy = RetryPolicy::new().initial_delay(Duration::from_millis(10)).deadline(Duration::from_secs(5));
/// assert!(connect_and_retry(addr.as_str(), &policy).is_ok());
/// ```
pub fn connect_and_retry(addr: impl ToAddress, policy: &RetryPolicy) -> io::Result<TcpStream> {
    let address = addr.to_address()?;
    let started = Instant::now();
    let end = policy.deadline.and_then(|d| started.checked_add(d));
    let mut attempt = 0u32;
    loop {
        let mut timeout = policy.connect_timeout;
        if let Some(end) = end {
            timeout = timeout.min(end.saturating_duration_since(Instant::now()));
        }
        let err = match create_connection(&address, ConnectOptions::new().timeout(timeout)) {
            Ok(stream) => return Ok(stream),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::InvalidInput | io::ErrorKind::Unsupported
                ) =>
            {
                return Err(e)
            }
            Err(e) => e,
        };
        attempt += 1;
        let give_up = |why: &str| {
            io::Error::new(
                err.kind(),
                format!(
                    "gave up connecting to {address:?} after {attempt} attempt(s) in {:?} ({why}): {err}",
                    started.elapsed()
                ),
            )
        };
        if policy.max_attempts.is_some_and(|n| attempt >= n) {
            return Err(give_up("attempts spent"));
        }
        let mut wait = policy.wait(attempt - 1, random_unit());
        if let Some(end) = end {
            let left = end.saturating_duration_since(Instant::now());
            if left <= wait {
                return Err(give_up("deadline passed"));
            }
            wait = wait.min(left);
        }
        log::debug!(
            "connect to {address:?} failed ({err}); attempt {} in {wait:?}",
            attempt + 1
        );
        crate::sleep(wait)?;
    }
}

/// A number in `[0, 1)` for jitter: splitmix64 over a counter and the
/// clock. Not for secrets; only spreads clients apart.
fn random_unit() -> f64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut z = STATE.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed) ^ nanos;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_jitter_only_shortens() {
        let p = RetryPolicy::new()
            .initial_delay(Duration::from_millis(100))
            .max_delay(Duration::from_secs(1))
            .jitter(0.5);
        let got: Vec<u64> = (0..6).map(|n| p.backoff(n).as_millis() as u64).collect();
        assert_eq!(got, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(p.wait(1, 0.0), Duration::from_millis(200));
        let shortest = p.wait(1, 0.999_999);
        assert!(
            shortest >= Duration::from_millis(100) && shortest < Duration::from_micros(100_001)
        );
        for _ in 0..1000 {
            let r = random_unit();
            assert!((0.0..1.0).contains(&r), "{r}");
        }
        assert_eq!(p.backoff(u32::MAX), Duration::from_secs(1));
    }
}
