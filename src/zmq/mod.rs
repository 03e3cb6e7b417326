//! ZeroMQ-compatible messaging.
//!
//! [`codec`] is the ZMTP 3.0/3.1 wire protocol without I/O: greeting, frames,
//! commands, the NULL handshake and socket-type rules. The sockets built on it
//! speak to libzmq peers (pyzmq, czmq, ...) over TCP.

pub mod codec;
