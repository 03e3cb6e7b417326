//! ZeroMQ-compatible messaging in pure Rust, with pyzmq's API: sockets
//! that yield like gevent's `zmq.green` and speak ZMTP 3.1 to libzmq peers.
//!
//! It provides [`Context`] and [`Socket`] with the eleven classic socket
//! types (REQ/REP, DEALER/ROUTER, PUB/SUB, XPUB/XSUB, PUSH/PULL, PAIR),
//! the `tcp://`, `ipc://` and `inproc://` transports, [`Socket::poll`] and
//! a [`Poller`], and [`proxy`] with the three classic devices; pyzmq's
//! conveniences too: [`Socket::send_string`]/[`Socket::recv_string`],
//! `send_json`/`recv_json` (feature `json`), [`Context::instance`], and a
//! [`Context::term`] that waits for every socket's linger. [`codec`] is the
//! wire protocol without I/O. Multicast (`pgm://`, `epgm://`), CURVE/PLAIN security and
//! the draft socket types are out of scope.
//!
//! # Examples
//!
//! A REP greenlet answering a REQ over TCP, as in zguide's hello world:
//!
//! ```
//! use greenline::zmq;
//!
//! let ctx = zmq::Context::new();
//! let rep = ctx.socket(zmq::REP)?;
//! rep.bind("tcp://127.0.0.1:*")?;
//! let endpoint = rep.last_endpoint().unwrap();
//! let server = greenline::spawn(move || -> std::io::Result<()> {
//!     let request = rep.recv(0)?;
//!     assert_eq!(request, "Hello");
//!     rep.send("World", 0)
//! });
//! let req = ctx.socket(zmq::REQ)?;
//! req.connect(&endpoint)?;
//! req.send("Hello", 0)?;
//! assert_eq!(req.recv(0)?, "World");
//! server.join().unwrap()?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Socket types
//!
//! | type | send | recv | at HWM / no peer |
//! |---|---|---|---|
//! | REQ | round-robin, `""` delimiter prepended | only from the peer asked | blocks |
//! | REP | to the requester, envelope restored | fair-queue, envelope stored | reply dropped |
//! | DEALER | round-robin | fair-queue | blocks |
//! | ROUTER | by first frame (routing id) | fair-queue, routing id prepended | drops (`router_mandatory`: blocks / `HostUnreachable`) |
//! | PUB, XPUB | to every matching subscriber | XPUB: `\x01topic`/`\x00topic` | drops, never blocks |
//! | SUB, XSUB | XSUB: subscription messages | fair-queue, prefix filter | n/a |
//! | PUSH | round-robin to peers with room | `Unsupported` | blocks |
//! | PULL | `Unsupported` | fair-queue | n/a |
//! | PAIR | the one peer | the one peer | blocks |
//!
//! REQ and REP enforce strict alternation (libzmq's `EFSM`, here
//! `InvalidInput` with [`ZmqError::InvalidState`] inside). A message is
//! received whole or not at all: while frames of a request (REP) or reply
//! (REQ) are unread, a send is refused too, so a server that reads with
//! [`Socket::recv`] must read on while [`Socket::get_rcvmore`] is true, or
//! use [`Socket::recv_multipart`]:
//!
//! ```text
//!      REQ                                   REP
//!   ┌────────┐ send ["", body]  ──────▶  ┌─────────┐
//!   │  Idle  │───────────────┐           │  Idle   │ recv: stores ["",] envelope,
//!   └────────┘               ▼           └─────────┘ returns [body]
//!       ▲             ┌────────────┐           │
//!       │ recv reply  │  Waiting   │           ▼
//!       │ (that peer) │ send: EFSM │     ┌───────────┐
//!       └─────────────┤            │◀────│ Replying  │ send: envelope + [reply]
//!                     └────────────┘     │ recv: EFSM│
//!                                        └───────────┘
//! ```
//!
//! # How it works underneath
//!
//! There are no I/O threads. A socket is shared state (its peers, each a
//! pair of bounded message queues called pipes, and its pattern state)
//! plus greenlets:
//!
//! * one **listener** greenlet per bound tcp/ipc endpoint, accepting;
//! * one **connecter** greenlet per connected endpoint, which (re)connects
//!   with back-off and runs the connection;
//! * per connection, the greenlet that accepted or connected it does the
//!   ZMTP handshake and then **reads** (decodes frames, answers PING,
//!   collects multipart messages into the socket's inbound pipe), and a
//!   **writer** greenlet takes every message queued for the peer, encodes
//!   them into one buffer and writes it with one `write_all`.
//!
//! inproc peers have no greenlets at all: the two sockets share the pipes.
//! A `send` or `recv` never does I/O itself; it moves whole messages in or
//! out of pipes and, when it must wait, parks on the socket's signal (a
//! greenlet yields, a plain thread blocks), to be woken by whoever changes
//! a pipe. So a socket works from a plain thread talking to a greenlet and
//! the other way round.
//!
//! Messages are whole `Bytes` frames end to end (a one-frame message kept
//! inline, without a `Vec`): frames are sliced out of the receive buffer
//! without copying, and an inproc message is the sender's own `Bytes`.
//!
//! # Code map
//!
//! The socket owns its files, the pattern owns its routing, the transport
//! owns its greenlets:
//!
//! * `context.rs`: [`Context`], the socket factory, home of inproc names,
//!   and `term`, which waits for every socket's close.
//! * `socket/`: the [`Socket`] handle (an `Arc`, cloned cheaply), with
//!   readiness and [`Socket::poll`] in `mod.rs`: `endpoints.rs` (bind,
//!   connect, unbind, disconnect), `send_recv.rs`, `string.rs` and
//!   `json.rs` (text and, feature `json`, JSON messages), `options.rs` (the
//!   typed option setters), `close.rs` (close, the last handle's drop,
//!   linger).
//! * `options.rs`: the option values as plain data, with their defaults.
//! * `core.rs`: what a socket shares with its connections and peers: the
//!   peer list, the pattern state, the options, the endpoint greenlets.
//! * `pattern/`: each socket type's send and recv over the core, one file
//!   per family; `spread.rs` holds load balance, fair queue, distribute.
//! * `pipe.rs`, `inbox.rs`, `msg.rs`, `signal.rs`: the bounded queue of
//!   whole messages between a socket and one peer, its reading end, the
//!   message, and the wake-up a socket's callers wait on.
//! * `transport/`: tcp:// and ipc://: the byte stream, the listener
//!   greenlet (with StreamServer's accept-error back-off) and the
//!   connecter greenlet.
//! * `engine.rs`: one tcp/ipc connection: handshake, reader, writer.
//! * `inproc.rs`: inproc:// names, wiring two sockets' pipes together.
//! * `endpoint.rs`, `error.rs`, `poller.rs`, `proxy.rs`: endpoint strings,
//!   [`ZmqError`], [`Poller`] and its [`Events`], [`proxy`](fn@proxy) and
//!   the devices.
//! * [`codec`]: ZMTP without I/O.
//!
//! Imports run one way, from the handle down: the socket imports the
//! patterns and the transport, the transport the engine, and all of them
//! the core, which imports the options and the pipes and nothing above
//! them. The one cycle is the context and the socket, which make and keep
//! each other (`tests/architecture.rs` checks this).

pub mod codec;
mod context;
mod core;
mod endpoint;
mod engine;
mod error;
mod inbox;
mod inproc;
mod msg;
mod options;
mod pattern;
mod pipe;
mod poller;
mod proxy;
mod signal;
mod socket;
mod transport;

/// The message frame type: [`bytes::Bytes`], re-exported so a program
/// can name what [`Socket::recv`] returns (and build frames without a
/// copy) without a `bytes` dependency of its own.
///
/// # Examples
///
/// ```
/// use greenline::zmq::{self, Bytes};
/// let ctx = zmq::Context::new();
/// let pull = ctx.socket(zmq::PULL)?;
/// pull.bind("inproc://bytes-doc")?;
/// let push = ctx.socket(zmq::PUSH)?;
/// push.connect("inproc://bytes-doc")?;
/// push.send(Bytes::from_static(b"frame"), 0)?;
/// let frame: Bytes = pull.recv(0)?;
/// assert_eq!(frame, "frame");
/// # Ok::<(), std::io::Error>(())
/// ```
pub use bytes::Bytes;

pub use self::codec::SocketType;
pub use self::context::Context;
pub use self::error::ZmqError;
pub use self::options::{DEFAULT_MAXMSGSIZE, DEFAULT_MAX_PENDING_HANDSHAKES};
pub use self::poller::{Events, Poller};
pub use self::proxy::{forwarder, proxy, queue, streamer};
#[cfg(feature = "json")]
pub use self::socket::RecvJsonError;
pub use self::socket::{Socket, DONTWAIT, POLLIN, POLLOUT, SNDMORE};

/// pyzmq's `zmq.NOBLOCK`: the same as [`DONTWAIT`].
pub const NOBLOCK: i32 = DONTWAIT;

/// [`SocketType::Pair`].
pub const PAIR: SocketType = SocketType::Pair;
/// [`SocketType::Pub`].
pub const PUB: SocketType = SocketType::Pub;
/// [`SocketType::Sub`].
pub const SUB: SocketType = SocketType::Sub;
/// [`SocketType::Req`].
pub const REQ: SocketType = SocketType::Req;
/// [`SocketType::Rep`].
pub const REP: SocketType = SocketType::Rep;
/// [`SocketType::Dealer`].
pub const DEALER: SocketType = SocketType::Dealer;
/// [`SocketType::Router`].
pub const ROUTER: SocketType = SocketType::Router;
/// [`SocketType::Pull`].
pub const PULL: SocketType = SocketType::Pull;
/// [`SocketType::Push`].
pub const PUSH: SocketType = SocketType::Push;
/// [`SocketType::XPub`].
pub const XPUB: SocketType = SocketType::XPub;
/// [`SocketType::XSub`].
pub const XSUB: SocketType = SocketType::XSub;
