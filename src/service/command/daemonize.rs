//! Becoming a daemon: fork while the process is one thread, setsid(2)
//! (no controlling terminal), standard streams onto the log file, and a
//! pipe on which the daemon tells the waiting parent that its tree is
//! ready, or why it failed.
//!
//! ```text
//!  greenline start ──fork──▶ parent: reads the pipe ──▶ exit 0 / 1 / 2
//!                      │                  ▲
//!                      ▼                  │ "0" once ready, or
//!                    child: setsid, stdio → logfile,
//!                    pidfile, start the tree ───┘ "<code> <why>"
//! ```
//!
//! The parent exits with the child's verdict: 0 only once the whole tree
//! is ready, else the status the child chose (2 for a settings error, 1
//! for a runtime one) and its one-line reason on stderr. A child that
//! ends without a word (killed, crashed) closes the pipe, and the parent
//! reports that, pointing at the log file.

use std::fs::{File, OpenOptions};
use std::io::{self, PipeReader, PipeWriter, Read, Write};
use std::path::Path;

use crate::sys::daemon::{fork, redirect_stdio, setsid, Forked};

/// The daemon's end of the pipe to the parent that waits for it.
#[derive(Debug)]
pub(crate) struct ReadyPipe {
    writer: Option<PipeWriter>,
}

impl ReadyPipe {
    /// The pipe's writing end, given.
    pub(crate) fn new(writer: PipeWriter) -> ReadyPipe {
        ReadyPipe {
            writer: Some(writer),
        }
    }

    /// Tells the parent the tree is ready: it exits 0.
    pub(crate) fn ready(&mut self) {
        self.send("0");
    }

    /// Tells the parent start-up failed: it prints `why` and exits with
    /// `code`.
    pub(crate) fn fail(&mut self, code: u8, why: &str) {
        self.send(&format!("{code} {why}"));
    }

    fn send(&mut self, word: &str) {
        // A parent that went away (killed) cannot be told; the daemon
        // carries on or ends all the same.
        if let Some(mut w) = self.writer.take() {
            let _ = w.write_all(word.as_bytes());
        }
    }
}

/// What [`daemonize`] returns on each side of the fork.
#[derive(Debug)]
pub(crate) enum Daemonized {
    /// In the parent, once the daemon has answered: the exit status and
    /// the line to print (on stderr when the status is not 0).
    Parent {
        /// 0 when the daemon is ready.
        code: u8,
        /// What to tell the operator.
        message: String,
    },
    /// In the daemon: its end of the pipe.
    Daemon(ReadyPipe),
}

/// Opens (appending, creating) the log file at `path`.
///
/// # Errors
///
/// The system's error naming the file.
pub(crate) fn open_log(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| io::Error::new(e.kind(), format!("logfile {}: {e}", path.display())))
}

/// Forks the daemon. The log file is opened first, so an unwritable one
/// is the caller's error before anything forks; the child sends standard
/// output and error to it and standard input to `/dev/null`.
///
/// In the parent, blocks until the daemon writes its verdict or closes
/// the pipe (it ends): nothing else wakes it and it has no timeout, since
/// the daemon's own start bounds the wait (`ready_timeout`).
///
/// # Errors
///
/// The log file's error; the fork's, which refuses a process that
/// already runs threads (a daemon must fork before greenline starts its
/// runtime).
pub(crate) fn daemonize(log_path: &Path) -> io::Result<Daemonized> {
    let log = open_log(log_path)?;
    let (reader, writer) = io::pipe()?;
    match fork()? {
        Forked::Parent(pid) => {
            drop(writer);
            Ok(wait_verdict(reader, pid, log_path))
        }
        Forked::Child => {
            drop(reader);
            setsid()?;
            redirect_stdio(&log, true)?;
            Ok(Daemonized::Daemon(ReadyPipe {
                writer: Some(writer),
            }))
        }
    }
}

fn wait_verdict(mut reader: PipeReader, pid: u32, log_path: &Path) -> Daemonized {
    let mut word = String::new();
    if let Err(e) = reader.read_to_string(&mut word) {
        return Daemonized::Parent {
            code: 1,
            message: format!("reading the daemon's start-up result: {e}"),
        };
    }
    let (code, why) = word.split_once(' ').unwrap_or((word.as_str(), ""));
    match code.parse::<u8>() {
        Ok(0) => Daemonized::Parent {
            code: 0,
            message: format!("started (pid {pid}, log {})", log_path.display()),
        },
        Ok(code) => Daemonized::Parent {
            code,
            message: why.to_string(),
        },
        Err(_) => Daemonized::Parent {
            code: 1,
            message: format!(
                "the daemon (pid {pid}) ended before it was ready; see {}",
                log_path.display()
            ),
        },
    }
}
