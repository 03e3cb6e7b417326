//! The monotonic clock.

/// The monotonic clock (`CLOCK_MONOTONIC`, as `Instant`), in nanoseconds.
pub(crate) fn monotonic_clock() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the call.
    let r = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    assert_eq!(r, 0, "CLOCK_MONOTONIC is unavailable");
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}
