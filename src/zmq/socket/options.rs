//! Socket options: pyzmq's `setsockopt` as typed setters and getters.
//!
//! Each pair reads or writes one field of the socket's
//! [`Options`](crate::zmq::options::Options), under the socket's lock.
//! Options apply to connections made after they are set (as in libzmq,
//! except `subscribe`/`unsubscribe`, which reach existing peers at once, and
//! the timeouts, which apply to the next call).

use std::time::Duration;

use bytes::Bytes;

use super::Socket;
use crate::sync::waiter::lock;

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
    /// Sets our identity (libzmq `ZMQ_ROUTING_ID`), announced to peers by
    /// REQ, DEALER and ROUTER; a ROUTER peer routes to us by it. 1 to 255
    /// octets, not starting with a zero octet. Takes what pyzmq's
    /// `setsockopt(zmq.ROUTING_ID, b"A")` does: `b"A"`, `"A"`, a `Vec<u8>`,
    /// a [`Bytes`]. Applies to connections made after it is set.
    ///
    /// An empty `id` clears it, back to the default: no identity, so a
    /// ROUTER peer makes one up (an empty identity means that on the wire
    /// too; libzmq refuses to set one).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenline::zmq;
    /// let ctx = zmq::Context::new();
    /// let router = ctx.socket(zmq::ROUTER)?;
    /// router.bind("tcp://127.0.0.1:*")?;
    /// let dealer = ctx.socket(zmq::DEALER)?;
    /// dealer.set_routing_id(b"A");
    /// assert_eq!(dealer.routing_id().unwrap(), "A");
    /// dealer.connect(&router.last_endpoint().unwrap())?;
    /// dealer.send("hi", 0)?;
    /// assert_eq!(router.recv_multipart(0)?, ["A", "hi"]);
    /// router.send_multipart(["A", "hello A"], 0)?;
    /// assert_eq!(dealer.recv(0)?, "hello A");
    /// dealer.set_routing_id(""); // cleared, for later connections
    /// assert_eq!(dealer.routing_id(), None);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_routing_id(&self, id: impl AsRef<[u8]>) {
        let id = id.as_ref();
        lock(&self.core().inner).options.routing_id =
            (!id.is_empty()).then(|| Bytes::copy_from_slice(id));
    }

    /// Our identity (see [`Socket::set_routing_id`]); `None` when there is
    /// none.
    pub fn routing_id(&self) -> Option<Bytes> {
        lock(&self.core().inner).options.routing_id.clone()
    }

    /// [`set_routing_id`](Socket::set_routing_id) under its older name,
    /// libzmq's `ZMQ_IDENTITY`, which pyzmq keeps (`socket.identity =
    /// b"A"`) and the zguide's examples use.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenline::zmq;
    /// let ctx = zmq::Context::new();
    /// let worker = ctx.socket(zmq::REQ)?;
    /// worker.set_identity(b"Worker-1");
    /// assert_eq!(worker.identity().unwrap(), "Worker-1");
    /// assert_eq!(worker.routing_id(), worker.identity());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_identity(&self, id: impl AsRef<[u8]>) {
        self.set_routing_id(id);
    }

    /// [`routing_id`](Socket::routing_id) under its older name, libzmq's
    /// `ZMQ_IDENTITY`.
    pub fn identity(&self) -> Option<Bytes> {
        self.routing_id()
    }

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
        /// How long a new tcp/ipc connection may take to finish its ZMTP
        /// handshake (greetings and READY both ways) before it is closed
        /// (libzmq `ZMQ_HANDSHAKE_IVL`). Default 30 s, as libzmq; `None`
        /// waits forever (libzmq's 0). Read when a connection starts.
        handshake_ivl, set_handshake_ivl, Option<Duration>
    );
    option!(
        /// Most connections a bound tcp/ipc endpoint holds before their
        /// handshake has finished (not in libzmq, which holds any number).
        /// At the bound a new connection is accepted and closed at once,
        /// before our greeting, with a log line (`warn` when the bound is
        /// reached, `info` with the count closed when it accepts again); a
        /// libzmq or greenline peer sees the disconnect and reconnects after
        /// its `reconnect_ivl`, so it gets in once a pending handshake
        /// finishes, fails or times out (see
        /// [`handshake_ivl`](Socket::handshake_ivl)). Leaving connections
        /// unaccepted in the kernel's backlog instead would hold a peer
        /// silently for up to its own handshake timeout. Default
        /// [`DEFAULT_MAX_PENDING_HANDSHAKES`](crate::zmq::DEFAULT_MAX_PENDING_HANDSHAKES)
        /// (1024; see there why); `None` for no bound. Read at each accept.
        max_pending_handshakes, set_max_pending_handshakes, Option<usize>
    );
    option!(
        /// Largest message accepted from a peer, its frames' bodies
        /// together (libzmq `ZMQ_MAXMSGSIZE`, pyzmq
        /// `setsockopt(zmq.MAXMSGSIZE, n)`). A frame whose header takes the
        /// message past it closes that connection before its body is
        /// buffered, with a log line (`warn`) giving the sizes; nothing of
        /// the message is delivered, and the socket keeps serving its other
        /// peers (a connect side reconnects). Default
        /// [`DEFAULT_MAXMSGSIZE`](crate::zmq::DEFAULT_MAXMSGSIZE) (64 MiB;
        /// see there why); `None` for no limit, libzmq's `-1`. libzmq
        /// checks each frame alone, so the same value there lets a message
        /// of many frames through that greenline refuses.
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
