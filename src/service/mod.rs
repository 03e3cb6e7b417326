//! Services: gservice's application framework. An application is a tree of
//! services started children first and stopped in reverse, each with its
//! own greenlets, its readiness, and a bounded stop.
//!
//! A [`Service`] implements hooks (all optional but its name); a
//! [`ServiceTree`] holds one and its children. The servers of
//! [`crate::server`] and [`crate::http`] are services as they are
//! ([`Serve`]), or bound when their service starts ([`Bound`]);
//! [`TcpClient`] runs a handler on a connection; [`ZmqDevice`] binds two
//! sockets and forwards between them; [`admin`] serves `/livez` and
//! `/readyz` from the tree's states.
//!
//! # Examples
//!
//! The talk's `Service()` with a TCP server, an HTTP server and a client:
//!
//! ```
//! use std::io::Write;
//! use greenline::http::{Request, Response};
//! use greenline::service::{Bound, ServiceTree, TcpClient};
//! use greenline::server::StreamServer;
//! use greenline::http::HttpServer;
//! use greenline::sync::Queue;
//!
//! let tcp_port = greenline::testing::free_port().unwrap();
//! let tcp = format!("127.0.0.1:{tcp_port}");
//! let lines = Queue::new();
//! let app = ServiceTree::new("app");
//! app.add_service(Bound::new("tcp", tcp.clone(), |addr| {
//!     StreamServer::bind(addr, |mut conn, _| { let _ = conn.write_all(b"hello\n"); })
//! })).unwrap();
//! app.add_service(Bound::new("http", "127.0.0.1:0", |addr| {
//!     HttpServer::bind(addr, |_: &mut Request| Response::text(200, "hello world"))
//! })).unwrap();
//! let got = lines.clone();
//! app.add_service(TcpClient::new("client", tcp, move |stream| {
//!     let line = stream.makefile()?.readline()?;
//!     got.put(line).unwrap();
//!     Ok(())
//! })).unwrap();
//! app.start().unwrap();
//! assert_eq!(lines.get().unwrap().as_deref(), Some("hello\n"));
//! assert!(app.stop().is_clean());
//! ```
//!
//! # Lifecycle
//!
//! ```text
//!            start                       do_start → Now, or set_ready()
//!   init ──────────► starting ─────────────────────────────────► ready
//!    ▲   pre_start,     │ a hook fails or panics,                  │ stop
//!    │   children       │ not ready in ready_timeout,              ▼
//!    │   in order       │ or a stop: what started        stopping: pre_stop,
//!    │                  │ stops, in reverse              do_stop, greenlets
//!    │                  ▼                                joined for stop_timeout
//!    │          failed (this node) /                     then killed, children
//!    │          stopped (its parents)                    in reverse, post_stop
//!    │                  │                                          │
//!    └──── start ───────┴────────────── stopped ◄──────────────────┘
//! ```
//!
//! * `start` runs in its caller; it returns once every node is ready, or
//!   with the first failure ([`ServiceError`], naming the service's path
//!   and the hook) after stopping what had started.
//! * `stop` returns a [`StopReport`]: the services whose greenlets had to
//!   be killed (what held the stop up) and the stop hooks that failed. A
//!   stop called from a greenlet of the tree spares its caller.
//! * Readiness: a server is ready once it listens, which for [`Bound`]
//!   means once `do_start` bound it; a service that needs more time
//!   returns [`Ready::Later`] and calls [`ServiceContext::set_ready`].
//!
//! # Inside
//!
//! `state.rs` (states, hooks, readiness), `error.rs`, `hooks.rs` (the
//! trait), `context.rs` (what hooks are given), `greenlets.rs` (a service's
//! greenlets), `node.rs` (a node and the waits on it), `lifecycle.rs` (the
//! start, stop and reload algorithms), `tree.rs` (the public handle);
//! `servers.rs`, `client.rs`, `retry.rs`, `zmq.rs` and `admin.rs` are
//! services built on those.
//!
//! ```text
//!  tree ──▶ lifecycle ──▶ node ──▶ hooks ──▶ context ──▶ greenlets
//!                            ╰──────────────────▲╯  ╰──▶ error ──▶ state
//! ```

pub mod admin;
mod client;
pub mod command;
mod context;
mod error;
mod greenlets;
mod hooks;
mod lifecycle;
mod node;
pub mod pidfile;
mod retry;
mod servers;
pub mod settings;
mod state;
pub mod systemd;
mod tree;
mod zmq;

pub use admin::Admin;
pub use client::TcpClient;
pub use context::ServiceContext;
pub use error::{HeldUp, ServiceError, StopReport};
pub use hooks::{Service, READY_TIMEOUT, STOP_TIMEOUT};
pub use retry::{connect_and_retry, RetryPolicy};
pub use servers::{Bound, Serve};
pub use state::{Hook, Ready, State};
pub use tree::ServiceTree;
pub use zmq::{ZmqDevice, ZmqSocket};
