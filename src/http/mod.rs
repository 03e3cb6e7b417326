//! HTTP/1.1: a server (gevent's `pywsgi.WSGIServer`) on a sans-I/O codec
//! ([`proto`]), and a client whose calls yield (`client`, feature
//! `client`, on by default: what gevent programs get from `requests`).
//!
//! # The server
//!
//! [`HttpServer`] accepts connections and serves each in a greenlet with
//! [`serve_connection`], calling a [`Handler`] (any
//! `Fn(&mut Request) -> Response`) once per request. A [`Request`] carries
//! the parsed head and reads its body from the connection on demand; a
//! [`Response`] is a status, header fields and a [`Body`] (bytes, or a
//! stream sent chunked). [`ServerConfig`] holds the limits, timeouts and
//! the [`AccessLog`].
//!
//! ```
//! use greenline::http::{HttpServer, Request, Response};
//! let server = HttpServer::bind("127.0.0.1:0", |req: &mut Request| {
//!     Response::text(200, format!("you asked for {}\n", req.path()))
//! }).unwrap();
//! server.start().unwrap();
//! // ... server.serve_forever() to block, server.stop(timeout) to end.
//! server.stop(std::time::Duration::from_secs(1));
//! ```
//!
//! Per connection, the loop reads into one buffer, parses **every**
//! complete request in it (pipelining), calls the handler for each in
//! order, appends each encoded response to one output buffer, and writes
//! that batch with one write when no complete request is left (or it grew
//! past 64 KiB). Queued output is always written before the connection
//! waits to read, so neither a pipelining client nor one waiting for
//! `100 Continue` can deadlock with the server. See `conn.rs` for the
//! state diagram, and [`serve_connection`] for when a connection ends.
//!
//! The types of the protocol itself (the parsed [`RequestHead`] a request
//! exposes, its [`Headers`] and [`Version`], the [`Limits`] a
//! configuration sets, the [`EncodeError`] of a bad response) are the
//! codec's, in [`proto`], with the framing rules they keep.
//!
//! [`RequestHead`]: proto::RequestHead
//! [`Headers`]: proto::Headers
//! [`Version`]: proto::Version
//! [`Limits`]: proto::Limits
//! [`EncodeError`]: proto::EncodeError
//!
//! # Inside
//!
//! ```text
//!  server.rs   HttpServer: a StreamServer whose handler is conn.rs's loop
//!  conn.rs     one connection's request loop; hands an idle one back
//!  wire.rs     the socket and both buffers: the only reads and writes
//!  request.rs  Request, reading its body from a BodySource (source.rs),
//!  pace.rs       held to the minimum body rate
//!  response.rs Response and Body;  handler.rs: Handler, IntoResponse
//!  config.rs   ServerConfig, BodyRate
//!  log.rs      AccessLog, AccessEntry; log_writer.rs: its writer thread
//!  clock.rs    the coarse second the Date header shows (a ticking thread)
//!  minihttp.rs MiniHttpServer (feature `minihttp`): may_minihttp's engine
//!                behind an adapter, the only file that knows it
//!  proto/      the codec: no I/O, no clock, no threads, no unsafe code
//!  client/     the client (feature `client`): ureq on greenline's sockets;
//!                it uses neither the server nor proto
//! ```

#[cfg(feature = "client")]
pub mod client;
mod clock;
mod config;
mod conn;
mod handler;
mod log;
mod log_writer;
#[cfg(feature = "minihttp")]
mod minihttp;
mod pace;
pub mod proto;
mod request;
mod response;
mod server;
mod source;
mod wire;

pub use config::{BodyRate, ServerConfig};
pub use conn::serve_connection;
pub use handler::{Handler, IntoResponse};
pub use log::{AccessEntry, AccessLog};
pub use log_writer::{AccessWriter, ACCESS_TARGET};
#[cfg(feature = "minihttp")]
pub use minihttp::MiniHttpServer;
pub use request::Request;
pub use response::{Body, Response};
pub use server::HttpServer;
