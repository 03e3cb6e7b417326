//! systemd's side of a service: readiness and status notifications
//! (sd_notify(3)), the watchdog, and socket activation (sd_listen_fds(3)).
//!
//! All three are read from the environment the service manager sets, and
//! do nothing when it is not set, so the same program runs under systemd,
//! under another supervisor, or from a shell.
//!
//! - [`Notifier`]: datagrams to `NOTIFY_SOCKET` (a path, or an abstract
//!   name written `@name`): `READY=1`, `STATUS=…`, `STOPPING=1`,
//!   `RELOADING=1` with `MONOTONIC_USEC=…`, `WATCHDOG=1`.
//! - [`watchdog_interval`] and [`spawn_watchdog`]: `WATCHDOG_USEC`, pinged
//!   at half the interval from a greenlet, and not while
//!   [`crate::monitor::stuck`] reports a worker held by a greenlet that
//!   does not yield: a stuck worker is what the watchdog is there to catch.
//! - [`take_listener`] and [`Activated`]: the listening sockets passed as
//!   descriptors 3, 4, … (`LISTEN_FDS`, `LISTEN_PID`), by the names of
//!   `LISTEN_FDNAMES` (`FileDescriptorName=` in the socket unit).

pub(crate) mod listen;
mod notify;
mod watchdog;

pub use listen::{listener_or_bind, take_listener, Activated};
pub use notify::Notifier;
pub use watchdog::{spawn_watchdog, watchdog_interval};
