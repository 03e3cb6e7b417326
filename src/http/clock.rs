//! The second a response's `Date` shows, read from a coarse clock.
//!
//! Reading the system clock for every response cost more than the rest of
//! the header, so responses read a second counter instead: a thread
//! (`greenline-http-date`, started by the first [`coarse_secs`]) stores the
//! system time's whole seconds in it just after each second begins. The
//! `Date` written is at most one second behind the clock, as RFC 9110
//! §6.6.1 allows ("the best available approximation"); may_minihttp
//! updates its cached date every 500 ms the same way. The codec formats
//! the second (`proto::format_http_date`); a connection formats it once per
//! second it answers in (`proto::HeadCache`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The system clock's seconds since the epoch, as of the clock thread's
/// last tick.
static NOW: AtomicU64 = AtomicU64::new(0);
/// Whether the clock thread runs; `false` if it could not be spawned, and
/// then every call reads the system clock itself.
static TICKING: OnceLock<bool> = OnceLock::new();

/// Wakes just after each second of the system clock begins and stores it in
/// `NOW`. Sleeps are capped at a second, so a clock that is set backwards or
/// forwards is followed within one.
fn tick() {
    loop {
        let now = SystemTime::now().duration_since(UNIX_EPOCH);
        NOW.store(now.as_ref().map_or(0, Duration::as_secs), Ordering::Relaxed);
        let into_second = now.map_or(Duration::ZERO, |d| {
            Duration::from_nanos(d.subsec_nanos().into())
        });
        // 1 ms past the next boundary, so the read lands in the new second.
        std::thread::sleep(Duration::from_millis(1001).saturating_sub(into_second));
    }
}

/// The system clock's seconds since the epoch, 0 for a clock set before
/// 1970.
fn system_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The current second since the epoch, from the clock thread (started on
/// first use): at most one second behind the system clock, and no clock
/// read per call.
pub(crate) fn coarse_secs() -> u64 {
    let ticking = *TICKING.get_or_init(|| {
        NOW.store(system_secs(), Ordering::Relaxed);
        std::thread::Builder::new()
            .name("greenline-http-date".into())
            .spawn(tick)
            .is_ok()
    });
    if ticking {
        NOW.load(Ordering::Relaxed)
    } else {
        system_secs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coarse_clock_follows_the_system_clock() {
        let before = system_secs();
        let coarse = coarse_secs();
        let after = system_secs();
        // One second behind at most, by design; one more of slack for a
        // clock thread woken late on a loaded machine.
        assert!(
            before <= coarse + 2 && coarse <= after,
            "{before} {coarse} {after}"
        );
    }
}
