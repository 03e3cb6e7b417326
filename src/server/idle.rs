//! The idle lot: a server's idle connections, waiting for input without a
//! greenlet.
//!
//! A keep-alive HTTP connection spends most of its life idle between
//! requests, and an idle greenlet still holds its stack: three resident
//! pages, 12 KiB, most of what an open connection costs. So a handler that
//! finds its connection idle may return [`Next::Idle`] instead of waiting:
//! its greenlet ends, and the connection (its socket, and whatever the
//! handler needs to carry on, in a closure) waits in the server's
//! [`IdleLot`] until input arrives, when the lot hands it back to the
//! server (the `resume` function the server made the lot with), which runs
//! the closure in a fresh handler greenlet.
//!
//! ```text
//!  handler greenlet ──Next::Idle──▶ lot: socket in the lot's epoll set (one-shot)
//!        ▲                              │ input, end of file or error
//!        │                              ▼
//!        └── server's resume ◀── reactor greenlet (waits on the set's fd)
//!
//!  expiry passes (sweeper greenlet)  ─▶ socket closed, slot freed
//!  server stops (close)              ─▶ every idle socket closed at once
//! ```
//!
//! An idle connection keeps its place in the server's connection count
//! and limit: it is open, only not being served. The lot is offered to the
//! crate's own HTTP server; a user's `StreamServer` handler runs start to
//! end in one greenlet.
//!
//! The lot knows the server only through `resume`, and its greenlets hold
//! it weakly: they end when the server, and with it the lot, is gone.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use may::io::WaitIo;

use super::handoff::{Conn, Idle, Resume, Slot, Work};
use crate::net::TcpStream;
use crate::sync::waiter::lock;
use crate::sys::epoll::EpollSet;
use crate::sys::registered::Registered;
use crate::{Builder, Greenlet};

/// The sweeper checks for expired connections at most this often...
const SWEEP_MIN: Duration = Duration::from_millis(10);
/// ...and at least this often while any connection is idle here.
const SWEEP_MAX: Duration = Duration::from_secs(1);

/// Hands a connection with input back to the server, which runs it in a
/// new handler greenlet; an error means no greenlet could be spawned (the
/// connection was dropped, and with it its slot).
type ResumeFn = dyn Fn(Conn) -> io::Result<()> + Send + Sync;

/// A server's idle connections. Empty and without greenlets until the
/// first connection comes.
pub(crate) struct IdleLot {
    /// The server's address, for greenlet names and logs.
    addr: SocketAddr,
    resume: Box<ResumeFn>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    idle: HashMap<u64, Entry>,
    next_key: u64,
    /// The epoll set and the greenlet waiting on it, made at the first put.
    epoll: Option<Arc<Registered<EpollSet>>>,
    reactor: Option<Greenlet<()>>,
    reactor_started: bool,
    /// Whether a sweeper runs: while a connection here can expire. It ends
    /// when none can; the next such put starts another.
    sweeping: bool,
    sweeper: Option<Greenlet<()>>,
    /// Set by `close`: no connection is kept any more.
    closed: bool,
}

struct Entry {
    stream: TcpStream,
    peer: SocketAddr,
    expires: Option<Instant>,
    resume: Resume,
    /// The connection's place in the count and the limit.
    slot: Slot,
}

impl IdleLot {
    /// An empty lot for the server at `addr`, which gives connections with
    /// input to `resume`.
    pub(crate) fn new(
        addr: SocketAddr,
        resume: impl Fn(Conn) -> io::Result<()> + Send + Sync + 'static,
    ) -> IdleLot {
        IdleLot {
            addr,
            resume: Box::new(resume),
            state: Mutex::new(State::default()),
        }
    }

    /// The reactor greenlet's record and the epoll set, for tests that
    /// check both go away when the lot closes.
    #[cfg(test)]
    fn watch(
        &self,
    ) -> (
        Option<Arc<crate::greenlet::header::Header>>,
        Weak<Registered<EpollSet>>,
    ) {
        let st = lock(&self.state);
        (
            st.reactor.as_ref().map(|g| g.header().clone()),
            st.epoll.as_ref().map_or_else(Weak::new, Arc::downgrade),
        )
    }

    /// How many connections wait here now.
    pub(crate) fn len(&self) -> usize {
        lock(&self.state).idle.len()
    }

    /// Closes every idle connection and stops the lot's greenlets; later
    /// puts close their connection at once.
    pub(crate) fn close(&self) {
        let (idle, reactor, sweeper, epoll) = {
            let mut st = lock(&self.state);
            st.closed = true;
            (
                std::mem::take(&mut st.idle),
                st.reactor.take(),
                st.sweeper.take(),
                st.epoll.take(),
            )
        };
        for g in [reactor, sweeper].into_iter().flatten() {
            g.kill_nowait();
        }
        if let Some(epoll) = epoll {
            for entry in idle.values() {
                let _ = epoll.inner().remove(&entry.stream);
            }
        }
        // Dropping the entries closes the sockets and frees the slots.
        drop(idle);
    }

    /// Keeps `idle` (from `peer`, holding `slot`) until it has input, or
    /// closes it if the lot is closed or the connection cannot be watched
    /// (logged).
    pub(crate) fn put(self: &Arc<Self>, idle: Idle, peer: SocketAddr, slot: Slot) {
        let mut st = lock(&self.state);
        if st.closed {
            return;
        }
        let epoll = match &st.epoll {
            Some(epoll) => epoll.clone(),
            None => match EpollSet::new().and_then(Registered::new) {
                Ok(epoll) => {
                    let epoll = Arc::new(epoll);
                    st.epoll = Some(epoll.clone());
                    epoll
                }
                Err(e) => {
                    log::error!(
                        "StreamServer {}: cannot keep idle connections: {e}",
                        self.addr
                    );
                    return;
                }
            },
        };
        let key = st.next_key;
        st.next_key += 1;
        // Added to the set and the map under the lock: the reactor takes the
        // lock to look up what the set reports, so it always finds the entry.
        let Idle {
            stream,
            expires,
            resume,
        } = idle;
        if let Err(e) = epoll.inner().add_once(&stream, key) {
            log::error!(
                "StreamServer {}: cannot watch the idle connection from {peer}: {e}",
                self.addr
            );
            return;
        }
        st.idle.insert(
            key,
            Entry {
                stream,
                peer,
                expires,
                resume,
                slot,
            },
        );
        let start_reactor = !st.reactor_started;
        st.reactor_started = true;
        let start_sweeper = !st.sweeping && expires.is_some();
        st.sweeping |= start_sweeper;
        drop(st);
        if start_reactor {
            self.start(
                "idle",
                |weak| reactor(weak, epoll),
                |st, g| {
                    st.reactor_started &= g.is_some();
                    st.reactor = g;
                },
            );
        }
        if start_sweeper {
            self.start("sweep", sweeper, |st, g| {
                // Not `sweeping = true`: the sweeper may have run and ended.
                st.sweeping &= g.is_some();
                st.sweeper = g;
            });
        }
    }

    /// Spawns one of the lot's greenlets and hands its handle to `record`
    /// (for `close`), or kills it if the lot closed meanwhile. A failed
    /// spawn is logged and recorded as `None`, so the next put tries again.
    fn start(
        self: &Arc<Self>,
        what: &str,
        body: impl FnOnce(Weak<IdleLot>) + Send + 'static,
        record: impl FnOnce(&mut State, Option<Greenlet<()>>),
    ) {
        let weak = Arc::downgrade(self);
        let spawned = Builder::new()
            .name(format!("{what}-{}", self.addr))
            .spawn(move || body(weak));
        let mut st = lock(&self.state);
        match spawned {
            Ok(g) if st.closed => {
                drop(st);
                g.kill_nowait();
            }
            Ok(g) => record(&mut st, Some(g)),
            Err(e) => {
                record(&mut st, None);
                drop(st);
                log::error!(
                    "StreamServer {}: cannot start the {what} greenlet: {e}",
                    self.addr
                );
            }
        }
    }
}

/// Waits on the epoll set and gives each connection it reports back to
/// the server. Ends when the lot is gone or closes (which also kills it in
/// `wait_io`).
fn reactor(weak: Weak<IdleLot>, epoll: Arc<Registered<EpollSet>>) {
    let mut keys = Vec::with_capacity(64);
    loop {
        // Drain, then wait: an event after the last `ready` sets may's flag
        // for the set's fd, so `wait_io` returns at once.
        loop {
            keys.clear();
            let n = match epoll.inner().ready(&mut keys) {
                Ok(n) => n,
                Err(e) => {
                    log::error!("StreamServer: idle connections' epoll set failed: {e}");
                    if let Some(lot) = weak.upgrade() {
                        lot.close();
                    }
                    return;
                }
            };
            let Some(lot) = weak.upgrade() else {
                return;
            };
            // Resumed under the lot's lock, so that `close` (taken by
            // `stop` before it collects the running handlers) comes either
            // before a resume, which then does not happen, or after the
            // handler is registered, so `stop` waits for it.
            let mut st = lock(&lot.state);
            if st.closed {
                return;
            }
            for key in &keys {
                let Some(entry) = st.idle.remove(key) else {
                    continue;
                };
                let _ = epoll.inner().remove(&entry.stream);
                let peer = entry.peer;
                let conn = Conn {
                    work: Work::Resume(entry.stream, entry.resume),
                    peer,
                    slot: entry.slot,
                };
                if let Err(e) = (lot.resume)(conn) {
                    log::error!(
                        "StreamServer {}: cannot resume the connection from {peer}: {e}",
                        lot.addr
                    );
                }
            }
            drop(st);
            if n < 64 {
                break;
            }
        }
        epoll.wait_io();
    }
}

/// Closes idle connections whose time is up. Ends when none is left (the
/// next put starts another), when the lot closes, or when it is gone.
fn sweeper(weak: Weak<IdleLot>) {
    loop {
        let Some(lot) = weak.upgrade() else {
            return;
        };
        let now = Instant::now();
        let mut expired = Vec::new();
        let next = {
            let mut st = lock(&lot.state);
            if st.closed {
                return;
            }
            let due: Vec<u64> = st
                .idle
                .iter()
                .filter(|(_, e)| e.expires.is_some_and(|t| t <= now))
                .map(|(k, _)| *k)
                .collect();
            expired.extend(due.iter().filter_map(|k| st.idle.remove(k)));
            let next = st.idle.values().filter_map(|e| e.expires).min();
            if next.is_none() {
                // Nothing left that can expire: done until the next put.
                st.sweeping = false;
                st.sweeper = None;
            }
            if let Some(epoll) = &st.epoll {
                for entry in &expired {
                    let _ = epoll.inner().remove(&entry.stream);
                }
            }
            next
        };
        if !expired.is_empty() {
            log::debug!(
                "StreamServer {}: closed {} idle connections (keep-alive timeout)",
                lot.addr,
                expired.len()
            );
        }
        // Closes the sockets and frees the slots.
        drop(expired);
        let Some(next) = next else {
            return;
        };
        drop(lot);
        let wait = next.saturating_duration_since(Instant::now());
        if crate::sleep(wait.clamp(SWEEP_MIN, SWEEP_MAX)).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};

    use super::*;
    use crate::server::handoff::Next;
    use crate::server::{ServerOptions, StreamServer};

    /// A server whose handler hands every new connection back idle at once;
    /// resumed, it answers `resumed` and closes.
    fn idling_server(expires: Option<Duration>) -> StreamServer {
        let listener = crate::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let server =
            StreamServer::with_handoff(listener, ServerOptions::new(), move |stream, _| {
                Next::Idle(Idle {
                    stream,
                    expires: expires.and_then(crate::time::deadline_in),
                    resume: Box::new(|mut stream| {
                        let mut byte = [0; 1];
                        if stream.read(&mut byte).unwrap_or(0) == 1 {
                            let _ = stream.write_all(b"resumed");
                        }
                        Next::Done
                    }),
                })
            })
            .unwrap();
        server.start().unwrap();
        server
    }

    /// A client of `server`, its reads bounded so a failure cannot hang.
    fn client(server: &StreamServer) -> std::net::TcpStream {
        let client = std::net::TcpStream::connect(server.local_addr()).unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        client
    }

    fn wait_until(what: &str, cond: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !cond() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    #[test]
    fn an_idle_connection_is_resumed_in_a_new_greenlet_by_input() {
        let server = idling_server(None);
        let mut client = client(&server);
        wait_until("the hand-off", || server.idle_count() == 1);
        client.write_all(b"x").unwrap();
        let mut answer = String::new();
        client.read_to_string(&mut answer).unwrap();
        assert_eq!(answer, "resumed");
        wait_until("the end", || server.connection_count() == 0);
        assert_eq!(server.idle_count(), 0);
        server.stop(Duration::from_secs(1));
    }

    #[test]
    fn an_expired_connection_is_closed_by_the_sweeper() {
        let server = idling_server(Some(Duration::from_millis(50)));
        let mut client = client(&server);
        let mut rest = Vec::new();
        // End of file, never "resumed": it was closed unread.
        assert_eq!(client.read_to_end(&mut rest).unwrap(), 0);
        wait_until("the slot to be freed", || server.connection_count() == 0);
    }

    #[test]
    fn closing_the_lot_ends_its_greenlet_and_closes_its_epoll_set() {
        let server = idling_server(None);
        let mut client = client(&server);
        // The reactor is recorded just after the connection is put in the lot.
        wait_until("the hand-off and its reactor", || {
            server.idle_count() == 1 && server.inner.lot.watch().0.is_some()
        });
        let (reactor, epoll) = server.inner.lot.watch();
        let reactor = reactor.expect("a reactor while a connection is idle");
        assert!(epoll.upgrade().is_some());

        server.stop(Duration::from_secs(1));
        // The idle connection is closed without being resumed...
        let mut rest = Vec::new();
        assert_eq!(client.read_to_end(&mut rest).unwrap(), 0);
        // ...the reactor, killed in its wait, ends, and with it the last
        // reference to the epoll set (its descriptor closes).
        let deadline = Instant::now() + Duration::from_secs(5);
        assert!(
            reactor.wait(Some(deadline)).is_ok(),
            "the reactor is still running"
        );
        wait_until("the epoll set to close", || epoll.upgrade().is_none());
        assert_eq!(server.connection_count(), 0);
    }
}
