//! Applying the caller's deadline to one socket call.
//!
//! may sockets have per-socket timeouts, not deadlines. While a
//! [`crate::Timeout`] is in force, the socket's timeout for the direction is
//! lowered to the time left for the duration of one call, then restored.

use std::io;
use std::os::unix::io::AsRawFd;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use may::io::WaitIo;

use crate::time::timer::{self as alarm, Alarm, Wake};

use crate::time::{timed_out, Deadline};

/// A socket whose timeouts can be set for one direction.
pub(crate) trait Timeouts {
    /// Sets may's timeout for `dir` (already rounded for may).
    fn apply_timeout(&self, dir: Dir, t: Option<Duration>) -> io::Result<()>;

    /// The timeouts the user set, which `call` restores after a deadline.
    fn own_timeouts(&self) -> &OwnTimeouts;

    /// Whether greenline's alarm thread keeps the socket's timeouts.
    fn keeps_own_timers(&self) -> bool {
        self.own_timeouts().own_timers()
    }

    /// `set_read_timeout`/`set_write_timeout` for every socket type: std's
    /// rules (zero is `InvalidInput`), rounded for may, remembered.
    fn set_own_timeout(&self, dir: Dir, t: Option<Duration>) -> io::Result<()> {
        if t == Some(Duration::ZERO) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "cannot set a zero duration timeout",
            ));
        }
        self.apply_timeout(dir, t.map(crate::time::may_timeout))?;
        self.own_timeouts().set(dir, t);
        Ok(())
    }
}

/// Implements [`Timeouts`] for a socket type with fields `io` (the may
/// socket, which has `set_read_timeout`/`set_write_timeout`) and `timeouts`.
macro_rules! impl_timeouts {
    ($ty:ty) => {
        impl $crate::net::deadline::Timeouts for $ty {
            fn apply_timeout(
                &self,
                dir: $crate::net::deadline::Dir,
                t: Option<std::time::Duration>,
            ) -> std::io::Result<()> {
                if self.timeouts.own_timers() {
                    self.timeouts.set_applied(dir, t);
                    return Ok(());
                }
                match dir {
                    $crate::net::deadline::Dir::Read => self.io.set_read_timeout(t),
                    $crate::net::deadline::Dir::Write => self.io.set_write_timeout(t),
                }
            }

            fn own_timeouts(&self) -> &$crate::net::deadline::OwnTimeouts {
                &self.timeouts
            }
        }
    };
}
pub(crate) use impl_timeouts;

/// Implements `Read` and `Write` for a stream type with fields `io` (may's
/// stream) and `ready` ([`Readiness`]): each call runs under the caller's
/// deadline (see [`call`]), on may's path or greenline's.
macro_rules! impl_stream_io {
    (@write $self:ident, $ty:ty, $may:expr, $raw:expr) => {
        $crate::net::deadline::call(
            $self,
            $crate::net::deadline::Dir::Write,
            concat!(stringify!($ty), "::write"),
            |s| {
                let timeout = s.op_timer($crate::net::deadline::Dir::Write)?;
                s.ready.write(
                    &mut s.io,
                    timeout,
                    $may,
                    $raw,
                )
            },
        )
    };
    ($ty:ty) => {
        impl $ty {
            /// Puts the socket on may's own operations for good, handing
            /// may the timeouts in force: after may set a timer on it (a
            /// connect with a timeout), or for an operation greenline's
            /// path cannot do (a peek). See
            /// [`Readiness`](crate::net::deadline::Readiness).
            #[allow(dead_code)] // UnixStream has neither
            pub(crate) fn take_may_path(&mut self) -> std::io::Result<()> {
                use $crate::net::deadline::Dir;
                self.ready.may_only();
                if self.timeouts.own_timers() {
                    self.timeouts.set_own_timers(false);
                    self.io.set_read_timeout(self.timeouts.applied(Dir::Read))?;
                    self.io.set_write_timeout(self.timeouts.applied(Dir::Write))?;
                }
                Ok(())
            }

            /// The timer bounding the next operation in `dir`: greenline's
            /// or may's.
            fn op_timer(
                &mut self,
                dir: $crate::net::deadline::Dir,
            ) -> std::io::Result<$crate::net::deadline::Timer> {
                use $crate::net::deadline::{Dir, Timer};
                if self.timeouts.own_timers() {
                    return Ok(Timer::Own(self.timeouts.applied(dir)));
                }
                Ok(Timer::May(match dir {
                    Dir::Read => self.io.read_timeout()?,
                    Dir::Write => self.io.write_timeout()?,
                }))
            }
        }

        impl std::io::Read for $ty {
            /// Reads what is available, waiting (yielding) while nothing is.
            ///
            /// Woken by data, end of file, an error, the read timeout or a
            /// `Timeout` deadline (`ErrorKind::TimedOut`). Killing the
            /// greenlet unwinds out of the wait.
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let what = concat!(stringify!($ty), "::read");
                $crate::net::deadline::call(self, $crate::net::deadline::Dir::Read, what, |s| {
                    let timeout = s.op_timer($crate::net::deadline::Dir::Read)?;
                    s.ready.read(
                        &mut s.io,
                        timeout,
                        buf,
                        |io, buf| std::io::Read::read(io, buf),
                        |io, buf| {
                            $crate::glue::sock_recv(std::os::fd::AsRawFd::as_raw_fd(io), buf)
                        },
                    )
                })
            }
        }

        impl std::io::Write for $ty {
            /// Writes what the kernel buffer takes, waiting (yielding) while
            /// it is full. Woken by buffer space, an error, the write
            /// timeout or a deadline.
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                $crate::net::deadline::impl_stream_io!(
                    @write self,
                    $ty,
                    |io| std::io::Write::write(io, buf),
                    |io| $crate::glue::sock_send(std::os::fd::AsRawFd::as_raw_fd(io), buf)
                )
            }

            fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
                $crate::net::deadline::impl_stream_io!(
                    @write self,
                    $ty,
                    // On may's path, one buffer through may's `write`, which
                    // tries send(2) with `MSG_NOSIGNAL` first: may's own
                    // `write_vectored` is writev(2), which raises SIGPIPE on
                    // a closed peer.
                    |io| {
                        let first = bufs.iter().find(|b| !b.is_empty());
                        std::io::Write::write(io, first.map_or(&[][..], |b| &b[..]))
                    },
                    |io| $crate::glue::sock_send_vectored(std::os::fd::AsRawFd::as_raw_fd(io), bufs)
                )
            }

            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
    };
}
pub(crate) use impl_stream_io;

/// A socket's own read and write timeouts, and, when greenline keeps its
/// timers rather than may, the timeouts in force for the next operation.
#[derive(Debug)]
pub(crate) struct OwnTimeouts {
    read: AtomicTimeout,
    write: AtomicTimeout,
    /// Timeouts are applied below, not to may's socket.
    own_timers: AtomicBool,
    applied_read: AtomicTimeout,
    applied_write: AtomicTimeout,
}

impl OwnTimeouts {
    pub(crate) const fn new() -> OwnTimeouts {
        OwnTimeouts {
            read: AtomicTimeout::new(),
            write: AtomicTimeout::new(),
            own_timers: AtomicBool::new(false),
            applied_read: AtomicTimeout::new(),
            applied_write: AtomicTimeout::new(),
        }
    }

    /// Timeouts kept by greenline's alarm thread from the start: for a
    /// stream socket on which may has set no timer.
    pub(crate) const fn with_own_timers() -> OwnTimeouts {
        OwnTimeouts {
            own_timers: AtomicBool::new(true),
            ..OwnTimeouts::new()
        }
    }

    pub(crate) fn own_timers(&self) -> bool {
        self.own_timers.load(Relaxed)
    }

    pub(crate) fn set_own_timers(&self, on: bool) {
        self.own_timers.store(on, Relaxed);
    }

    /// The timeout in force for `dir` while greenline keeps the timers.
    pub(crate) fn applied(&self, dir: Dir) -> Option<Duration> {
        match dir {
            Dir::Read => self.applied_read.get(),
            Dir::Write => self.applied_write.get(),
        }
    }

    pub(crate) fn set_applied(&self, dir: Dir, t: Option<Duration>) {
        match dir {
            Dir::Read => self.applied_read.set(t),
            Dir::Write => self.applied_write.set(t),
        }
    }

    pub(crate) fn get(&self, dir: Dir) -> Option<Duration> {
        match dir {
            Dir::Read => self.read.get(),
            Dir::Write => self.write.get(),
        }
    }

    fn set(&self, dir: Dir, t: Option<Duration>) {
        match dir {
            Dir::Read => self.read.set(t),
            Dir::Write => self.write.set(t),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Dir {
    Read,
    Write,
}

/// Runs one blocking socket operation under the caller's deadline.
///
/// The socket's own timeout for `dir` is restored afterwards. A timeout
/// that may reports before the time has passed is not believed: the
/// operation is retried for what is left (see [`timed`]).
///
/// Inlined into the caller: in the common case, checked first (no blocking
/// detector, no `Timeout` anywhere, and timeouts greenline keeps, which
/// never fire early, so nothing to check afterwards), `op` runs in the
/// caller's frame. A greenlet resumed from a wait returns through each frame
/// between its handler and the switch, and each costs a mispredicted return
/// and a stack line fetched again (see BENCHMARKS.md, echo).
#[inline(always)]
pub(crate) fn call<S: Timeouts, R>(
    sock: &mut S,
    dir: Dir,
    what: &'static str,
    mut op: impl FnMut(&mut S) -> io::Result<R>,
) -> io::Result<R> {
    if !crate::greenlet::instrumented() && !crate::time::any_timeout() && sock.keeps_own_timers() {
        return op(sock).map_err(normalize);
    }
    call_watched(sock, dir, what, op)
}

/// [`call`] with a blocking detector or a deadline to watch, or with may
/// keeping the socket's timers: the same operation with more steps.
#[inline(never)]
fn call_watched<S: Timeouts, R>(
    sock: &mut S,
    dir: Dir,
    what: &'static str,
    mut op: impl FnMut(&mut S) -> io::Result<R>,
) -> io::Result<R> {
    let ticket = crate::greenlet::enter_wait(what);
    let own = sock.own_timeouts().get(dir);
    let r = match Deadline::effective(None).remaining() {
        None => match own {
            // The socket has `own` set already; greenline's own timers
            // never fire early, so there is nothing to check.
            Some(t) if !sock.keeps_own_timers() => timed(sock, dir, t, own, false, &mut op),
            _ => op(sock),
        },
        Some(left) if left.is_zero() => Err(timed_out()),
        Some(left) => {
            let t = own.map_or(left, |o| o.min(left));
            timed(sock, dir, t, own, true, &mut op)
        }
    };
    crate::greenlet::leave_wait(ticket);
    r.map_err(normalize)
}

/// Runs `op` bounded by `t` (applied to the socket first if `apply`, else
/// already set), restoring the socket's own timeout `own` if it changed it.
///
/// may's word that a timeout passed is checked against the clock, and the
/// operation retried for the rest of `t` when it came early: a timed may operation
/// whose event beat its wait leaves its timer behind (a later timed wait
/// replaces the timer's handle without removing it), which then fires on
/// whatever waits on the socket next, reporting a timeout that never
/// happened (an HTTP request would get a spurious 408).
fn timed<S: Timeouts, R>(
    sock: &mut S,
    dir: Dir,
    t: Duration,
    own: Option<Duration>,
    apply: bool,
    op: &mut impl FnMut(&mut S) -> io::Result<R>,
) -> io::Result<R> {
    // The precise clock: the coarse one can lag it by more than its tick
    // (a tickless kernel skips ticks while idle), which would make an early
    // timeout look on time.
    let start = crate::glue::monotonic_clock();
    let t_ns = u64::try_from(t.as_nanos()).unwrap_or(u64::MAX);
    let mut changed = apply;
    if apply {
        sock.apply_timeout(dir, Some(crate::time::may_timeout(t)))?;
    }
    let r = loop {
        match op(sock) {
            Err(e) if is_timeout(&e) => {
                // may rounds the timeout up to whole milliseconds and its
                // timer fires no earlier: anything sooner is a stale timer.
                let elapsed = crate::glue::monotonic_clock().saturating_sub(start);
                if elapsed >= t_ns {
                    break Err(e);
                }
                let left = Duration::from_nanos(t_ns - elapsed);
                sock.apply_timeout(dir, Some(crate::time::may_timeout(left)))?;
                changed = true;
            }
            r => break r,
        }
    };
    if changed {
        sock.apply_timeout(dir, own.map(crate::time::may_timeout))?;
    }
    r
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    )
}

/// may reports an expired socket timeout as `TimedOut` on some paths and
/// `WouldBlock` on others; greenline promises `TimedOut`.
pub(crate) fn normalize(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::WouldBlock {
        io::Error::new(io::ErrorKind::TimedOut, e)
    } else {
        e
    }
}

/// Stores an optional duration in an atomic (u64::MAX nanos = none).
#[derive(Debug)]
struct AtomicTimeout(std::sync::atomic::AtomicU64);

impl AtomicTimeout {
    const fn new() -> AtomicTimeout {
        AtomicTimeout(std::sync::atomic::AtomicU64::new(u64::MAX))
    }

    fn get(&self) -> Option<Duration> {
        match self.0.load(std::sync::atomic::Ordering::Relaxed) {
            u64::MAX => None,
            n => Some(Duration::from_nanos(n)),
        }
    }

    fn set(&self, t: Option<Duration>) {
        let n = t.map_or(u64::MAX, |d| d.as_nanos().min(u64::MAX as u128 - 1) as u64);
        self.0.store(n, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Read and write readiness as greenline tracks it for a stream socket, so
/// that a read after a short read waits for the poller's event instead of
/// first trying and failing with `EAGAIN`: one system call per message
/// saved for a request-reply peer (tokio keeps the same hint).
///
/// may keeps one event flag per socket, which its own operations clear
/// before each attempt, dropping what the events said. On this path
/// greenline clears it itself ([`WaitIo::reset_io`] or [`WaitIo::wait_io`],
/// which return the flags they clear) and then reads or writes the
/// non-blocking socket directly, so it sees every event: a read clears the
/// flag before each attempt, a write only after an attempt failed with
/// `EAGAIN` (until then the flag keeps its events for the next read or
/// wait), input taken by a write's clearing is remembered for the next
/// read, and end of input or an error (`EPOLLRDHUP`, `EPOLLHUP`,
/// `EPOLLERR`) stops all waiting for good.
///
/// A read may wait before trying only when the last read came back short
/// (a stream socket's read stops short only when nothing more is queued,
/// though an end of file may be), nothing since said input or end, and the
/// socket is *trusted*: one of our reads has failed with `EAGAIN` since
/// greenline began clearing the flag, so no end of file can be queued that
/// an event we did not see announced (may's connect clears the flag once
/// more after the handshake; an early end of file would be lost there).
///
/// Timeouts: may's `wait_io` has none, and a timed may operation can leave
/// a timer behind that later fires on whatever waits on the socket. So a
/// stream's timeouts are kept by greenline from its creation
/// ([`Timer::Own`]): each wait sets the socket's [`Alarm`], and the alarm
/// thread wakes the wait when its deadline passes; a plain thread, which
/// may's readiness does not wake, waits with poll(2) instead. A socket
/// whose connect had a timeout (may set a timer while connecting) or that
/// was peeked (greenline's path cannot peek) hands its timeouts to may and
/// takes may's own operations for good ([`Timer::May`]).
///
/// [`WaitIo::reset_io`]: may::io::WaitIo::reset_io
/// [`WaitIo::wait_io`]: may::io::WaitIo::wait_io
#[derive(Debug, Default)]
pub(crate) struct Readiness {
    /// may's operations only, from now on.
    may_only: bool,
    /// One of our reads failed with `EAGAIN` (see above).
    trusted: bool,
    /// The last read came back short.
    drained: bool,
    /// An event announcing input was taken by a write, not yet by a read.
    input: bool,
    /// An event announced end of input or an error.
    closed: bool,
    /// The socket's deadline for the alarm thread, made on the first wait
    /// with a [`Timer::Own`] timeout.
    alarm: Option<Alarm>,
}

/// Who bounds an operation's wait, and for how long (`None`: no bound).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Timer {
    /// may's timer: the socket's may timeout.
    May(Option<Duration>),
    /// greenline's alarm thread: the socket keeps its own timers.
    Own(Option<Duration>),
}

/// may's `wait_io`, unwinding like may's other waits when the greenlet is
/// killed (may's `wait_io` itself just returns). Returns the event flags
/// it cleared.
pub(crate) fn wait_io<S: WaitIo>(io: &S) -> usize {
    let events = io.wait_io();
    if crate::greenlet::kill_requested() {
        may::coroutine::trigger_cancel_panic();
    }
    events
}

const INPUT: usize = libc::EPOLLIN as usize;
const OUTPUT: usize = libc::EPOLLOUT as usize;
const CLOSED: usize = (libc::EPOLLRDHUP | libc::EPOLLHUP | libc::EPOLLERR) as usize;

impl Readiness {
    /// Whether this operation may take greenline's path; a may timeout or
    /// a plain thread switches the socket to may's for good.
    fn own(&mut self, timer: Timer) -> bool {
        // Once on may's path, nothing more to look at per call.
        if !self.may_only {
            self.may_only = match timer {
                Timer::May(t) => t.is_some() || !may::coroutine::is_coroutine(),
                // A plain thread waits with poll(2) (see `wait`).
                Timer::Own(_) => false,
            };
        }
        !self.may_only
    }

    fn note(&mut self, events: usize) {
        self.input |= events & INPUT != 0;
        self.closed |= events & CLOSED != 0;
    }

    /// may's path from now on (see `take_may_path`).
    pub(crate) fn may_only(&mut self) {
        self.may_only = true;
    }

    /// Waits for an event on `io`, at most until the operation's deadline
    /// (fixed at its first wait, from `timer`'s timeout). Returns the event
    /// flags cleared, or `TimedOut`.
    ///
    /// Inlined, like [`call`], for its common case: a greenlet with no
    /// timeout waits on may's event flag directly.
    #[inline(always)]
    fn wait<S: WaitIo + AsRawFd>(
        &mut self,
        io: &S,
        read: bool,
        timer: Timer,
        deadline: &mut Option<u64>,
    ) -> io::Result<usize> {
        if matches!(timer, Timer::Own(None)) && may::coroutine::is_coroutine() {
            return Ok(wait_io(io));
        }
        self.wait_watched(io, read, timer, deadline)
    }

    /// [`wait`](Self::wait) with a timeout, or on a plain thread.
    #[inline(never)]
    fn wait_watched<S: WaitIo + AsRawFd>(
        &mut self,
        io: &S,
        read: bool,
        timer: Timer,
        deadline: &mut Option<u64>,
    ) -> io::Result<usize> {
        let t = match timer {
            Timer::Own(t) => t,
            Timer::May(t) => {
                // `own` sends every timed may operation to may.
                debug_assert!(t.is_none(), "a may timeout on greenline's path");
                return Ok(wait_io(io));
            }
        };
        // A deadline made just now from a non-zero timeout has not passed:
        // only a later wait of the same operation looks at the clock again.
        let fresh = deadline.is_none();
        let deadline = t.map(|t| *deadline.get_or_insert_with(|| alarm::deadline_after(t)));
        if !fresh && deadline.is_some_and(alarm::passed) {
            return Err(crate::time::timed_out());
        }
        if !may::coroutine::is_coroutine() {
            // A plain thread may block: poll(2) until the event or the
            // deadline (the caller looks at the time again).
            let left = deadline.map(alarm::left);
            #[allow(deprecated)] // reset_io: as in `read`
            let cleared = io.reset_io();
            return Ok(cleared | crate::glue::poll_fd(io.as_raw_fd(), read, left)?);
        }
        let Some(deadline) = deadline else {
            return Ok(wait_io(io));
        };
        let alarm = self
            .alarm
            .get_or_insert_with(|| Alarm::new(Wake::Io(io.waker())));
        alarm.set(deadline);
        // A kill unwinds out of here with the alarm set: it then wakes no
        // one, or sets the event flag for a wait that looks at the time.
        let events = wait_io(io);
        alarm.clear();
        Ok(events)
    }

    /// Reads into `buf`: with may's `may_read`, or, on greenline's path,
    /// with `raw_read` (the non-blocking socket itself) and may's event
    /// flag. Woken by input, end of file, an error or, on greenline's path,
    /// the alarm thread at the deadline; killing the greenlet cancels the
    /// wait.
    #[inline(always)] // into the stream's read or write: see `call`
    pub(crate) fn read<S: WaitIo + AsRawFd>(
        &mut self,
        io: &mut S,
        timer: Timer,
        buf: &mut [u8],
        may_read: impl FnOnce(&mut S, &mut [u8]) -> io::Result<usize>,
        mut raw_read: impl FnMut(&mut S, &mut [u8]) -> io::Result<usize>,
    ) -> io::Result<usize> {
        if !self.own(timer) {
            return may_read(io, buf);
        }
        let mut deadline = None;
        loop {
            let wait = self.trusted && self.drained && !self.input && !self.closed;
            #[allow(deprecated)] // reset_io: the flags it clears are needed here
            let events = if wait {
                self.wait(io, true, timer, &mut deadline)?
            } else {
                io.reset_io()
            };
            self.note(events);
            self.input = false;
            match raw_read(io, buf) {
                Ok(n) => {
                    self.drained = n > 0 && n < buf.len();
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if self.closed {
                        // Not seen after end of input; if it ever is, wait
                        // for the next event without believing the last.
                        if let Timer::Own(_) = timer {
                            self.closed = false;
                        } else {
                            // may's own read waits correctly.
                            self.may_only = true;
                            return may_read(io, buf);
                        }
                    }
                    self.trusted = true;
                    self.drained = true;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Writes with may's `may_write`, or, on greenline's path, with
    /// `raw_write` and may's event flag (as `read`). Woken by room in the
    /// send buffer, an error or the deadline.
    #[inline(always)] // into the stream's read or write: see `call`
    pub(crate) fn write<S: WaitIo + AsRawFd>(
        &mut self,
        io: &mut S,
        timer: Timer,
        may_write: impl FnOnce(&mut S) -> io::Result<usize>,
        mut raw_write: impl FnMut(&mut S) -> io::Result<usize>,
    ) -> io::Result<usize> {
        if !self.own(timer) {
            return may_write(io);
        }
        // The first attempt leaves the event flag alone: clearing it is a
        // locked instruction, and what it holds stays for the next read or
        // wait. Only after `EAGAIN` is it cleared (and noted); if it said
        // the socket was writable or failed, that may have come after the
        // attempt, so the write is tried again at once instead of waiting
        // for an event that has been and gone.
        let mut deadline = None;
        let mut cleared = false;
        loop {
            match raw_write(io) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if !cleared {
                        cleared = true;
                        #[allow(deprecated)] // reset_io: as in `read`
                        let events = io.reset_io();
                        self.note(events);
                        if events & (OUTPUT | CLOSED) != 0 {
                            continue;
                        }
                    }
                    let events = self.wait(io, false, timer, &mut deadline)?;
                    self.note(events);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                r => return r,
            }
        }
    }
}
