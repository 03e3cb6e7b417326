//! The commands that act on a running daemon from outside: `stop`,
//! `status`, `reload`. They find it through its pidfile, signal it, and
//! read what it says about itself in its status file.

use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

use super::status::{status_path, Status};
use crate::service::pidfile::{holder, Holder};
use crate::sys::daemon::signal_process;

/// What a control command prints and the exit status it ends with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The exit status: 0 done, 1 failed (`status`: 3, not running, as
    /// LSB init scripts say).
    pub code: u8,
    /// The lines for the operator.
    pub message: String,
}

impl Outcome {
    fn ok(message: String) -> Outcome {
        Outcome { code: 0, message }
    }
    fn failed(message: String) -> Outcome {
        Outcome { code: 1, message }
    }
}

/// The pid of the daemon holding `pidfile`, or the outcome to report
/// when none does.
fn running(pidfile: &Path) -> io::Result<Result<u32, String>> {
    Ok(match holder(pidfile)? {
        Holder::Running(pid) => Ok(pid),
        Holder::Absent => Err(format!("not running (no pidfile {})", pidfile.display())),
        Holder::Stale(pid) => Err(format!(
            "not running (stale pidfile {}{})",
            pidfile.display(),
            pid.map_or(String::new(), |p| format!(" names pid {p}"))
        )),
    })
}

/// Stops the daemon: `SIGTERM`, then waits up to `timeout` for it to end
/// (it stops its tree gracefully); if it is still running then,
/// `SIGKILL`, and the message says so and names the service its status
/// file says the stop was waiting for. Not running is not an error.
///
/// Blocks the calling thread; woken when the process ends (a pidfd) or
/// by the deadline.
///
/// # Errors
///
/// The pidfile cannot be read, or the signal cannot be sent (`EPERM`:
/// another user's daemon).
pub fn stop(pidfile: &Path, timeout: Duration) -> io::Result<Outcome> {
    let pid = match running(pidfile)? {
        Ok(pid) => pid,
        Err(why) => return Ok(Outcome::ok(why)),
    };
    signal_process(pid, libc::SIGTERM)
        .map_err(|e| io::Error::new(e.kind(), format!("sending TERM to pid {pid}: {e}")))?;
    if wait_exit(pid, timeout)? {
        return Ok(Outcome::ok(format!("stopped (pid {pid})")));
    }
    let status = Status::read(&status_path(pidfile)).ok().flatten();
    let held = status
        .as_ref()
        .and_then(|s| s.stopping.clone())
        .map_or(String::new(), |name| {
            format!(", waiting for service {name:?}")
        });
    let _ = signal_process(pid, libc::SIGKILL);
    // KILL cannot be caught: the kernel ends it, promptly.
    wait_exit(pid, Duration::from_secs(5))?;
    // It could not remove its files: the pidfile is stale now.
    if matches!(holder(pidfile)?, Holder::Stale(_)) {
        let _ = std::fs::remove_file(pidfile);
    }
    let _ = std::fs::remove_file(status_path(pidfile));
    Ok(Outcome::ok(format!(
        "pid {pid} did not stop within {timeout:?} of TERM{held}; killed it (KILL)"
    )))
}

/// Waits until process `pid` has ended, at most `timeout`: `Ok(true)` when
/// it has.
fn wait_exit(pid: u32, timeout: Duration) -> io::Result<bool> {
    let deadline = Instant::now() + timeout;
    if let Ok(fd) = crate::sys::process::pidfd_open(pid) {
        use std::os::fd::AsRawFd;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let events = crate::sys::epoll::poll_fd(fd.as_raw_fd(), true, Some(left))?;
            if events != 0 {
                return Ok(true);
            }
            if left.is_zero() {
                return Ok(false);
            }
        }
    }
    // Without pidfd (old kernels, sandboxes): ask the kernel every 10 ms.
    loop {
        match signal_process(pid, 0) {
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => return Ok(true),
            _ if Instant::now() >= deadline => return Ok(false),
            _ => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

/// Reports whether the daemon runs: its pid, uptime, the tree's state
/// and each service's. Exit status 0 when it runs, 3 when not (LSB).
///
/// # Errors
///
/// The pidfile or status file cannot be read.
pub fn status(pidfile: &Path) -> io::Result<Outcome> {
    let pid = match running(pidfile)? {
        Ok(pid) => pid,
        Err(why) => {
            return Ok(Outcome {
                code: 3,
                message: why,
            })
        }
    };
    let Some(status) = Status::read(&status_path(pidfile))? else {
        return Ok(Outcome::ok(format!("running (pid {pid})")));
    };
    let mut lines = vec![format!(
        "running (pid {pid}), up {}, {}",
        uptime(status.uptime()),
        status.state
    )];
    for (name, state) in &status.services {
        lines.push(format!("  {name}: {state}"));
    }
    if let Some(e) = &status.reload_error {
        lines.push(format!("last reload refused: {e}"));
    }
    Ok(Outcome::ok(lines.join("\n")))
}

fn uptime(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{}s", s / 60, s % 60),
        _ => format!("{}h{}m", s / 3600, s % 3600 / 60),
    }
}

/// Asks the daemon to reload (`SIGHUP`) and waits, at most `timeout`, for
/// its answer in the status file: 0 when the new settings were applied,
/// 1 with the daemon's reason when they were refused (the old ones keep
/// running) or when no answer came.
///
/// Blocks the calling thread, reading the status file every 10 ms until
/// its reload count moves or the deadline passes.
///
/// # Errors
///
/// The pidfile or status file cannot be read, or the signal not sent.
pub fn reload(pidfile: &Path, timeout: Duration) -> io::Result<Outcome> {
    let pid = match running(pidfile)? {
        Ok(pid) => pid,
        Err(why) => return Ok(Outcome::failed(why)),
    };
    let path = status_path(pidfile);
    let before = Status::read(&path)?.map_or(0, |s| s.reloads);
    signal_process(pid, libc::SIGHUP)
        .map_err(|e| io::Error::new(e.kind(), format!("sending HUP to pid {pid}: {e}")))?;
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = Status::read(&path)? {
            if status.reloads > before {
                return Ok(match status.reload_error {
                    None => Outcome::ok(format!("reloaded (pid {pid}): {}", status.reload_summary)),
                    Some(e) => Outcome::failed(format!("reload refused, old settings kept: {e}")),
                });
            }
        }
        if Instant::now() >= deadline {
            return Ok(Outcome::failed(format!(
                "pid {pid} did not answer the reload within {timeout:?}"
            )));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Upgrades the daemon (`SIGUSR2`, see the `upgrade` module) and waits, at
/// most `timeout`, for the outcome: 0 once a new process holds the
/// pidfile and the old one has ended; 1 with the reason when the old one
/// records a failed upgrade (it keeps serving) or no outcome came.
///
/// Blocks the calling thread, reading the pidfile and the status file
/// every 10 ms until one of them answers or the deadline passes.
///
/// # Errors
///
/// The pidfile or status file cannot be read, or the signal not sent.
pub fn upgrade(pidfile: &Path, timeout: Duration) -> io::Result<Outcome> {
    let old = match running(pidfile)? {
        Ok(pid) => pid,
        Err(why) => return Ok(Outcome::failed(why)),
    };
    let path = status_path(pidfile);
    let before = Status::read(&path)?.map_or(0, |s| s.upgrades);
    signal_process(old, libc::SIGUSR2)
        .map_err(|e| io::Error::new(e.kind(), format!("sending USR2 to pid {old}: {e}")))?;
    let deadline = Instant::now() + timeout;
    loop {
        if let Holder::Running(new) = holder(pidfile)? {
            if new != old {
                let left = deadline.saturating_duration_since(Instant::now());
                if wait_exit(old, left)? {
                    return Ok(Outcome::ok(format!(
                        "upgraded: pid {old} replaced by pid {new}"
                    )));
                }
                return Ok(Outcome::failed(format!(
                    "pid {new} took over, but pid {old} still runs after {timeout:?}"
                )));
            }
        }
        if let Some(status) = Status::read(&path)? {
            if status.pid == old && status.upgrades > before {
                let why = status.upgrade_error.unwrap_or_default();
                return Ok(Outcome::failed(format!(
                    "upgrade failed, pid {old} keeps serving: {why}"
                )));
            }
        }
        if Instant::now() >= deadline {
            return Ok(Outcome::failed(format!(
                "pid {old} did not finish the upgrade within {timeout:?}"
            )));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
