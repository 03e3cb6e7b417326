//! Socket options: pyzmq's `setsockopt` as typed setters and getters.
//!
//! Options apply to connections made after they are set (as in libzmq,
//! except `subscribe`/`unsubscribe`, which reach existing peers at once, and
//! the timeouts, which apply to the next call).

use std::time::Duration;

use bytes::Bytes;

use super::socket::Socket;
use crate::sync::waiter::lock;

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
    pub handshake_ivl: Duration,
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
            handshake_ivl: Duration::from_secs(30),
            maxmsgsize: None,
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

macro_rules! option {
    ($(#[$doc:meta])* $field:ident, $set:ident, $ty:ty) => {
        $(#[$doc])*
        pub fn $set(&self, value: $ty) {
            lock(&self.core().inner).options.$field = value;
        }

        #[doc = concat!("The current `", stringify!($field), "` (see [`Socket::", stringify!($set), "`]).")]
        pub fn $field(&self) -> $ty {
            lock(&self.core().inner).options.$field.clone()
        }
    };
}

impl Socket {
    option!(
        /// Send high-water mark: most messages queued per peer before a
        /// send blocks (PUSH, DEALER, REQ, PAIR) or drops (PUB, ROUTER).
        /// Default 1000; 0 for no limit. Applies to peers attached later.
        sndhwm, set_sndhwm, usize
    );
    option!(
        /// Receive high-water mark: most messages queued per peer before its
        /// connection stops reading (TCP back-pressure). Default 1000; 0 for
        /// no limit. On inproc one queue holds sender's SNDHWM + our RCVHWM.
        rcvhwm, set_rcvhwm, usize
    );
    option!(
        /// How long [`Socket::close`] (and a dropped socket, in the
        /// background) keeps trying to send queued messages to tcp/ipc peers.
        /// Default 1 s (libzmq: infinite); `None` waits forever; zero
        /// discards at once.
        linger, set_linger, Option<Duration>
    );
    option!(
        /// Our identity (`ZMQ_ROUTING_ID`), announced to peers by REQ,
        /// DEALER and ROUTER; a ROUTER peer routes to us by it. 1 to 255
        /// octets, not starting with a zero octet.
        routing_id, set_routing_id, Option<Bytes>
    );
    option!(
        /// Wait before reconnecting a lost or refused connection. Default
        /// 100 ms; `None` never reconnects.
        reconnect_ivl, set_reconnect_ivl, Option<Duration>
    );
    option!(
        /// Upper bound of the exponential reconnect back-off (the interval
        /// doubles per failed attempt up to this). Default zero: no
        /// back-off, always `reconnect_ivl`.
        reconnect_ivl_max, set_reconnect_ivl_max, Duration
    );
    option!(
        /// Send a PING this often on every connection. Default `None`.
        heartbeat_ivl, set_heartbeat_ivl, Option<Duration>
    );
    option!(
        /// Close a connection that sends nothing (not even PONG) for this
        /// long. Default: `heartbeat_ivl` if set, else never. A peer's PING
        /// with a TTL (libzmq `ZMQ_HEARTBEAT_TTL`) also closes the
        /// connection when nothing follows it within that TTL.
        heartbeat_timeout, set_heartbeat_timeout, Option<Duration>
    );
    option!(
        /// Largest frame accepted from a peer; a larger frame closes the
        /// connection before it is buffered. Default `None` (no limit).
        maxmsgsize, set_maxmsgsize, Option<u64>
    );
    option!(
        /// Receive timeout: a blocking recv gives up with `TimedOut` after
        /// this. Default `None` (wait forever).
        rcvtimeo, set_rcvtimeo, Option<Duration>
    );
    option!(
        /// Send timeout: a blocking send gives up with `TimedOut` after
        /// this. Default `None` (wait forever).
        sndtimeo, set_sndtimeo, Option<Duration>
    );
    option!(
        /// ROUTER: a message to an unknown routing id fails with
        /// `HostUnreachable` instead of being dropped, and a full peer
        /// blocks instead of dropping.
        router_mandatory, set_router_mandatory, bool
    );
}
