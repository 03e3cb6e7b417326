//! The operating system and may's `unsafe` API: the only place in the
//! crate with `unsafe` code, and a floor that imports nothing of the crate.
//!
//! - [`coroutine`]: spawning and cancelling may coroutines, and starting
//!   may's scheduler.
//! - [`socket`]: the raw socket system calls of greenline's readiness path
//!   (`recv`, `send`, `sendmsg`, `accept4`, a read into a buffer's spare
//!   capacity).
//! - [`epoll`]: an epoll set of greenline's own, and `poll(2)` for plain
//!   threads.
//! - [`clock`]: the monotonic clock.
//! - [`pipe`]: write(2) to a pipe without `SIGPIPE`.
//! - [`process`]: pidfd_open(2), waiting for a child's exit without
//!   reaping it, kill(2).
//! - [`signal`]: a signal's disposition before greenline handles it.
//! - [`daemon`]: what a daemon does to itself (fork while one thread,
//!   setsid, stdio onto a log file, flock, dropping privileges, kill(2)
//!   of any pid, adopting a service manager's inherited descriptors).
//!
//! Everything above this folder is `#![forbid(unsafe_code)]` in spirit:
//! `lib.rs` denies `unsafe_code`, and only this module allows it.
//!
//! # The contract greenline keeps, and asks its users to keep
//!
//! may marks coroutine spawning and cancellation as `unsafe fn`s because a
//! coroutine's stack moves between OS threads. Spawning is sound when:
//!
//! 1. **No thread-local state across a yield.** A greenlet's stack moves
//!    between OS threads at every yield point (any greenline or may blocking
//!    call). A `thread_local!` read before a yield and used after it may belong
//!    to another thread. greenline itself touches thread locals only between
//!    yields (the blocking monitor's per-thread slot, the fair-yield clock);
//!    per-greenlet state lives in greenline's `local::Local`.
//! 2. **No `!Send` values held across a yield** (`Rc`, `RefCell` borrows of
//!    thread locals, a std `MutexGuard`). The closure passed to `spawn` is
//!    `Send + 'static`, which covers what it captures but not what it creates.
//! 3. **Stacks are finite and are not grown.** Overflowing one ends the greenlet
//!    without unwinding (may's guard page and signal handler catch it). The
//!    default is chosen in greenline's `config` to fit std I/O, panics and
//!    backtraces with room to spare; deep recursion needs a bigger stack.
#![allow(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]

pub(crate) mod clock;
pub(crate) mod coroutine;
#[cfg(feature = "service")]
pub(crate) mod daemon;
pub(crate) mod epoll;
pub(crate) mod fd;
pub(crate) mod mem;
pub(crate) mod pipe;
pub(crate) mod process;
pub(crate) mod registered;
pub(crate) mod signal;
pub(crate) mod socket;
