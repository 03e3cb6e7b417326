//! [`Popen`]: a running child process, gevent.subprocess's `Popen`.

use std::fmt;
use std::io;
use std::process::{Command, ExitStatus, Output};
use std::time::{Duration, Instant};

use super::communicate::Communication;
use super::exit::Exit;
use super::pipes::{ChildStderr, ChildStdin, ChildStdout};

/// A child process whose pipes and exit greenlets wait on by yielding:
/// gevent.subprocess's `Popen`.
///
/// Made from a std [`Command`]: the streams set to
/// [`Stdio::piped`](std::process::Stdio::piped) become [`ChildStdin`],
/// [`ChildStdout`] and [`ChildStderr`] in the public fields, as on std's
/// `Child`. Waiting methods take `&self`, so one greenlet can wait for the
/// child while another kills it (share the `Popen` in an `Arc`).
///
/// Dropping a `Popen` neither kills the child nor waits for it (like
/// std's `Child` and Python's `Popen`), and closes the pipes still in its
/// fields; greenline still reaps the child when it exits, so it leaves no
/// zombie. Until then the watcher counts as a live greenlet, so
/// [`crate::wait`] waits for the child too.
///
/// # Examples
///
/// ```
/// use std::process::{Command, Stdio};
/// use greenline::subprocess::Popen;
///
/// let mut tr = Popen::spawn(Command::new("tr").arg("a-z").arg("A-Z")
///     .stdin(Stdio::piped()).stdout(Stdio::piped())).unwrap();
/// let out = tr.communicate(b"shout").unwrap();
/// assert_eq!(out.stdout, b"SHOUT");
/// assert!(out.status.success());
/// ```
pub struct Popen {
    /// The child's standard input, when piped.
    pub stdin: Option<ChildStdin>,
    /// The child's standard output, when piped.
    pub stdout: Option<ChildStdout>,
    /// The child's standard error, when piped.
    pub stderr: Option<ChildStderr>,
    exit: Exit,
    /// A `communicate` that timed out, kept for the next call.
    communication: Option<Communication>,
}

impl Popen {
    /// Starts `command` (std's `Command::spawn`) and the watcher that
    /// learns of its exit (see the module docs).
    ///
    /// The fork and exec run on the calling thread, as in gevent: a
    /// worker is held for the few milliseconds they take.
    ///
    /// # Errors
    ///
    /// What `Command::spawn` returns (`NotFound` for a missing program);
    /// an error registering a pipe with the event loop (the child is then
    /// killed).
    pub fn spawn(command: &mut Command) -> io::Result<Popen> {
        Popen::spawn_watched(command, true)
    }

    fn spawn_watched(command: &mut Command, pidfd: bool) -> io::Result<Popen> {
        crate::config::ensure_started();
        let mut child = command.spawn()?;
        let (stdin, stdout, stderr) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take());
        let exit = Exit::watch(child, pidfd)?;
        let pipes = (|| -> io::Result<Popen> {
            Ok(Popen {
                stdin: stdin.map(ChildStdin::new).transpose()?,
                stdout: stdout.map(ChildStdout::new).transpose()?,
                stderr: stderr.map(ChildStderr::new).transpose()?,
                exit: exit.clone(),
                communication: None,
            })
        })();
        if pipes.is_err() {
            let _ = exit.signal(libc::SIGKILL);
        }
        pipes
    }

    /// The child's process id.
    ///
    /// # Examples
    ///
    /// ```
    /// let child = greenline::subprocess::Popen::spawn(&mut std::process::Command::new("true")).unwrap();
    /// assert!(child.pid() > 0);
    /// ```
    pub fn pid(&self) -> u32 {
        self.exit.pid()
    }

    /// The exit status if the child has exited, without waiting:
    /// Python's `poll()` (std's `try_wait`). Reaps the child if nobody has
    /// yet.
    ///
    /// # Errors
    ///
    /// What waitpid(2) returns, for instance `ECHILD` when something else
    /// reaped the child (a `SIGCHLD` set to `SIG_IGN`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::process::{Command, Stdio};
    /// let cat = greenline::subprocess::Popen::spawn(Command::new("cat").stdin(Stdio::piped())).unwrap();
    /// assert_eq!(cat.poll().unwrap(), None);
    /// cat.kill().unwrap();
    /// cat.wait().unwrap();
    /// assert!(cat.poll().unwrap().is_some());
    /// ```
    pub fn poll(&self) -> io::Result<Option<ExitStatus>> {
        self.exit.poll()
    }

    /// Waits for the child to exit and returns its status; returns at
    /// once when it has. Any number of callers may wait at once, and
    /// each later call returns the same status.
    ///
    /// Woken by the child's exit; a greenlet yields, a plain thread
    /// blocks. The pipes stay open: a child blocked writing into a full
    /// stdout pipe nobody reads never exits (read it, or use
    /// [`communicate`](Popen::communicate)).
    ///
    /// # Errors
    ///
    /// `TimedOut` when the caller's [`crate::Timeout`] passes first (wait
    /// again later: the status is not lost); what waitpid(2) returns.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::process::Command;
    /// let sh = greenline::subprocess::Popen::spawn(Command::new("sh").args(["-c", "exit 3"])).unwrap();
    /// assert_eq!(sh.wait().unwrap().code(), Some(3));
    /// ```
    pub fn wait(&self) -> io::Result<ExitStatus> {
        self.exit.wait(None)
    }

    /// Like [`wait`](Popen::wait), giving up after `timeout` with
    /// `ErrorKind::TimedOut` (Python's `TimeoutExpired`); the child keeps
    /// running, and a later wait returns its status.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use std::process::{Command, Stdio};
    /// let mut cat = greenline::subprocess::Popen::spawn(Command::new("cat").stdin(Stdio::piped())).unwrap();
    /// let err = cat.wait_timeout(Duration::from_millis(10)).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    /// drop(cat.stdin.take());
    /// assert!(cat.wait_timeout(Duration::from_secs(10)).unwrap().success());
    /// ```
    pub fn wait_timeout(&self, timeout: Duration) -> io::Result<ExitStatus> {
        self.exit.wait(Some(timeout))
    }

    /// Sends `signal` (a number, such as `libc::SIGHUP`) to the child:
    /// Python's `send_signal()`. Does nothing once the child has exited
    /// and been reaped, whose pid may belong to another process by then.
    ///
    /// # Errors
    ///
    /// What kill(2) returns (`InvalidInput` for an unknown signal).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::process::ExitStatusExt;
    /// use std::process::Command;
    /// let sleeper = greenline::subprocess::Popen::spawn(Command::new("sleep").arg("60")).unwrap();
    /// sleeper.send_signal(libc::SIGUSR1).unwrap();
    /// assert_eq!(sleeper.wait().unwrap().signal(), Some(libc::SIGUSR1));
    /// ```
    pub fn send_signal(&self, signal: i32) -> io::Result<()> {
        self.exit.signal(signal)
    }

    /// Asks the child to stop: `SIGTERM`, Python's `terminate()`.
    ///
    /// # Errors
    ///
    /// As [`send_signal`](Popen::send_signal).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::process::ExitStatusExt;
    /// use std::process::Command;
    /// let sleeper = greenline::subprocess::Popen::spawn(Command::new("sleep").arg("60")).unwrap();
    /// sleeper.terminate().unwrap();
    /// assert_eq!(sleeper.wait().unwrap().signal(), Some(libc::SIGTERM));
    /// ```
    pub fn terminate(&self) -> io::Result<()> {
        self.send_signal(libc::SIGTERM)
    }

    /// Kills the child: `SIGKILL`, Python's `kill()`. It does not wait:
    /// call [`wait`](Popen::wait) for the status.
    ///
    /// # Errors
    ///
    /// As [`send_signal`](Popen::send_signal).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::process::ExitStatusExt;
    /// use std::process::Command;
    /// let sleeper = greenline::subprocess::Popen::spawn(Command::new("sleep").arg("60")).unwrap();
    /// sleeper.kill().unwrap();
    /// assert_eq!(sleeper.wait().unwrap().signal(), Some(libc::SIGKILL));
    /// ```
    pub fn kill(&self) -> io::Result<()> {
        self.send_signal(libc::SIGKILL)
    }

    /// Writes `input` to the child's stdin and closes it, reads its stdout
    /// and stderr to their end, all at once in greenlets of their own, and
    /// waits for it to exit: Python's `communicate(input)`.
    ///
    /// Takes the pipes out of the public fields; a stream that was not
    /// piped comes back empty. An empty `input` closes stdin at once. A
    /// child that exits without reading all its input is not an error.
    ///
    /// Woken as the greenlets finish and the child exits. The caller's
    /// [`crate::Timeout`] ends the wait with `TimedOut`, losing nothing:
    /// call again (with an empty `input`) for the output, as with
    /// [`communicate_timeout`](Popen::communicate_timeout).
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a non-empty `input` when stdin was not piped, or
    /// when a timed-out call already sent it; `TimedOut`; a read or write
    /// error.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::process::{Command, Stdio};
    /// let mut sh = greenline::subprocess::Popen::spawn(Command::new("sh")
    ///     .args(["-c", "read name; echo hello $name; echo done >&2"])
    ///     .stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped())).unwrap();
    /// let out = sh.communicate(b"world\n").unwrap();
    /// assert_eq!((&out.stdout[..], &out.stderr[..]), (&b"hello world\n"[..], &b"done\n"[..]));
    /// ```
    pub fn communicate(&mut self, input: &[u8]) -> io::Result<Output> {
        self.communicate_until(input, None)
    }

    /// Like [`communicate`](Popen::communicate), giving up after `timeout`
    /// with `ErrorKind::TimedOut`. The reading greenlets keep going, and
    /// the next call (with an empty `input`) returns everything they
    /// read: Python's `communicate(timeout=...)` retried after
    /// `TimeoutExpired`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use std::process::{Command, Stdio};
    /// let mut sh = greenline::subprocess::Popen::spawn(Command::new("sh")
    ///     .args(["-c", "echo started; exec sleep 60"]).stdout(Stdio::piped())).unwrap();
    /// let err = sh.communicate_timeout(b"", Duration::from_millis(50)).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    /// sh.kill().unwrap();
    /// let out = sh.communicate_timeout(b"", Duration::from_secs(10)).unwrap();
    /// assert_eq!(out.stdout, b"started\n");
    /// ```
    pub fn communicate_timeout(&mut self, input: &[u8], timeout: Duration) -> io::Result<Output> {
        self.communicate_until(input, crate::time::deadline_in(timeout))
    }

    fn communicate_until(&mut self, input: &[u8], deadline: Option<Instant>) -> io::Result<Output> {
        match &self.communication {
            None => {
                if !input.is_empty() && self.stdin.is_none() {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "communicate: input given, but the child's stdin is not piped",
                    ));
                }
                let c = Communication::start(
                    self.stdin.take(),
                    input,
                    self.stdout.take(),
                    self.stderr.take(),
                )?;
                self.communication = Some(c);
            }
            Some(_) if !input.is_empty() => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "communicate: the input was sent by an earlier call",
                ));
            }
            Some(_) => {}
        }
        let c = self.communication.as_ref().expect("started above");
        c.wait(deadline)?;
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        let status = self.exit.wait(left)?;
        let c = self.communication.take().expect("started above");
        let (stdout, stderr) = c.finish()?;
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }
}

impl fmt::Debug for Popen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Popen")
            .field("pid", &self.pid())
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .finish()
    }
}
