//! Servers: gevent's `gevent.server`.
//!
//! [`StreamServer`] accepts TCP connections and runs a handler for each in a
//! greenlet of its own, so the handler is straight-line blocking code:
//! read a request, write a reply, sleep, repeat. It owns the accept loop,
//! the connection limit, the back-off when the process runs out of file
//! descriptors, and a graceful stop. [`DatagramServer`] does the same for
//! UDP: a handler greenlet per datagram, which replies with
//! [`DatagramServer::send_to`].
//!
//! # Lifecycle
//!
//! ```text
//!  bind / new ──► ready ──start / serve_forever──► started ──close──► closed ──stop(t)──► stopped
//!                   │     (accept loop greenlet)      │   listener closed:        handlers done
//!                   │                                 │   connects refused;       or killed after t;
//!                   └──────── close / stop(t) ────────┤   handlers run on         serve_forever
//!                                                     │                           returns
//!                          listener broken (EBADF) ───┘
//! ```
//!
//! * **ready**: the socket listens; connections queue in the kernel's
//!   backlog, nobody accepts them.
//! * **started**: a greenlet named `accept-<addr>` loops on `accept` and
//!   spawns `conn-<peer>` greenlets running the handler. With
//!   [`ServerOptions::max_connections`] it takes a free slot before each
//!   `accept`, so a full server leaves new connections in the backlog.
//! * **closed**: [`StreamServer::close`] (or the first step of
//!   [`StreamServer::stop`]) has killed the accept greenlet, which drops the
//!   listener: new connections are refused. Running handlers carry on:
//!   `close` returns at once, as gevent's does.
//! * **stopped**: `stop(t)` closes connections waiting in the idle lot (the
//!   HTTP server's) at once, gives handlers still running `t` to finish,
//!   then kills them (each unwinds at its next blocking call and its socket
//!   closes). [`StreamServer::serve_forever`] returns; woken by a `close`,
//!   it runs that stop itself with one second, gevent's `stop_timeout`.
//!
//! A handler reaches its server, to close or stop it, by taking it as a
//! third argument: [`StreamServer::bind_with_server`]. A closure cannot
//! capture a server that does not exist yet; gevent's handlers reach it
//! through `self` (a subclass's `handle`) or a global.
//!
//! [`DatagramServer`] has the same lifecycle for UDP: a receive loop
//! instead of the accept loop, a handler greenlet per datagram.
//!
//! # Errors while accepting
//!
//! * Out of descriptors or memory (`EMFILE`, `ENFILE`, `ENOBUFS`,
//!   `ENOMEM`): the loop sleeps 10 ms, doubling up to 1 s while the error
//!   lasts, and logs one `warn` per episode; it never spins.
//! * A connection reset before it was accepted (`ECONNABORTED`, `EPROTO`,
//!   and the network errors Linux reports through accept): skipped.
//! * A broken listener (`EBADF`, `EINVAL`, `ENOTSOCK`): the loop ends and
//!   [`StreamServer::serve_forever`] stops the server and returns the error.
//!
//! A handler that panics is logged with `log::error!` (the peer and the
//! message) and costs only its own connection (or datagram).
//!
//! # Inside
//!
//! * `lifecycle.rs`: what both servers share: ready, started, closed,
//!   stopped; the loop greenlet that owns the socket; the running handlers
//!   `stop` waits for and kills; `serve_forever`'s wait.
//! * `stream.rs`: [`StreamServer`], the accept loop and the handler
//!   greenlets.
//! * `datagram.rs`: [`DatagramServer`], the receive loop, a handler
//!   greenlet per datagram, and replies through a send socket of its own.
//! * `accept.rs`: what the accept loop does with an error, and the
//!   back-off.
//! * `handoff.rs`: what a connection's greenlet starts with (the stream,
//!   the peer and the connection's slot) and what it hands back (done, or
//!   idle): the contract between the other files.
//! * `idle.rs`: the idle lot, where a connection the HTTP server hands back
//!   idle waits for input without a greenlet; it gives the connection back
//!   through a function the server made it with, so it imports nothing of
//!   `stream.rs`.
//! * `options.rs`: [`ServerOptions`].
//!
//! ```text
//!  stream.rs ──▶ idle.rs ──▶ handoff.rs ◀── http::conn (the HTTP handler)
//!      │  │                      ▲  ▲
//!      │  └──────────────────────┘  │
//!      ▼                            │
//!  lifecycle.rs ◀── datagram.rs ────┘
//! ```

pub(crate) mod accept;
mod datagram;
pub(crate) mod handoff;
mod idle;
mod lifecycle;
mod options;
mod stream;

pub use datagram::DatagramServer;
pub use options::ServerOptions;
pub use stream::StreamServer;
