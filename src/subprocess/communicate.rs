//! `Popen::communicate`'s greenlets: one writes the input and closes the
//! child's stdin, one each reads stdout and stderr to their end, all at
//! once, so a child that fills one pipe while the parent writes another
//! cannot deadlock them (Python's `communicate` uses threads or a
//! selector for the same reason).
//!
//! The greenlets live in the `Popen` until they have all finished, so a
//! wait for them that times out loses nothing: the next call waits for
//! the same greenlets and returns everything they read.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use super::pipes::{ChildStderr, ChildStdin, ChildStdout};
use crate::Greenlet;

/// The greenlets of a `communicate` under way.
pub(super) struct Communication {
    writer: Option<Greenlet<io::Result<()>>>,
    stdout: Option<Greenlet<io::Result<Vec<u8>>>>,
    stderr: Option<Greenlet<io::Result<Vec<u8>>>>,
}

impl Communication {
    /// Starts writing `input` to `stdin` (then closing it; closed at once
    /// when `input` is empty) and reading `stdout` and `stderr`.
    pub(super) fn start(
        stdin: Option<ChildStdin>,
        input: &[u8],
        stdout: Option<ChildStdout>,
        stderr: Option<ChildStderr>,
    ) -> io::Result<Communication> {
        let writer = match stdin {
            Some(stdin) if !input.is_empty() => Some(spawn(
                "Popen::communicate stdin",
                write_all(stdin, input.to_vec()),
            )?),
            // Closed now: the child reads end of file.
            _ => None,
        };
        let stdout = stdout
            .map(|out| spawn("Popen::communicate stdout", read_all(out)))
            .transpose()?;
        let stderr = stderr
            .map(|err| spawn("Popen::communicate stderr", read_all(err)))
            .transpose()?;
        Ok(Communication {
            writer,
            stdout,
            stderr,
        })
    }

    /// Waits until every greenlet has finished, at most until `deadline`
    /// (and the caller's `Timeout`): `TimedOut` then, with nothing lost.
    pub(super) fn wait(&self, deadline: Option<Instant>) -> io::Result<()> {
        let left = || deadline.map(|d| d.saturating_duration_since(Instant::now()));
        let done = joined(&self.writer, left())
            && joined(&self.stdout, left())
            && joined(&self.stderr, left());
        if done {
            Ok(())
        } else {
            Err(crate::time::timed_out())
        }
    }

    /// What stdout and stderr brought (empty for a stream not piped);
    /// call after [`wait`](Self::wait) succeeded.
    ///
    /// # Errors
    ///
    /// The first read or write error (a closed stdin is not one: the
    /// child may exit without reading its input).
    pub(super) fn finish(self) -> io::Result<(Vec<u8>, Vec<u8>)> {
        if let Some(w) = self.writer {
            w.get()?;
        }
        let stdout = self.stdout.map_or(Ok(Vec::new()), Greenlet::get)?;
        let stderr = self.stderr.map_or(Ok(Vec::new()), Greenlet::get)?;
        Ok((stdout, stderr))
    }
}

fn joined<T>(g: &Option<Greenlet<T>>, left: Option<Duration>) -> bool {
    match g {
        Some(g) => crate::joinall([g], left),
        None => true,
    }
}

fn spawn<T: Send + 'static>(
    name: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> io::Result<Greenlet<T>> {
    crate::Builder::new().name(name).spawn(f)
}

fn write_all(mut stdin: ChildStdin, input: Vec<u8>) -> impl FnOnce() -> io::Result<()> {
    move || {
        let r = stdin.write_all(&input);
        drop(stdin);
        match r {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            r => r,
        }
    }
}

fn read_all(mut pipe: impl Read + Send + 'static) -> impl FnOnce() -> io::Result<Vec<u8>> {
    move || {
        let mut out = Vec::new();
        pipe.read_to_end(&mut out)?;
        Ok(out)
    }
}
