//! Holding a request body to the minimum rate
//! ([`ServerConfig::min_body_rate`](super::ServerConfig::min_body_rate)):
//! every wait for body bytes is bounded by what the rate still allows.
//!
//! ```text
//!  allowance = grace + received / bytes_per_sec      (BodyRate::allowance)
//!  wait for more:  left = allowance - waited so far
//!                  left is zero?  too slow: TimedOut, the server answers 408
//!                  fill(min(read timeout, left)) ─▶ waited += time taken, received += n
//!                  timed out with `left` the shorter bound?  too slow
//! ```
//!
//! Only the time spent in reads counts, not the handler's work between
//! them, nor writing queued responses (a `100 Continue`, pipelined
//! answers) before a read.

use std::io;
use std::time::{Duration, Instant};

use super::source::BodySource;
use super::BodyRate;

/// One body's waiting so far.
#[derive(Debug, Default)]
pub(crate) struct Pace {
    /// Time spent in reads of this body.
    waited: Duration,
    /// Bytes those reads brought (body and framing, and whatever of the
    /// next request came with them).
    received: u64,
    /// A wait ran out of what the rate allows.
    too_slow: bool,
}

impl Pace {
    /// Whether the body came slower than the rate allows; the server then
    /// answers 408 and closes.
    pub(crate) fn too_slow(&self) -> bool {
        self.too_slow
    }

    /// Reads more of the body into `io`'s buffer ([`BodySource::fill`],
    /// queued output first), waiting at most `read_timeout` and at most
    /// what `rate` leaves. Returns 0 at end of file.
    ///
    /// # Errors
    ///
    /// `TimedOut` when either bound passes (after the rate's,
    /// [`too_slow`](Self::too_slow) is true), and `io`'s errors.
    pub(crate) fn fill(
        &mut self,
        io: &mut (impl BodySource + ?Sized),
        rate: Option<BodyRate>,
        read_timeout: Option<Duration>,
    ) -> io::Result<usize> {
        // Writing queued responses is not waiting for the body.
        io.flush()?;
        let Some(rate) = rate else {
            return io.fill(read_timeout);
        };
        let left = rate.allowance(self.received).saturating_sub(self.waited);
        if left.is_zero() {
            self.too_slow = true;
            return Err(crate::time::timed_out());
        }
        let rate_bounds = read_timeout.map_or(true, |t| left <= t);
        let timeout = if rate_bounds {
            Some(left)
        } else {
            read_timeout
        };
        let started = Instant::now();
        let filled = io.fill(timeout);
        self.waited += started.elapsed();
        match &filled {
            Ok(n) => self.received += *n as u64,
            Err(e) if e.kind() == io::ErrorKind::TimedOut && rate_bounds => self.too_slow = true,
            Err(_) => {}
        }
        filled
    }
}
