//! Cooperative sockets: gevent's `socket` module, without patching.
//!
//! Each type mirrors its std namesake; a blocking call (accept, connect,
//! read, write, recv) parks only the calling greenlet while the worker's
//! event loop waits for the socket. On a plain thread the same calls block
//! the thread.
//!
//! # Timeouts, deadlines, close
//!
//! * A socket's own timeouts (`set_read_timeout`, `set_write_timeout`) make a
//!   blocked call return `ErrorKind::TimedOut` (std reports `WouldBlock`).
//! * A [`crate::Timeout`] in force bounds every call the same way.
//! * Killing a greenlet blocked in a socket call unwinds it out of the call;
//!   its sockets are dropped and so closed. Dropping a socket closes it; a
//!   clone made with `try_clone` is a separate descriptor, so to wake a
//!   greenlet blocked on a clone call `shutdown` (its reads then see EOF).
//!
//! Differences from may's sockets that greenline fixes:
//! [`TcpListener::bind`] fails with `AddrInUse` on a busy port (may sets
//! `SO_REUSEPORT`, so two servers silently share it), takes a backlog, and
//! [`create_connection`] resolves names off the worker threads and tries
//! every address.

mod address;
mod connect;
mod fd;
mod file;
mod pipe;
mod socket;
mod stream;
mod tcp;
#[cfg(test)]
mod timeout_tests;
mod udp;
mod unix;
mod wait;

pub use address::{Address, ToAddress};
pub use connect::{create_connection, resolve, ConnectOptions};
pub use fd::{wait_read, wait_write};
pub use file::SocketFile;
pub(crate) use pipe::Pipe;
pub(crate) use socket::Socket;
pub use tcp::{ListenOptions, TcpListener, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixListener, UnixStream};
pub(crate) use wait::Dir;
