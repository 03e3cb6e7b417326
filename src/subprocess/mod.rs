//! Child processes whose pipes and exit greenlets wait on by yielding:
//! gevent's `subprocess`.
//!
//! [`Popen::spawn`] starts a std [`Command`](std::process::Command); its
//! piped streams are [`ChildStdin`], [`ChildStdout`] and [`ChildStderr`],
//! whose reads and writes park only the calling greenlet, and
//! [`Popen::wait`], [`Popen::wait_timeout`] and [`Popen::communicate`]
//! wait the same way. A timed wait that passes loses nothing: the next
//! call returns the status, or the output.
//!
//! # Examples
//!
//! Two children at once, each waited for in a greenlet of its own:
//!
//! ```
//! use std::process::{Command, Stdio};
//! use greenline::subprocess::Popen;
//!
//! let runs: Vec<_> = ["one", "two"].into_iter().map(|word| {
//!     greenline::spawn(move || -> std::io::Result<Vec<u8>> {
//!         let mut echo = Popen::spawn(Command::new("echo").arg(word).stdout(Stdio::piped()))?;
//!         Ok(echo.communicate(b"")?.stdout)
//!     })
//! }).collect();
//! let outputs: Vec<Vec<u8>> = runs.into_iter().map(|g| g.get().unwrap()).collect();
//! assert_eq!(outputs, [b"one\n".to_vec(), b"two\n".to_vec()]);
//! ```
//!
//! # How it works underneath
//!
//! - **Pipes** are the parent's ends of std's pipes, put in non-blocking
//!   mode and registered with may's event loop like sockets (the child's
//!   ends keep their mode). A read is read(2), a write write(2) with
//!   `SIGPIPE` blocked for the call, so a child that closed its stdin is a
//!   `BrokenPipe` error, never a signal.
//! - **The exit** is watched from the spawn on, by one greenlet per child
//!   waiting on a pidfd (Linux 5.3 and later) in may's event loop; where
//!   pidfd_open is missing or refused, by a task of the blocking thread
//!   pool (a `greenline-blocking` thread per running child) waiting in
//!   waitid(2). Either reaps the child and publishes the status to every
//!   waiter, whether or not the `Popen` is still held.
//! - **communicate** writes and reads in three greenlets at once, so a
//!   child that fills its stdout while the parent writes its stdin cannot
//!   deadlock them.
//!
//! No thread is added; workers never block, except for the fork and exec
//! of a spawn.

mod communicate;
mod exit;
mod pipes;
mod popen;

pub use pipes::{ChildStderr, ChildStdin, ChildStdout};
pub use popen::Popen;
