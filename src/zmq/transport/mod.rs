//! The tcp:// and ipc:// transports: the byte stream of a connection, and
//! the greenlets that make connections for a socket.
//!
//! ```text
//!   Socket::bind ───▶ listen ──▶ listener greenlet: accept ─┐
//!                                                           ├─▶ connection greenlet
//!   Socket::connect ─▶ connect ─▶ connecter greenlet: ──────┘   (engine::run:
//!                                 connect, reconnect            handshake, read,
//!                                                               and its writer)
//! ```
//!
//! A socket keeps each greenlet with its endpoint and kills it on
//! `unbind`/`disconnect` or close. A listener runs every connection it
//! accepted in a greenlet of its own, and ends them when it is killed; a
//! connecter runs its one connection itself. inproc:// has neither: the
//! context wires the two sockets' pipes (`inproc.rs`).

mod connecter;
mod listener;
mod stream;

pub(crate) use connecter::connect;
pub(crate) use listener::listen;
pub(crate) use stream::Stream;
