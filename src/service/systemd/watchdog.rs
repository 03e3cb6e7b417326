//! The systemd watchdog: `WATCHDOG=1` at half of `WATCHDOG_USEC`, from a
//! greenlet, withheld while a worker is stuck.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use super::notify::Notifier;
use crate::greenlet::Greenlet;

/// How often the manager wants a `WATCHDOG=1` at the latest
/// (`WATCHDOG_USEC`), or `None` when it wants none: unset, zero, or
/// `WATCHDOG_PID` naming another process.
///
/// # Errors
///
/// `InvalidData` naming the variable and its value when `WATCHDOG_USEC`
/// is not a number of microseconds.
pub fn watchdog_interval() -> io::Result<Option<Duration>> {
    let Some(usec) = std::env::var("WATCHDOG_USEC")
        .ok()
        .filter(|v| !v.is_empty())
    else {
        return Ok(None);
    };
    if let Ok(pid) = std::env::var("WATCHDOG_PID") {
        if !pid.is_empty() && pid.trim().parse::<u32>().ok() != Some(std::process::id()) {
            return Ok(None);
        }
    }
    let usec: u64 = usec.trim().parse().map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("WATCHDOG_USEC={usec:?}: expected a number of microseconds"),
        )
    })?;
    Ok((usec > 0).then(|| Duration::from_micros(usec)))
}

/// Starts a greenlet that sends `WATCHDOG=1` every `interval / 2` until
/// killed.
///
/// It runs on a greenline worker like the service's own greenlets, so a
/// scheduler that stops running greenlets stops the pings too. Besides,
/// a ping is withheld while [`crate::monitor::stuck`] reports a greenlet
/// holding a worker without yielding (the monitor must be on, e.g.
/// `GREENLINE_MAX_BLOCKING_MS`): the manager then sees the service hang
/// and restarts it, which is the watchdog's point. A failed send is
/// logged and the pings go on.
///
/// Kill the returned greenlet (its `kill`) to stop it; the kill wakes it
/// from its sleep.
pub fn spawn_watchdog(notifier: Arc<Notifier>, interval: Duration) -> Greenlet<()> {
    let period = (interval / 2).max(Duration::from_millis(1));
    crate::greenlet::spawn(move || loop {
        let stuck = crate::monitor::stuck();
        if stuck.is_empty() {
            if let Err(e) = notifier.watchdog() {
                log::warn!("watchdog ping: {e}");
            }
        } else {
            let who: Vec<String> = stuck
                .iter()
                .map(|r| format!("{} for {} ms", r.greenlet, r.blocked_for.as_millis()))
                .collect();
            log::warn!("watchdog ping withheld: worker held by {}", who.join(", "));
        }
        if crate::time::sleep(period).is_err() {
            return;
        }
    })
}
