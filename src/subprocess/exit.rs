//! Knowing when a child exits without blocking a worker, and reaping it.
//!
//! Each child gets a watcher, started with it, that waits for its exit,
//! reaps it and publishes the status in an [`AsyncResult`] any number of
//! callers wait on:
//!
//! - Linux 5.3 and later: a pidfd (pidfd_open(2)), which turns readable
//!   when the child exits, registered with may's event loop; a greenlet
//!   named `Popen::wait` waits on it like on a socket, parking only itself.
//! - Elsewhere, or where pidfd_open is refused (an old kernel, a seccomp
//!   filter): a task of the blocking thread pool waits in waitid(2) with
//!   `WNOWAIT`, which sees the exit without reaping, then reaps. It holds
//!   a pool thread for the child's lifetime.
//!
//! Reaping and signalling both happen under the child's lock, so a signal
//! never goes to a pid the kernel has recycled. The watcher reaps the child
//! whether or not anybody still holds its `Popen`: no zombies.

use std::io;
use std::os::fd::OwnedFd;
use std::process::{Child, ExitStatus};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::net::{Dir, Socket};
use crate::sync::{AsyncResult, ResultError};

/// A child process and its exit status once known (see the module docs).
#[derive(Clone)]
pub(super) struct Exit {
    inner: Arc<Inner>,
}

struct Inner {
    pid: u32,
    /// std's handle: `try_wait` reaps, and remembers the status after.
    child: Mutex<Child>,
    /// The status, or why the watcher could not get it (an error's kind
    /// and text: `io::Error` is not `Clone`).
    status: AsyncResult<ExitStatus, (io::ErrorKind, String)>,
}

impl Exit {
    /// Starts watching `child` (with a pidfd when `pidfd` allows and the
    /// system has one, on the thread pool otherwise).
    pub(super) fn watch(child: Child, pidfd: bool) -> io::Result<Exit> {
        let exit = Exit {
            inner: Arc::new(Inner {
                pid: child.id(),
                child: Mutex::new(child),
                status: AsyncResult::new(),
            }),
        };
        let registered = if pidfd {
            crate::sys::process::pidfd_open(exit.inner.pid).and_then(Socket::new)
        } else {
            Err(io::Error::from(io::ErrorKind::Unsupported))
        };
        match registered {
            Ok(fd) => {
                let inner = exit.inner.clone();
                crate::Builder::new()
                    .name("Popen::wait")
                    .spawn(move || inner.watch_pidfd(fd))?;
            }
            Err(_) => {
                let inner = exit.inner.clone();
                drop(crate::threadpool::spawn_blocking(move || {
                    let r = crate::sys::process::wait_exited(inner.pid)
                        .and_then(|()| inner.reap())
                        .and_then(|s| {
                            s.ok_or_else(|| io::Error::other("waitid saw an exit try_wait did not"))
                        });
                    inner.publish(r);
                }));
            }
        }
        Ok(exit)
    }

    pub(super) fn pid(&self) -> u32 {
        self.inner.pid
    }

    /// The status if the child has exited, reaping it if nobody has yet.
    pub(super) fn poll(&self) -> io::Result<Option<ExitStatus>> {
        match self.inner.status.try_get() {
            Ok(s) => return Ok(Some(s)),
            Err(ResultError::Failed((kind, text))) => return Err(io::Error::new(kind, text)),
            Err(_) => {}
        }
        self.inner.reap()
    }

    /// Waits for the status, at most `timeout` (and the caller's
    /// `Timeout`); woken by the watcher.
    pub(super) fn wait(&self, timeout: Option<Duration>) -> io::Result<ExitStatus> {
        if let Some(s) = self.poll()? {
            return Ok(s);
        }
        let r = match timeout {
            Some(t) => self.inner.status.get_timeout(t),
            None => self.inner.status.get(),
        };
        r.map_err(|e| match e {
            ResultError::Failed((kind, text)) => io::Error::new(kind, text),
            _ => crate::time::timed_out(),
        })
    }

    /// Sends `signal` to the child unless it has been reaped (then it does
    /// nothing: its pid may belong to another process by now).
    pub(super) fn signal(&self, signal: i32) -> io::Result<()> {
        let mut child = self.inner.lock();
        if let Some(s) = child.try_wait()? {
            self.inner.status.set(s);
            return Ok(());
        }
        crate::sys::process::kill(self.inner.pid, signal)
    }
}

impl Inner {
    /// Child state is touched for one non-blocking system call at a time.
    fn lock(&self) -> MutexGuard<'_, Child> {
        self.child.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reaps the child if it has exited (waitpid with `WNOHANG`), and
    /// publishes its status.
    fn reap(&self) -> io::Result<Option<ExitStatus>> {
        let status = self.lock().try_wait()?;
        if let Some(s) = status {
            self.status.set(s);
        }
        Ok(status)
    }

    fn publish(&self, r: io::Result<ExitStatus>) {
        match r {
            Ok(s) => self.status.set(s),
            Err(e) => self.status.set_error((e.kind(), e.to_string())),
        };
    }

    /// The watcher greenlet's body: waits for the pidfd to turn readable,
    /// then reaps.
    fn watch_pidfd(&self, fd: Socket<OwnedFd>) {
        // Published however the greenlet ends, so no caller waits forever
        // on a watcher that was killed.
        struct Publish<'a>(&'a Inner);
        impl Drop for Publish<'_> {
            fn drop(&mut self) {
                self.0.status.set_error((
                    io::ErrorKind::Interrupted,
                    "the greenlet watching the child was killed".into(),
                ));
            }
        }
        let _killed = Publish(self);
        let r = fd.op(Dir::Read, "Popen::wait", |_| match self.reap()? {
            Some(s) => Ok(s),
            None => Err(io::ErrorKind::WouldBlock.into()),
        });
        self.publish(r);
    }
}

#[cfg(test)]
mod tests {
    use std::process::{Command, Stdio};

    use super::Exit;

    /// The fallback for systems without pidfd: a pool thread sees the exit.
    #[test]
    fn without_a_pidfd_the_thread_pool_reaps_the_child() {
        let child = Command::new("sh")
            .args(["-c", "exit 7"])
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let exit = Exit::watch(child, false).unwrap();
        let status = exit.wait(Some(std::time::Duration::from_secs(10))).unwrap();
        assert_eq!(status.code(), Some(7));
        assert_eq!(exit.poll().unwrap(), Some(status));
        assert!(
            exit.signal(libc::SIGKILL).is_ok(),
            "a reaped child is not signalled"
        );
    }
}
