//! greenline: gevent's programming model for Rust, without monkey patching.
//!
//! Straight-line, blocking-style code runs concurrently: every blocking call
//! greenline provides (socket reads and writes, accept, connect, sleep,
//! queue get and put, joins, locks) parks only the calling *greenlet* and
//! lets the worker thread run others, the way gevent's patched calls do.
//!
//! It provides greenlets ([`spawn`], [`Greenlet`], [`joinall`], [`Group`],
//! [`Pool`]), time ([`sleep`], [`yield_now`], [`Timeout`]), coordination
//! ([`sync`]: `Event`, `AsyncResult`, `Queue`, `JoinableQueue`, `Channel`,
//! semaphores, `RLock`), cooperative sockets ([`net`]), TCP and UDP servers
//! running a greenlet per connection or datagram ([`server`]), trees of
//! services started and stopped in order, gservice's application framework
//! ([`service`]), an HTTP
//! server and client ([`http`]; the client is feature `client`, on by
//! default), thread pools for
//! what cannot yield ([`threadpool`]), signal handlers that run in
//! greenlets ([`signal`]), child processes with cooperative pipes
//! ([`subprocess`]), greenlet-local storage ([`local`]), a
//! blocking detector ([`monitor`]) and a harness for coroutine test suites
//! ([`testing`]).
//!
//! # Examples
//!
//! A TCP echo server and a client, each a straight-line greenlet:
//!
//! ```
//! use std::io::{BufRead, Write};
//! use greenline::net::{TcpListener, TcpStream};
//!
//! let listener = TcpListener::bind("127.0.0.1:0").unwrap();
//! let addr = listener.local_addr().unwrap();
//! greenline::spawn(move || {
//!     while let Ok((mut conn, _peer)) = listener.accept() {
//!         greenline::spawn(move || std::io::copy(&mut conn.try_clone()?, &mut conn));
//!     }
//! });
//! let client = greenline::spawn(move || -> std::io::Result<String> {
//!     let mut file = TcpStream::connect(addr)?.makefile()?;
//!     file.write_all(b"hello\n")?;
//!     file.flush()?;
//!     let mut line = String::new();
//!     file.read_line(&mut line)?;
//!     Ok(line)
//! });
//! assert_eq!(client.join().unwrap().unwrap(), "hello\n");
//! ```
//!
//! # How it works underneath
//!
//! greenline runs on [`may`]'s scheduler. A greenlet is a may coroutine
//! with its own stack; a blocking greenline call registers interest (a
//! socket's event, a deadline, a wait queue) and switches to the next ready
//! greenlet. Wake-ups from other threads go through the target worker's
//! inbox. On a plain OS thread the same calls block the thread, so `main`
//! can join greenlets, read a queue or use a socket directly.
//!
//! ## Threads
//!
//! Every thread greenline may start, and when:
//!
//! | thread | how many | started | does |
//! |---|---|---|---|
//! | may's workers | [`config`]'s `workers` (one per CPU) | first spawn or socket | run greenlets; each is an epoll loop with a run queue |
//! | may's timer thread | 1 | with the workers | may's own timers; greenline never uses them |
//! | `greenline-timer` | 1 | first deadline or fair `yield_now` | ends sleeps, timed waits, `Timeout`s and socket timeouts |
//! | `greenline-watchdog` | 1 | with the workers | once a second: reports a dead or late timer thread, returns memory after a flood |
//! | `greenline-blocking` | up to the pool's size, on demand | [`threadpool::spawn_blocking`], name resolution | runs what cannot yield |
//! | `greenline-pool` | up to each [`threadpool::ThreadPool`]'s size, on demand | its `spawn` | runs what cannot yield; exit once the pool is dropped and idle |
//! | `greenline-signal` | 1 | first [`signal::signal_handler`] | reads the signals signal-hook records, spawns a greenlet per handler |
//! | `greenline-monitor` | 1 | [`monitor::start`] or `GREENLINE_MAX_BLOCKING_MS` | finds greenlets that block their worker |
//! | `greenline-http-date` | 1 | first HTTP response | ticks the `Date` header's second |
//! | `greenline-access-log` | 1 per access log | first access log line | writes access log lines a batch at a time |
//!
//! No user code runs on any of them but the workers and the pools.
//!
//! # The rules a greenlet must keep
//!
//! * **Never block the worker.** A std call that blocks (`std::thread::sleep`,
//!   `std::net`, `std::sync::Mutex` under contention, file I/O, DNS, a
//!   blocking FFI call) stops every greenlet and every socket on that
//!   worker. Use greenline's twin, or run the call on
//!   [`threadpool::spawn_blocking`]. [`monitor`] reports offenders.
//! * **No `thread_local!` across a yield.** A greenlet moves between worker
//!   threads at yield points; use [`local::Local`] for per-greenlet state.
//!   Do not hold `!Send` values (`Rc`, std `MutexGuard`) across a yield.
//! * **Mind the stack.** Stacks are fixed-size (128 KiB by default, mapped
//!   lazily). An overflow is caught by a guard page and is fatal: may ends
//!   the greenlet without unwinding (its destructors do not run; `join`
//!   returns [`GreenletError::StackOverflow`]) or, when the overflow also
//!   overwrote may's marker at the bottom of the stack, ends the process
//!   with status 1. Give deep recursion a bigger stack with
//!   [`Builder::stack_size`].
//!
//! may's coroutine spawn is `unsafe` because of those rules; greenline calls
//! it in exactly one place (`src/sys/coroutine.rs`), and `src/sys/mod.rs`
//! writes down the contract that makes it sound.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod config;
mod greenlet;
mod group;
pub mod http;
pub mod local;
pub mod monitor;
pub mod net;
pub mod server;
#[cfg(feature = "service")]
pub mod service;
pub mod signal;
pub mod subprocess;
pub mod sync;
mod sys;
pub mod testing;
pub mod threadpool;
mod time;
pub mod zmq;

pub use greenlet::{
    current_id, current_name, joinall, killall, spawn, spawn_later, wait, Builder, Greenlet,
    GreenletError,
};
pub use group::{Group, Pool};
pub use time::{current_deadline, sleep, with_timeout, yield_now, Timeout};

/// The README's example is compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
