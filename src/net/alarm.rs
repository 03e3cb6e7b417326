//! Timeouts for sockets that wait on greenline's own readiness path, kept
//! by one thread instead of may's timers.
//!
//! may's `wait_io` has no timeout, and may's timed socket operations always
//! try the socket before waiting (a failed `read` per request on a
//! keep-alive connection) and queue a timer per wait. A socket whose
//! timeouts greenline keeps itself (every stream, from its creation) instead
//! stores its deadline in an [`Alarm`] before it waits and clears it after;
//! one thread, `greenline-alarm`, wakes the waiter through may's
//! `WaitIoWaker` when a deadline passes, and the waiter, seeing its time is
//! up, returns `TimedOut`.
//!
//! ```text
//!   waiter (greenlet)                        alarm thread
//!   set(d): deadline = d                     sleeps until the earliest entry
//!           queue an entry if it has none    entry due: deadline later? queue it again
//!           at or before d                              deadline passed? wakeup()
//!   wait_io() ◀──────────── woken by the socket's event or by wakeup()
//!   clear(): deadline = none                            no deadline? drop the entry
//! ```
//!
//! Setting and clearing are an atomic store each in the steady state: the
//! queue holds one entry per socket, due at or before its deadline, and a
//! socket that waits again with a later deadline (a keep-alive connection
//! after each request) leaves its entry alone; when the entry comes due the
//! thread sees the later deadline and queues it again. A socket takes the
//! queue's lock only when it has no entry or needs an earlier one.
//!
//! Times are monotonic-clock nanoseconds (`glue::monotonic_clock`, as
//! `Instant`), read by the waiter when it sets a deadline and when a wait
//! of the same operation ends without its event, and by the thread each
//! time it wakes: a wait never ends early, and ends the thread's wake-up
//! latency (tens of microseconds) after its time. (The coarse clock, a
//! few nanoseconds cheaper, lags by a tick or more, up to 4 ms late; a
//! waiter comparing with it would also spin on wake-ups the thread sent by
//! the precise one.)

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::fmt;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::{Release, SeqCst};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use may::io::WaitIoWaker;

/// No deadline (not waiting), or no entry queued.
const NONE: u64 = u64::MAX;

/// One socket's deadline, watched by the alarm thread.
pub(crate) struct Alarm {
    slot: Arc<Slot>,
}

struct Slot {
    /// When the waiter's time is up; `NONE` while it is not waiting.
    deadline: AtomicU64,
    /// When this slot's entry in the queue comes due; `NONE` without one.
    /// Changed only under the queue's lock.
    queued: AtomicU64,
    waker: WaitIoWaker,
}

/// The deadline for a wait of `timeout` starting now. (From the precise
/// clock: the coarse one can lag it by more than its tick, since a
/// tickless kernel skips ticks while idle, which would make the deadline
/// early.)
pub(crate) fn deadline_after(timeout: Duration) -> u64 {
    let now = crate::glue::monotonic_clock();
    let t = u64::try_from(timeout.as_nanos()).unwrap_or(NONE);
    now.saturating_add(t).min(NONE - 1)
}

/// The time from now until `deadline` (zero once passed).
pub(crate) fn left(deadline: u64) -> Duration {
    Duration::from_nanos(deadline.saturating_sub(crate::glue::monotonic_clock()))
}

/// Whether `deadline` has passed.
pub(crate) fn passed(deadline: u64) -> bool {
    crate::glue::monotonic_clock() >= deadline
}

impl Alarm {
    /// An alarm that wakes whatever waits through `waker`'s socket.
    pub(crate) fn new(waker: WaitIoWaker) -> Alarm {
        Alarm {
            slot: Arc::new(Slot {
                deadline: AtomicU64::new(NONE),
                queued: AtomicU64::new(NONE),
                waker,
            }),
        }
    }

    /// Wakes the socket's waiter once `deadline` passes, unless cleared
    /// first. A wake-up with nobody waiting leaves the socket's event flag
    /// set, so the next wait returns at once (and looks at the time).
    pub(crate) fn set(&self, deadline: u64) {
        let slot = &self.slot;
        slot.deadline.store(deadline, SeqCst);
        // The thread, settling this slot's entry, stores `queued` and then
        // reads `deadline`; we store `deadline` and then read `queued`. So
        // either it sees our deadline or we see what it queued.
        if slot.queued.load(SeqCst) > deadline {
            clock().queue(slot, deadline);
        }
    }

    /// No deadline until the next `set`.
    pub(crate) fn clear(&self) {
        // Release, not SeqCst (a full fence on x86, once per wait): the
        // thread seeing the old deadline a little longer only wakes the
        // socket early, and a wait woken early looks at the time.
        self.slot.deadline.store(NONE, Release);
    }
}

impl Drop for Alarm {
    fn drop(&mut self) {
        // The queue may still hold the slot; the thread drops it when due.
        self.clear();
    }
}

impl fmt::Debug for Alarm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Alarm")
            .field("deadline", &self.slot.deadline.load(SeqCst))
            .finish()
    }
}

/// The queue and the thread that serves it.
struct Clock {
    queue: Mutex<Queue>,
    /// Signalled when an entry earlier than the thread's wake-up is queued.
    earlier: Condvar,
}

struct Queue {
    entries: BinaryHeap<Reverse<Entry>>,
    /// When the thread will next look at the queue (`NONE`: when signalled).
    wake_at: u64,
}

struct Entry {
    at: u64,
    slot: Arc<Slot>,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Entry) -> bool {
        self.at == other.at
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Entry) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Entry) -> Ordering {
        self.at.cmp(&other.at)
    }
}

/// The process's alarm thread, started on first use.
fn clock() -> &'static Clock {
    static CLOCK: OnceLock<Clock> = OnceLock::new();
    let mut started = false;
    let clock = CLOCK.get_or_init(|| {
        started = true;
        Clock {
            queue: Mutex::new(Queue {
                entries: BinaryHeap::new(),
                wake_at: NONE,
            }),
            earlier: Condvar::new(),
        }
    });
    if started {
        std::thread::Builder::new()
            .name("greenline-alarm".into())
            .spawn(move || clock.run())
            // Without the thread no socket timeout would ever fire.
            .expect("greenline could not start its alarm thread");
    }
    clock
}

impl Clock {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Nothing panics while holding the lock; a poisoned queue is whole.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `slot` at `at` unless it has an entry due by then.
    fn queue(&self, slot: &Arc<Slot>, at: u64) {
        let mut q = self.lock();
        if slot.queued.load(SeqCst) <= at {
            return;
        }
        // An entry already queued for a later time stays, and is dropped
        // when it comes due (its time is no longer the slot's `queued`).
        q.push(slot, at);
        if at < q.wake_at {
            q.wake_at = at;
            self.earlier.notify_one();
        }
    }

    fn run(&self) {
        let mut q = self.lock();
        loop {
            let now = crate::glue::monotonic_clock();
            while q.entries.peek().is_some_and(|e| e.0.at <= now) {
                let Some(Reverse(entry)) = q.entries.pop() else {
                    break;
                };
                if entry.slot.queued.load(SeqCst) == entry.at {
                    q.settle(entry.slot, now);
                }
            }
            q.wake_at = q.entries.peek().map_or(NONE, |e| e.0.at);
            q = if q.wake_at == NONE {
                self.earlier.wait(q).unwrap_or_else(PoisonError::into_inner)
            } else {
                let sleep = Duration::from_nanos(q.wake_at.saturating_sub(now).max(1));
                self.earlier
                    .wait_timeout(q, sleep)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            };
        }
    }
}

impl Queue {
    fn push(&mut self, slot: &Arc<Slot>, at: u64) {
        slot.queued.store(at, SeqCst);
        self.entries.push(Reverse(Entry {
            at,
            slot: Arc::clone(slot),
        }));
    }

    /// Handles a slot whose entry came due: wakes its waiter if the
    /// deadline passed, queues it again if the deadline moved later, drops
    /// it if nothing waits.
    fn settle(&mut self, slot: Arc<Slot>, now: u64) {
        slot.queued.store(NONE, SeqCst);
        let mut deadline = slot.deadline.load(SeqCst);
        if deadline == NONE {
            // A `set` from now on sees no entry and queues one itself.
            return;
        }
        if deadline <= now {
            slot.waker.wakeup();
            return;
        }
        loop {
            self.push(&slot, deadline);
            // A `set` that read the old `queued` before we stored it may
            // have asked for an earlier time than we just queued.
            let again = slot.deadline.load(SeqCst);
            if again >= deadline {
                return;
            }
            deadline = again;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};

    use super::*;
    use crate::net::deadline::Timeouts;
    use crate::net::{TcpListener, TcpStream};

    /// A connected pair: a server side in greenline keeping its own
    /// timers (made in the greenlet that uses it), and a std client.
    fn served<T: Send + 'static>(
        f: impl FnOnce(TcpStream) -> T + Send + 'static,
    ) -> (crate::Greenlet<T>, std::net::TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let server = crate::spawn(move || {
            let (s, _) = listener.accept().unwrap();
            assert!(s.keeps_own_timers());
            f(s)
        });
        (server, client)
    }

    /// Reads once with `t` as the read timeout; how long it took and what
    /// it returned.
    fn timed_read(s: &mut TcpStream, t: Duration) -> (Duration, std::io::Result<usize>) {
        s.set_read_timeout(Some(t)).unwrap();
        let start = Instant::now();
        let r = s.read(&mut [0; 16]);
        (start.elapsed(), r)
    }

    #[test]
    fn deadlines_are_never_early() {
        let start = Instant::now();
        let d = deadline_after(Duration::from_millis(30));
        while !passed(d) {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(start.elapsed() >= Duration::from_millis(30));
    }

    #[test]
    fn a_read_times_out_on_time() {
        let (server, _client) = served(|mut s| timed_read(&mut s, Duration::from_millis(60)));
        let (took, r) = server.join().unwrap();
        assert_eq!(r.unwrap_err().kind(), std::io::ErrorKind::TimedOut);
        assert!(took >= Duration::from_millis(60), "{took:?}");
        assert!(took < Duration::from_millis(1000), "{took:?}");
    }

    #[test]
    fn data_before_the_deadline_wins_and_the_next_read_waits_again() {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let (server, mut client) = served(move |mut s| {
            // Trust the socket first (an EAGAIN read), then wait on it.
            let first = timed_read(&mut s, Duration::from_millis(20));
            tx.send(()).unwrap();
            let second = timed_read(&mut s, Duration::from_secs(10));
            let third = timed_read(&mut s, Duration::from_millis(50));
            (first.1.is_err(), second, third)
        });
        rx.recv_timeout(Duration::from_secs(5)).unwrap();
        std::thread::sleep(Duration::from_millis(30));
        client.write_all(b"hi").unwrap();
        let (first_timed_out, second, third) = server.join().unwrap();
        assert!(first_timed_out);
        assert_eq!(second.1.unwrap(), 2);
        assert!(second.0 < Duration::from_secs(5), "{:?}", second.0);
        assert_eq!(third.1.unwrap_err().kind(), std::io::ErrorKind::TimedOut);
    }

    #[test]
    fn a_deadline_moved_later_is_not_fired_early() {
        let (server, mut client) = served(|mut s| {
            // Leaves an entry due in about 40 ms.
            s.set_read_timeout(Some(Duration::from_millis(40))).unwrap();
            let mut buf = [0; 16];
            let got = s.read(&mut buf).unwrap();
            // This wait outlives that entry: the thread must queue it again.
            let later = timed_read(&mut s, Duration::from_millis(150));
            (got, later)
        });
        client.write_all(b"x").unwrap();
        let (got, (took, r)) = server.join().unwrap();
        assert_eq!(got, 1);
        assert_eq!(r.unwrap_err().kind(), std::io::ErrorKind::TimedOut);
        assert!(took >= Duration::from_millis(150), "{took:?}");
    }

    #[test]
    fn a_deadline_moved_earlier_fires_on_time() {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let (server, mut client) = served(move |mut s| {
            let _ = timed_read(&mut s, Duration::from_millis(5));
            tx.send(()).unwrap();
            // Woken by data while its entry is due in 30 s...
            let long = timed_read(&mut s, Duration::from_secs(30));
            // ...so this shorter wait needs an earlier entry of its own.
            let short = timed_read(&mut s, Duration::from_millis(40));
            (long.1.ok(), short)
        });
        rx.recv_timeout(Duration::from_secs(5)).unwrap();
        std::thread::sleep(Duration::from_millis(20));
        client.write_all(b"x").unwrap();
        let (long, (took, r)) = server.join().unwrap();
        assert_eq!(long, Some(1));
        assert_eq!(r.unwrap_err().kind(), std::io::ErrorKind::TimedOut);
        assert!(took >= Duration::from_millis(40), "{took:?}");
        assert!(took < Duration::from_secs(5), "{took:?}");
    }

    #[test]
    fn many_sockets_each_time_out_after_their_own_timeout() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let clients: Vec<_> = (0..20)
            .map(|_| std::net::TcpStream::connect(addr).unwrap())
            .collect();
        let mut waiters = Vec::new();
        for i in 0..20u64 {
            let (mut s, _) = listener.accept().unwrap();
            waiters.push(crate::spawn(move || {
                let t = Duration::from_millis(20 + 10 * (i % 7));
                let (took, r) = timed_read(&mut s, t);
                (t, took, r.map_err(|e| e.kind()))
            }));
        }
        for w in waiters {
            let (t, took, r) = w.join().unwrap();
            assert_eq!(r, Err(std::io::ErrorKind::TimedOut));
            assert!(took >= t, "{took:?} < {t:?}");
            assert!(took < t + Duration::from_secs(2), "{took:?}");
        }
        drop(clients);
    }

    #[test]
    fn a_write_times_out_when_the_peer_does_not_read() {
        let (server, _client) = served(|mut s| {
            s.set_write_timeout(Some(Duration::from_millis(80)))
                .unwrap();
            let chunk = vec![0u8; 64 * 1024];
            let start = Instant::now();
            loop {
                if let Err(e) = s.write(&chunk) {
                    return (start.elapsed(), e.kind());
                }
                assert!(start.elapsed() < Duration::from_secs(10), "never blocked");
            }
        });
        let (took, kind) = server.join().unwrap();
        assert_eq!(kind, std::io::ErrorKind::TimedOut);
        assert!(took >= Duration::from_millis(80), "{took:?}");
    }

    #[test]
    fn a_greenlet_timeout_bounds_a_read_without_a_socket_timeout() {
        let (server, _client) = served(|mut s| {
            let start = Instant::now();
            let r = {
                let _t = crate::Timeout::start(Duration::from_millis(50));
                s.read(&mut [0; 4])
            };
            // The socket's own timeout (none) is back afterwards.
            (start.elapsed(), r.map_err(|e| e.kind()), s.read_timeout())
        });
        let (took, r, own) = server.join().unwrap();
        assert_eq!(r, Err(std::io::ErrorKind::TimedOut));
        assert!(took >= Duration::from_millis(50), "{took:?}");
        assert_eq!(own, None);
    }

    #[test]
    fn killing_a_waiting_greenlet_unwinds_it() {
        let (server, _client) = served(|mut s| {
            s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
            let _ = s.read(&mut [0; 4]);
            unreachable!("the read is killed, not finished");
        });
        std::thread::sleep(Duration::from_millis(20));
        server.kill_timeout(Duration::from_secs(5)).unwrap();
        assert!(server.join().is_err());
    }

    #[test]
    fn on_a_plain_thread_the_timeouts_still_hold() {
        let (server, _client) = served(|s| s);
        let mut s = server.join().unwrap();
        let (took, r) = std::thread::spawn(move || timed_read(&mut s, Duration::from_millis(40)))
            .join()
            .unwrap();
        assert_eq!(r.unwrap_err().kind(), std::io::ErrorKind::TimedOut);
        assert!(took >= Duration::from_millis(40), "{took:?}");
    }

    #[test]
    fn on_a_plain_thread_a_read_waits_for_data() {
        let (server, mut client) = served(|mut s| {
            // Trusted and drained on the greenlet, so the thread's read
            // waits before it tries.
            let _ = timed_read(&mut s, Duration::from_millis(5));
            s
        });
        let mut s = server.join().unwrap();
        let reader = std::thread::spawn(move || timed_read(&mut s, Duration::from_secs(10)));
        std::thread::sleep(Duration::from_millis(30));
        client.write_all(b"late").unwrap();
        let (took, r) = reader.join().unwrap();
        assert_eq!(r.unwrap(), 4);
        assert!(took < Duration::from_secs(5), "{took:?}");
    }
}
