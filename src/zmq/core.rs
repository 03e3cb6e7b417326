//! The state one socket shares with its connections and inproc peers.
//!
//! A [`Core`] is what outlives a single call: the peers (each a pair of
//! [`Pipe`]s), the pattern state (REQ's outstanding request, REP's
//! envelope, SUB's subscriptions), the options, and the greenlets that
//! listen and connect for this socket. The [`Socket`](super::Socket) handle,
//! each connection greenlet and the context registry hold an `Arc<Core>`.

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicU32, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use super::codec::SocketType;
use super::error::ZmqError;
use super::inbox::Inbox;
use super::msg::Msg;
use super::options::Options;
use super::pipe::Pipe;
use super::signal::{Signal, Wakeups};
use crate::sync::waiter::lock;
use crate::Greenlet;

/// A counter behind ROUTER's generated identities, shared by all sockets so
/// two ROUTERs rarely hand out the same id (libzmq starts at a random value).
static NEXT_ROUTING_ID: AtomicU32 = AtomicU32::new(0x1000_0000);

/// One connected (or, connect side, connecting) peer.
pub(crate) struct Peer {
    /// Unique within the socket; REQ and REP remember the peer by it.
    pub id: u64,
    /// Messages from us to the peer.
    pub tx: Arc<Pipe>,
    /// Messages from the peer to us, read through a batch.
    pub rx: Inbox,
    /// The routing id a ROUTER prepends on recv and routes by on send.
    pub identity: Bytes,
    /// PUB/XPUB: this peer's subscriptions, counted by repetition.
    pub subscriptions: Vec<Bytes>,
    /// The `bind`/`connect` endpoint that made this peer, for
    /// `unbind`/`disconnect`.
    pub endpoint: String,
    /// True for inproc peers: nothing to flush on linger.
    pub inproc: bool,
}

/// Per-pattern state, touched only by the socket's own calls.
#[derive(Default)]
pub(crate) struct PatternState {
    /// REQ: the peer asked, while a reply is due.
    pub req_peer: Option<u64>,
    /// REP: the peer and envelope (up to and including the empty delimiter)
    /// of the request being answered.
    pub rep_envelope: Option<(u64, Msg)>,
    /// SUB/XSUB: our subscriptions, counted by repetition.
    pub subscriptions: Vec<Bytes>,
    /// XPUB: subscription messages waiting for the application.
    pub xpub_pending: VecDeque<Msg>,
}

/// Everything behind the socket's lock.
pub(crate) struct Inner {
    pub options: Options,
    pub peers: Vec<Peer>,
    next_peer_id: u64,
    /// Round-robin cursor for outgoing messages (lb).
    pub lb_next: usize,
    /// Round-robin cursor for incoming messages (fq).
    pub fq_next: usize,
    pub pattern: PatternState,
    /// Endpoints we listen or connect on: as given, as resolved (the real
    /// port), and the greenlet serving it.
    pub endpoints: Vec<(String, String, Greenlet<()>)>,
    pub last_endpoint: Option<String>,
}

impl Inner {
    /// Forgets peers whose connection ended and whose messages were all
    /// read, and keeps the round-robin cursors in range.
    #[inline]
    pub(crate) fn prune(&mut self) {
        // Every send and recv passes here: the common case, no connection
        // ended, is one atomic load per peer, inlined into the caller.
        if self.peers.iter().any(|p| p.tx.is_closed()) {
            self.prune_closed();
        }
    }

    #[cold]
    #[inline(never)]
    fn prune_closed(&mut self) {
        let before = self.peers.len();
        self.peers
            .retain(|p| !(p.tx.is_closed() && p.rx.is_finished()));
        if self.peers.len() != before {
            let n = self.peers.len().max(1);
            self.lb_next %= n;
            self.fq_next %= n;
        }
    }
}

/// [`Core::state`]: the context was terminated (libzmq `ETERM`).
const TERMINATED: u8 = 1;
/// [`Core::state`]: a close began; the socket may still be lingering.
const CLOSED: u8 = 2;
/// [`Core::state`]: the close is over: lingered, endpoints and peers gone.
const SHUT: u8 = 4;

/// See the module docs.
///
/// How a socket ends, in [`Core::state`]'s bits:
///
/// ```text
///   open ──Context::term──▶ TERMINATED: calls fail with ETERM, but the
///    │                      connections run on, so a close still lingers
///    │ close / last handle dropped (either order with term)
///    ▼
///   CLOSED: calls fail (ENOTSOCK); linger: the writers flush, a
///    │      connecter still reconnects, a listener still accepts
///    ▼
///   SHUT: endpoint greenlets killed, peers detached; the context's
///         signal is woken (term waits for every socket to get here)
/// ```
pub(crate) struct Core {
    pub kind: SocketType,
    /// Woken on every change a caller of this socket may wait for.
    pub signal: Arc<Signal>,
    pub inner: Mutex<Inner>,
    /// TERMINATED, CLOSED and SHUT bits: any of them makes blocked and
    /// later calls fail.
    state: AtomicU8,
    /// The context's signal, woken when this socket is shut
    /// ([`Context::term`](super::Context::term) waits on it).
    context_signal: Arc<Signal>,
}

/// What a new peer brings.
pub(crate) struct NewPeer {
    pub tx: Arc<Pipe>,
    pub rx: Arc<Pipe>,
    pub identity: Option<Bytes>,
    pub endpoint: String,
    pub inproc: bool,
}

impl Core {
    /// A socket's core; `context_signal` is woken when it is shut.
    pub(crate) fn new(kind: SocketType, context_signal: Arc<Signal>) -> Arc<Core> {
        Arc::new(Core {
            kind,
            signal: Signal::new(),
            inner: Mutex::new(Inner {
                options: Options::default(),
                peers: Vec::new(),
                next_peer_id: 1,
                lb_next: 0,
                fq_next: 0,
                pattern: PatternState::default(),
                endpoints: Vec::new(),
                last_endpoint: None,
            }),
            state: AtomicU8::new(0),
            context_signal,
        })
    }

    pub(crate) fn options(&self) -> Options {
        lock(&self.inner).options.clone()
    }

    /// Whether calls must fail: the socket was closed or its context
    /// terminated. One atomic load, on every send and recv.
    #[inline]
    pub(crate) fn is_terminated(&self) -> bool {
        self.state.load(Ordering::Acquire) != 0
    }

    /// The error a call fails with once [`is_terminated`](Core::is_terminated):
    /// a closed socket is reported as closed even if its context was
    /// terminated too (libzmq checks the socket before the context).
    pub(crate) fn ended_error(&self) -> io::Error {
        if self.state.load(Ordering::Acquire) & CLOSED != 0 {
            ZmqError::Closed.into()
        } else {
            ZmqError::ContextTerminated.into()
        }
    }

    /// Whether the close is over ([`shut`](Core::shut)). The connecter and
    /// listener greenlets run until then, so a lingering socket can still
    /// (re)connect and flush.
    pub(crate) fn is_shut(&self) -> bool {
        self.state.load(Ordering::Acquire) & SHUT != 0
    }

    /// Adds a peer; `None` when the socket refuses it (a PAIR that has one).
    pub(crate) fn attach(&self, new: NewPeer) -> Option<u64> {
        let mut wake = Wakeups::default();
        let id = {
            let mut inner = lock(&self.inner);
            inner
                .peers
                .retain(|p| !(p.tx.is_closed() && p.rx.is_finished()));
            if self.kind == SocketType::Pair && !inner.peers.is_empty() {
                // pair.cpp::xattach_pipe: "a second peer is terminated".
                return None;
            }
            new.tx.set_writer(&self.signal);
            new.rx.set_reader(&self.signal);
            let id = inner.next_peer_id;
            inner.next_peer_id += 1;
            let identity = match new.identity {
                // RFC 37: an identity's first octet SHALL NOT be zero; libzmq
                // generates one for an empty identity. A duplicate gets a
                // generated one too (libzmq would refuse the connection).
                Some(i)
                    if !i.is_empty()
                        && i[0] != 0
                        && !inner.peers.iter().any(|p| p.identity == i) =>
                {
                    i
                }
                _ => generated_identity(),
            };
            if matches!(self.kind, SocketType::Sub | SocketType::XSub) {
                for topic in &inner.pattern.subscriptions {
                    wake.push(new.tx.force_push(Msg::from(subscribe_message(1, topic))));
                }
            }
            inner.peers.push(Peer {
                id,
                tx: new.tx,
                rx: Inbox::new(new.rx),
                identity,
                subscriptions: Vec::new(),
                endpoint: new.endpoint,
                inproc: new.inproc,
            });
            id
        };
        wake.run();
        self.signal.notify();
        Some(id)
    }

    /// Removes a peer and closes its pipes (what is queued to it is lost).
    pub(crate) fn detach(&self, id: u64) {
        let mut wake = Wakeups::default();
        {
            let mut inner = lock(&self.inner);
            if let Some(i) = inner.peers.iter().position(|p| p.id == id) {
                let p = inner.peers.remove(i);
                for s in p.tx.close().into_iter().chain(p.rx.pipe().close()) {
                    wake.push(s);
                }
            }
        }
        wake.run();
        self.signal.notify();
    }

    /// A connection ended: its pipes close, but what it already delivered
    /// stays readable; the peer is forgotten once that is read
    /// ([`Inner::prune`]).
    pub(crate) fn release(&self, id: u64) {
        let mut wake = Wakeups::default();
        {
            let inner = lock(&self.inner);
            if let Some(p) = inner.peers.iter().find(|p| p.id == id) {
                for s in p.tx.close().into_iter().chain(p.rx.pipe().close()) {
                    wake.push(s);
                }
            }
        }
        wake.run();
        self.signal.notify();
    }

    /// SUB/XSUB after a reconnect: the peer forgot our subscriptions, so
    /// stale ones queued while disconnected go and the whole list is sent
    /// again (RFC 29: resend on every (re)connect).
    pub(crate) fn resubscribe(&self, tx: &Arc<Pipe>) {
        if !matches!(self.kind, SocketType::Sub | SocketType::XSub) {
            return;
        }
        let mut wake = Wakeups::default();
        {
            let inner = lock(&self.inner);
            tx.purge(|m| m.len() == 1 && matches!(m[0].first(), Some(0 | 1)));
            for topic in &inner.pattern.subscriptions {
                wake.push(tx.force_push(Msg::from(subscribe_message(1, topic))));
            }
        }
        wake.run();
    }

    /// The context was terminated: wakes the socket's callers, which fail
    /// from now on. The connections run on until the socket is closed.
    pub(crate) fn terminate(&self) {
        self.state.fetch_or(TERMINATED, Ordering::AcqRel);
        self.signal.notify();
    }

    /// A close begins: wakes the socket's callers, which fail from now on.
    /// True for the one caller that closed it; false if it was closed
    /// already.
    pub(crate) fn begin_close(&self) -> bool {
        let before = self.state.fetch_or(CLOSED, Ordering::AcqRel);
        self.signal.notify();
        before & CLOSED == 0
    }

    /// The close is over: tells the context (its `term` waits for this).
    pub(crate) fn shut(&self) {
        self.state.fetch_or(SHUT | CLOSED, Ordering::AcqRel);
        self.signal.notify();
        self.context_signal.notify();
    }
}

/// `\x01topic` (subscribe) or `\x00topic` (cancel): the ZMTP 3.0 form, which
/// is also how subscriptions travel through pipes.
pub(crate) fn subscribe_message(flag: u8, topic: &[u8]) -> Bytes {
    let mut body = Vec::with_capacity(1 + topic.len());
    body.push(flag);
    body.extend_from_slice(topic);
    Bytes::from(body)
}

/// `00` + a 4-octet counter, as libzmq's `router.cpp::identify_peer`.
fn generated_identity() -> Bytes {
    let n = NEXT_ROUTING_ID.fetch_add(1, Ordering::Relaxed);
    let mut id = vec![0u8];
    id.extend_from_slice(&n.to_be_bytes());
    Bytes::from(id)
}
