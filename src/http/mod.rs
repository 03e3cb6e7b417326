//! HTTP/1.1: a server (gevent's `pywsgi.WSGIServer`) on a sans-I/O
//! framing layer.
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
//! # The framing layer
//!
//! Nothing below the server reads or writes a socket. Parsers take `&[u8]` and answer
//! "need more" or "complete, with the bytes used"; encoders append to a
//! caller's [`bytes::BytesMut`]. The HTTP server drives them:
//!
//! ```text
//!  read into buf ─▶ RequestHead::parse_split(buf) ──None──▶ read more
//!                        │ Err(e): write e.status(), close
//!                        ▼ Some(head)
//!                   BodyDecoder::new(head.body_kind())
//!                        │ handler reads body ◀── decode(buf) / read more
//!                        ▼ handler returns
//!                   drain decoder to done (or close) ─▶ ResponseHead::encode
//!                        ▼
//!                   more bytes in buf? parse the next (pipelined) request
//! ```
//!
//! # Framing rules
//!
//! The decisions that keep one request's bytes from being read as another's
//! (RFC 9112 §6.3), each implemented in the file named:
//!
//! * `Transfer-Encoding` and `Content-Length` together: 400, close
//!   (`framing.rs`). "Such a message might indicate an attempt to perform
//!   request smuggling".
//! * `Transfer-Encoding` whose final coding is not `chunked`: 400;
//!   `chunked` after another coding (`gzip, chunked`): 501, since only
//!   chunked is decoded; any `Transfer-Encoding` in HTTP/1.0: 400.
//! * `Content-Length` not `1*DIGIT`, overflowing, or with differing
//!   repeats: 400. Identical repeats (`5, 5`) are one length. Over
//!   [`Limits::max_body_len`]: 413 before any body is read.
//! * No `Content-Length` nor `Transfer-Encoding`: the body is empty.
//! * A body a handler did not read is drained by the server through the
//!   same [`BodyDecoder`] (or the connection closed), never parsed as a
//!   request.
//! * HTTP/1.1 persists unless `Connection: close`; HTTP/1.0 closes unless
//!   `Connection: keep-alive` (§9.3).
//! * Responses to HEAD and 1xx/204/304 carry no body ([`body_allowed`]).
//! * A malformed head gets its status from [`ParseError::status`]; head,
//!   request line and header count are bounded on partial input
//!   ([`Limits`]), so the read buffer never grows without limit.
//!
//! HTTP/1.1 requests must carry exactly one `Host` (RFC 9112 §3.2), else
//! 400. Versions other than 1.0 and 1.1 that are well formed
//! (`HTTP/2.0`) get 505; malformed ones 400.

mod body;
mod chunked;
mod config;
mod conn;
mod date;
mod error;
mod framing;
mod handler;
mod headers;
mod limits;
mod log;
mod log_writer;
#[cfg(feature = "minihttp")]
mod minihttp;
mod pace;
mod request;
mod request_head;
mod response;
mod response_head;
mod server;
mod source;
mod status;
mod version;
mod wire;

pub use body::{BodyDecoder, Decoded};
pub use chunked::{write_chunk, write_last_chunk, ChunkedDecoder};
pub use config::{BodyRate, ServerConfig};
pub use conn::serve_connection;
pub use date::{format_http_date, write_date, HTTP_DATE_LEN};
pub use error::{EncodeError, ParseError};
pub use framing::BodyKind;
pub use handler::{Handler, IntoResponse};
pub use headers::Headers;
pub use limits::Limits;
pub use log::{AccessEntry, AccessLog};
pub use log_writer::{AccessWriter, ACCESS_TARGET};
#[cfg(feature = "minihttp")]
pub use minihttp::MiniHttpServer;
pub use request::Request;
pub use request_head::RequestHead;
pub use response::{Body, Response};
pub use response_head::{body_allowed, Framing, ResponseHead, CONTINUE};
pub use server::HttpServer;
pub use status::reason_phrase;
pub use version::Version;

#[cfg(test)]
mod body_tests;
#[cfg(test)]
mod request_tests;
