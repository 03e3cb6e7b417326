//! Zero-downtime upgrade (`greenline upgrade`, or USR2 to the daemon):
//! the running daemon starts the binary again with its listening sockets
//! handed over, and stops only once the new process is ready.
//!
//! ```text
//!  old: USR2 ─▶ spawn new: listeners as descriptors 3, 4, … (named in
//!        │      LISTEN_FDNAMES), a pipe as the next one
//!        │                 │
//!        │      new: takes the listeners by name (listener_or_bind),
//!        │      starts its tree; both processes accept meanwhile
//!        ▼                 │
//!  "0" on the pipe ◀── ready: new takes over the pidfile
//!        │
//!  old: stops gracefully (its connections finish), exits
//!
//!  new fails ─▶ "<code> <why>" or EOF ─▶ old keeps serving, records
//!               `upgrade N error why` in its status file
//! ```
//!
//! Connections never see a closed port: the listening sockets are the
//! same kernel objects in both processes, and the old one closes its
//! copies only after the new one accepts.

use std::ffi::OsString;
use std::io::{self, PipeWriter, Read};
use std::os::fd::{AsRawFd, RawFd};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::book::Book;
use super::daemonize::ReadyPipe;
use crate::service::systemd::listen::handover;
use crate::sync::Event;
use crate::sys::daemon::{adopt_inherited_fd, pass_fds};

/// The variable naming the descriptor of the pipe to the predecessor.
const READY_FD: &str = "GREENLINE_READY_FD";
/// The variable naming the predecessor's pid.
const PARENT: &str = "GREENLINE_LISTEN_PARENT";

/// In a process an upgrade started: the predecessor's pid and the pipe
/// to tell it the outcome; `None` otherwise (the variables are absent, or
/// name another parent: a grandchild that inherited them).
pub(crate) fn successor_pipe() -> Option<(u32, ReadyPipe)> {
    let parent: u32 = std::env::var(PARENT).ok()?.trim().parse().ok()?;
    if parent != std::os::unix::process::parent_id() {
        return None;
    }
    let fd: RawFd = std::env::var(READY_FD).ok()?.trim().parse().ok()?;
    let owned = adopt_inherited_fd(fd).ok()?;
    Some((parent, ReadyPipe::new(PipeWriter::from(owned))))
}

/// The running daemon's side: what USR2 does.
pub(crate) struct Upgrader {
    /// The successor's arguments (the same settings, command `run`).
    args: Vec<OsString>,
    book: Arc<Book>,
    /// Set to stop this process once the successor is ready.
    stop: Event,
    /// One upgrade at a time.
    running: AtomicBool,
}

impl Upgrader {
    /// An upgrader that starts this binary with `args`.
    pub(crate) fn new(args: Vec<OsString>, book: Arc<Book>, stop: Event) -> Upgrader {
        Upgrader {
            args,
            book,
            stop,
            running: AtomicBool::new(false),
        }
    }

    /// Starts the successor and waits (on the blocking pool) for its
    /// verdict; stops this process if it is ready, else records why not.
    pub(crate) fn upgrade(&self) {
        if self.running.swap(true, Ordering::SeqCst) {
            eprintln!("greenline: USR2: an upgrade is already under way");
            return;
        }
        let args = self.args.clone();
        let outcome = crate::threadpool::spawn_blocking(move || start_successor(args))
            .join()
            .unwrap_or_else(|e| Err(e.to_string()));
        match outcome {
            Ok(pid) => {
                println!("greenline: upgrade: pid {pid} is ready; stopping this one");
                // The successor owns the status file and the pidfile now.
                self.book.hand_over();
                self.stop.set();
            }
            Err(why) => {
                eprintln!("greenline: upgrade failed, this process keeps serving: {why}");
                self.book.update(|s| {
                    s.upgrades += 1;
                    s.upgrade_error = Some(why);
                });
                self.running.store(false, Ordering::SeqCst);
            }
        }
    }
}

/// Spawns the successor with the listeners and a pipe, and reads its
/// verdict: `Ok(pid)` once it is ready. Blocks the calling (pool) thread
/// until the successor answers or ends.
fn start_successor(args: Vec<OsString>) -> Result<u32, String> {
    let listeners = handover().map_err(|e| format!("duplicating the listeners: {e}"))?;
    let (mut reader, writer) = io::pipe().map_err(|e| e.to_string())?;
    let exe = std::env::current_exe().map_err(|e| format!("this binary: {e}"))?;
    let names: Vec<&str> = listeners.iter().map(|(n, _)| n.as_str()).collect();
    let mut fds: Vec<RawFd> = listeners.iter().map(|(_, fd)| fd.as_raw_fd()).collect();
    let ready_fd = 3 + fds.len();
    fds.push(writer.as_raw_fd());
    let mut cmd = Command::new(&exe);
    cmd.args(&args)
        .stdin(Stdio::null())
        .env_remove("LISTEN_PID")
        .env("LISTEN_FDS", names.len().to_string())
        .env("LISTEN_FDNAMES", names.join(":"))
        .env(PARENT, std::process::id().to_string())
        .env(READY_FD, ready_fd.to_string());
    pass_fds(&mut cmd, fds);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("starting {}: {e}", exe.display()))?;
    // Only the successor may hold the writing end now: EOF means it ended.
    drop(writer);
    drop(listeners);
    let mut word = String::new();
    let _ = reader.read_to_string(&mut word);
    let (code, why) = word.split_once(' ').unwrap_or((word.as_str(), ""));
    if code == "0" {
        // It runs on after this process ends (then init reaps it).
        return Ok(child.id());
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if code.is_empty() {
        return Err(format!(
            "the new process ended before it was ready ({status})"
        ));
    }
    Err(why.to_string())
}
