//! The option values of one socket, as plain data: what each option is
//! and its default. The socket's typed setters and getters
//! (`Socket::set_sndhwm`, ...) write and read these fields; the
//! connections, the listener and the inproc registry read a copy.

use std::time::Duration;

use bytes::Bytes;

/// The default [`Socket::maxmsgsize`](super::Socket::maxmsgsize): 64 MiB.
///
/// libzmq's default is no limit (`-1`). That lets any peer which completes
/// the NULL handshake, which asks for no credentials, make a socket buffer
/// whatever it announces: a frame header declaring 2^62 octets followed by
/// a stream of body grows the process until memory runs out (libzmq
/// allocates the declared size when the header arrives, which fails for
/// 2^62 but not for a few GiB; greenline grows its buffer as the body
/// arrives). A connection buffers a message
/// whole before delivering it, so this limit is what one peer can make a
/// socket hold per connection at a time (besides the up to `rcvhwm`
/// messages already queued for the application).
///
/// 64 MiB sits far above the messages ZeroMQ is used for (the zguide
/// sends anything bigger as a stream of chunks), so no ordinary program
/// meets it, while a limit of a few hundred MiB would let a handful of
/// connections exhaust a small server, which is what a default is there to
/// prevent. A program that does exchange bigger messages says so with
/// [`Socket::set_maxmsgsize`](super::Socket::set_maxmsgsize) (`None` for
/// libzmq's unlimited).
pub const DEFAULT_MAXMSGSIZE: u64 = 64 * 1024 * 1024;

/// The default
/// [`Socket::max_pending_handshakes`](super::Socket::max_pending_handshakes):
/// 1024 per listener.
///
/// A connection is pending from its accept until its ZMTP handshake ends,
/// normally one round trip: a busy server has its connection rate times
/// that round trip pending, a few at a time, while a peer that opens
/// connections and never sends a greeting keeps each one for
/// [`Socket::handshake_ivl`](super::Socket::handshake_ivl) (30 s). 1024
/// matches greenline's listen backlog
/// ([`ListenOptions`](crate::net::ListenOptions)), so the bound is never
/// what a real burst of peers meets first, and it caps what such a flood
/// costs a listener at 1024 connection greenlets with their small
/// pre-handshake buffers.
pub const DEFAULT_MAX_PENDING_HANDSHAKES: usize = 1024;

/// The option values of one socket.
#[derive(Clone, Debug)]
pub(crate) struct Options {
    pub sndhwm: usize,
    pub rcvhwm: usize,
    pub linger: Option<Duration>,
    pub routing_id: Option<Bytes>,
    pub reconnect_ivl: Option<Duration>,
    pub reconnect_ivl_max: Duration,
    pub heartbeat_ivl: Option<Duration>,
    pub heartbeat_timeout: Option<Duration>,
    pub handshake_ivl: Option<Duration>,
    pub max_pending_handshakes: Option<usize>,
    pub maxmsgsize: Option<u64>,
    pub rcvtimeo: Option<Duration>,
    pub sndtimeo: Option<Duration>,
    pub router_mandatory: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            sndhwm: 1000,
            rcvhwm: 1000,
            linger: Some(Duration::from_secs(1)),
            routing_id: None,
            reconnect_ivl: Some(Duration::from_millis(100)),
            reconnect_ivl_max: Duration::ZERO,
            heartbeat_ivl: None,
            heartbeat_timeout: None,
            handshake_ivl: Some(Duration::from_secs(30)),
            max_pending_handshakes: Some(DEFAULT_MAX_PENDING_HANDSHAKES),
            maxmsgsize: Some(DEFAULT_MAXMSGSIZE),
            rcvtimeo: None,
            sndtimeo: None,
            router_mandatory: false,
        }
    }
}

impl Options {
    /// How long the reader waits for any traffic before giving up on the
    /// peer: `heartbeat_timeout`, or `heartbeat_ivl` when only that is set.
    pub(crate) fn silence_limit(&self) -> Option<Duration> {
        self.heartbeat_timeout.or(self.heartbeat_ivl)
    }
}
