//! One tcp or ipc connection: handshake, then a reader and a writer.
//!
//! ```text
//!   connection greenlet                      writer greenlet
//!   ───────────────────                      ───────────────
//!   write our greeting, read theirs,         wait on the engine signal for
//!   READY both ways (codec::Handshake)       queued messages or commands
//!   attach the pipes to the socket           pop every queued message (≤256),
//!   spawn the writer ───────────────────▶    encode into one buffer,
//!   loop: read → FrameDecoder → frames       one write_all per batch;
//!     message frames → collect → rx pipe     PING every heartbeat_ivl
//!       (wait for room: back-pressure)
//!     PING → PONG via the writer (its TTL
//!       bounds the next read)
//!     SUBSCRIBE/CANCEL → rx (PUB/XPUB)
//!   EOF / error / silence: close, stop the writer, detach the pipes
//! ```
//!
//! Whatever goes wrong (bad greeting, incompatible socket type, oversize
//! frame, a peer that goes quiet) ends this connection only, with a log
//! line giving the reason; the socket keeps serving its other peers.
//!
//! Until its handshake is done a connection is cheap and counted: its
//! receive buffer holds a greeting and a READY (the writer, its buffer and
//! the reader's scratch come after), it ends at `handshake_ivl`, and an
//! accepted one holds one of its listener's `max_pending_handshakes` slots
//! ([`PendingHandshake`]); the listener closes new connections while all
//! are taken.

use std::cell::Cell;
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use super::codec::{
    encode_message, Command, FrameDecoder, Handshake, PeerInfo, SocketType, Subscription, Version,
};
use super::core::{Core, NewPeer};
use super::msg::Msg;
use super::pipe::Pipe;
use super::signal::{Signal, Wakeups};
use super::transport::Stream;
use crate::sync::waiter::lock;
use crate::Greenlet;

/// What the reader hands the writer besides messages.
#[derive(Default)]
struct Shared {
    /// Commands to send (PONG replies).
    commands: Vec<Command>,
    /// The connection is over: the writer stops.
    closed: bool,
}

/// The receive buffer's capacity until the handshake is done: the peer's
/// 64-octet greeting and a READY (about 30 octets, plus an identity of up
/// to 255) fit, and it grows if a peer sends more at once. A connection
/// that never finishes its handshake costs no more than this.
const HANDSHAKE_BUFFER: usize = 128;

/// What the receive buffer reserves once the handshake is done, for the
/// traffic that follows.
const TRAFFIC_BUFFER: usize = 8192;

/// A bound endpoint's count of connections whose handshake has not ended,
/// for `max_pending_handshakes`. One is held from the accept until the
/// handshake succeeds or fails, or the connection's greenlet is killed or
/// never starts (it is dropped with the greenlet's closure).
pub(crate) struct PendingHandshake(Arc<AtomicUsize>);

impl PendingHandshake {
    /// Counts one more pending connection on `count`.
    pub(crate) fn new(count: &Arc<AtomicUsize>) -> PendingHandshake {
        count.fetch_add(1, Ordering::AcqRel);
        PendingHandshake(count.clone())
    }
}

impl Drop for PendingHandshake {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Runs one connection to the end. `persistent` are a connect side's pipes,
/// which outlive the connection so messages queue while reconnecting; with
/// `None` pipes are made now and detached when the connection ends.
/// `pending` (an accepted connection's) is released when the handshake
/// ends, before a failed one's connection is closed.
pub(crate) fn run(
    core: &Arc<Core>,
    mut stream: Stream,
    endpoint: &str,
    persistent: Option<(Arc<Pipe>, Arc<Pipe>)>,
    pending: Option<PendingHandshake>,
) -> io::Result<()> {
    let opts = core.options();
    let mut buf = BytesMut::with_capacity(HANDSHAKE_BUFFER);
    let decoder = FrameDecoder::new().with_max_message_size(opts.maxmsgsize);
    let handshaken = handshake(core, &mut stream, &mut buf, opts.handshake_ivl);
    // Released first, so a peer that sees the close finds the slot free.
    drop(pending);
    let info = match handshaken {
        Ok(info) => info,
        Err(e) => {
            log::info!("zmq {endpoint}: handshake failed, closing: {e}");
            stream.shutdown();
            return Err(e);
        }
    };
    buf.reserve(TRAFFIC_BUFFER);
    let signal = Signal::new();
    let shared = Arc::new(Mutex::new(Shared::default()));
    let mut guard = Cleanup {
        core: core.clone(),
        peer: None,
        writer: None,
        shared: shared.clone(),
        signal: signal.clone(),
        stream: stream.try_clone()?,
    };
    let (tx, rx) = match persistent {
        Some((tx, rx)) => {
            core.resubscribe(&tx);
            (tx, rx)
        }
        None => {
            let rx_hwm = match core.kind {
                // Subscriptions must never be lost, and the PUB reads them
                // only when it sends.
                SocketType::Pub | SocketType::XPub => 0,
                _ => opts.rcvhwm,
            };
            let (tx, rx) = (Pipe::new(opts.sndhwm), Pipe::new(rx_hwm));
            let peer = NewPeer {
                tx: tx.clone(),
                rx: rx.clone(),
                identity: info.identity.clone(),
                endpoint: endpoint.to_string(),
                inproc: false,
            };
            match core.attach(peer) {
                Some(id) => guard.peer = Some(id),
                None => {
                    log::info!(
                        "zmq {endpoint}: {} already has its peer, closing",
                        core.kind
                    );
                    return Ok(());
                }
            }
            (tx, rx)
        }
    };
    tx.set_reader(&signal);
    rx.set_writer(&signal);
    let writer = Writer {
        stream: stream.try_clone()?,
        tx,
        shared: shared.clone(),
        signal: signal.clone(),
        version: info.version,
        kind: core.kind,
        heartbeat: opts.heartbeat_ivl,
        ttl: opts.silence_limit(),
    };
    guard.writer = Some(crate::Builder::new().name("zmq-writer").spawn(move || {
        if let Err(e) = writer.run() {
            log::debug!("zmq writer: {e}");
        }
    })?);
    let reader = Reader {
        core,
        rx,
        shared,
        signal,
        decoder,
        silence_limit: opts.silence_limit(),
        peer_ttl: Cell::new(None),
    };
    match reader.run(&mut stream, buf) {
        Ok(()) => Ok(()),
        Err(e) => {
            match e.kind() {
                io::ErrorKind::TimedOut => log::info!("zmq {endpoint}: peer silent, closing"),
                io::ErrorKind::InvalidData => log::warn!("zmq {endpoint}: closing: {e}"),
                _ => log::debug!("zmq {endpoint}: {e}"),
            }
            Err(e)
        }
    }
}

/// Drives [`Handshake`] over the stream within `limit`.
fn handshake(
    core: &Core,
    stream: &mut Stream,
    buf: &mut BytesMut,
    limit: Option<Duration>,
) -> io::Result<PeerInfo> {
    let opts = core.options();
    let identity = opts.routing_id.filter(|_| core.kind.sends_identity());
    let mut hs = Handshake::new(core.kind, identity);
    let mut out = BytesMut::new();
    let deadline = limit.and_then(crate::time::deadline_in);
    loop {
        let step = hs.advance(buf, &mut out);
        if !out.is_empty() {
            stream.write_all(&out)?;
            out.clear();
        }
        match step {
            Ok(Some(info)) => return Ok(info),
            Ok(None) => {}
            Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
        }
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if left == Some(Duration::ZERO) {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "handshake timed out",
            ));
        }
        stream.set_read_timeout(left)?;
        if read_some(stream, buf, &mut [0u8; 512])? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
    }
}

/// Reads what is available into `buf` (one copy from `scratch`, which the
/// caller keeps: zeroing a fresh one per read costs as much as the copy).
fn read_some(stream: &mut Stream, buf: &mut BytesMut, scratch: &mut [u8]) -> io::Result<usize> {
    let n = stream.read(scratch)?;
    buf.extend_from_slice(&scratch[..n]);
    Ok(n)
}

struct Reader<'a> {
    core: &'a Arc<Core>,
    rx: Arc<Pipe>,
    shared: Arc<Mutex<Shared>>,
    signal: Arc<Signal>,
    decoder: FrameDecoder,
    /// Our own `heartbeat_timeout` (or `heartbeat_ivl`): the longest silence
    /// we accept from the peer.
    silence_limit: Option<Duration>,
    /// The TTL of the peer's last PING, until more traffic arrives.
    peer_ttl: Cell<Option<Duration>>,
}

impl Reader<'_> {
    fn run(&self, stream: &mut Stream, mut buf: BytesMut) -> io::Result<()> {
        let mut parts = Msg::new();
        // The octets of `parts`: `maxmsgsize` bounds the whole message, so
        // each frame's header is checked against it together with these.
        let mut parts_len: u64 = 0;
        let mut scratch = vec![0u8; 16 * 1024];
        let mut timeout = self.silence_limit;
        stream.set_read_timeout(timeout)?;
        loop {
            while let Some(frame) = self
                .decoder
                .decode_after(&mut buf, parts_len)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?
            {
                if frame.command {
                    self.command(&frame.body)?;
                } else {
                    parts_len += frame.body.len() as u64;
                    parts.push(frame.body);
                    if !frame.more {
                        parts_len = 0;
                        self.deliver(std::mem::take(&mut parts))?;
                    }
                }
            }
            // RFC 37: a peer SHOULD close the connection "if it receives a
            // PING command with a non-zero TTL and then does not receive any
            // further traffic within that TTL" (libzmq: ZMQ_HEARTBEAT_TTL
            // promises its user that the remote side times out). Any read
            // that returns data is traffic, so the TTL bounds the next read
            // only; a later PING sets it again.
            let wanted = match (self.silence_limit, self.peer_ttl.take()) {
                (Some(ours), Some(ttl)) => Some(ours.min(ttl)),
                (ours, ttl) => ours.or(ttl),
            };
            if wanted != timeout {
                timeout = wanted;
                stream.set_read_timeout(timeout)?;
            }
            if read_some(stream, &mut buf, &mut scratch)? == 0 {
                return Ok(());
            }
        }
    }

    /// Commands never reach the socket pattern (libzmq #3060): PING is
    /// answered here, subscriptions become messages for a PUB, the rest is
    /// ignored.
    fn command(&self, body: &Bytes) -> io::Result<()> {
        let cmd =
            Command::parse(body).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        if let Command::Ping { ttl, .. } = &cmd {
            if *ttl > 0 {
                // Deciseconds on the wire.
                self.peer_ttl
                    .set(Some(Duration::from_millis(u64::from(*ttl) * 100)));
            }
        }
        if let Some(pong) = cmd.ping_reply() {
            lock(&self.shared).commands.push(pong);
            self.signal.notify();
        } else if let Some(sub) = Subscription::from_command(&cmd) {
            if matches!(self.core.kind, SocketType::Pub | SocketType::XPub) {
                if let Some(s) = self.rx.force_push(Msg::from(sub.to_message())) {
                    s.notify();
                }
            }
        }
        Ok(())
    }

    /// Queues a whole message for the socket, waiting while its pipe is
    /// full (which stops reading: TCP back-pressure to the sender).
    fn deliver(&self, msg: Msg) -> io::Result<()> {
        if matches!(self.core.kind, SocketType::Pub | SocketType::XPub) {
            // A publisher only takes ZMTP 3.0 subscription messages.
            if msg.len() == 1 && Subscription::from_message(&msg[0]).is_some() {
                if let Some(s) = self.rx.force_push(msg) {
                    s.notify();
                }
            }
            return Ok(());
        }
        // Fast path: room in the pipe, no wait (and no signal lock).
        let mut wake = Wakeups::default();
        let msg = match self.rx.try_push(msg, &mut wake) {
            Ok(()) => {
                wake.run();
                return Ok(());
            }
            Err(_) if self.rx.is_closed() => return Err(io::ErrorKind::BrokenPipe.into()),
            Err(msg) => msg,
        };
        let mut slot = Some(msg);
        let pushed = self
            .signal
            .wait(None, "zmq inbound queue full", &mut wake, |w| {
                let msg = slot.take()?;
                match self.rx.try_push(msg, w) {
                    Ok(()) => Some(true),
                    Err(_) if self.rx.is_closed() => Some(false),
                    Err(msg) => {
                        slot = Some(msg);
                        None
                    }
                }
            });
        match pushed {
            Ok(true) => Ok(()),
            _ => Err(io::ErrorKind::BrokenPipe.into()),
        }
    }
}

struct Writer {
    stream: Stream,
    tx: Arc<Pipe>,
    shared: Arc<Mutex<Shared>>,
    signal: Arc<Signal>,
    version: Version,
    kind: SocketType,
    heartbeat: Option<Duration>,
    ttl: Option<Duration>,
}

impl Writer {
    fn run(mut self) -> io::Result<()> {
        let mut out = BytesMut::with_capacity(64 * 1024);
        let mut batch: Vec<Msg> = Vec::new();
        let mut wake = Wakeups::default();
        let mut next_ping = self.heartbeat.and_then(crate::time::deadline_in);
        let subscriber = matches!(self.kind, SocketType::Sub | SocketType::XSub);
        loop {
            let got = self
                .signal
                .wait(next_ping, "zmq writer idle", &mut wake, |w| {
                    let mut shared = lock(&self.shared);
                    if shared.closed {
                        return Some(None);
                    }
                    let commands = std::mem::take(&mut shared.commands);
                    w.push(self.tx.pop_batch(256, &mut batch));
                    (!commands.is_empty() || !batch.is_empty()).then_some(Some(commands))
                });
            let commands = match got {
                Ok(Some(commands)) => commands,
                Ok(None) => return Ok(()),
                Err(_) => {
                    // Heartbeat due: RFC 37 PING with our TTL in deciseconds.
                    let ttl = self
                        .ttl
                        .map_or(0, |t| (t.as_millis() / 100).min(u16::MAX as u128) as u16);
                    next_ping = self.heartbeat.and_then(crate::time::deadline_in);
                    vec![Command::Ping {
                        ttl,
                        context: Bytes::new(),
                    }]
                }
            };
            for c in &commands {
                c.encode(&mut out);
            }
            for msg in batch.drain(..) {
                match &msg[..] {
                    [body] if subscriber => match Subscription::from_message(body) {
                        Some(sub) => sub.encode(self.version, &mut out),
                        None => encode_message(&msg, &mut out),
                    },
                    _ => encode_message(&msg, &mut out),
                }
            }
            let written = self.stream.write_all(&out);
            out.clear();
            wake.push(self.tx.done());
            wake.run();
            if let Err(e) = written {
                self.stream.shutdown();
                return Err(e);
            }
        }
    }
}

/// Ends a connection on every path, including a kill: stops the writer,
/// shuts the stream (so a blocked read returns) and closes per-connection
/// pipes.
struct Cleanup {
    core: Arc<Core>,
    peer: Option<u64>,
    writer: Option<Greenlet<()>>,
    shared: Arc<Mutex<Shared>>,
    signal: Arc<Signal>,
    stream: Stream,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        lock(&self.shared).closed = true;
        self.signal.notify();
        self.stream.shutdown();
        if let Some(w) = self.writer.take() {
            w.kill_nowait();
        }
        if let Some(id) = self.peer {
            self.core.release(id);
        }
    }
}
