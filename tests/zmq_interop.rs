//! greenline sockets against libzmq 4.3.5 (pyzmq's bundled copy), through
//! `compat/zmq_peer.py`: one Python process per case, driven line by line.
//!
//! The matrix: every legal socket-type pair of RFC 23's table, with the
//! greenline socket on either end, either end binding, over tcp and ipc.
//! Each case sends multipart messages, empty frames, frames of 255, 256
//! and 300 octets (short and long size forms) and of 1 MiB, and checks
//! both what arrives and what the far side saw. PUB/SUB cases subscribe
//! with a 300-octet topic too (a long SUBSCRIBE command) and, with XPUB,
//! check the subscription and cancel messages.
//!
//! Subscriptions here are always ZMTP 3.1 SUBSCRIBE/CANCEL commands:
//! libzmq 4.3.3+ (pyzmq's 4.3.5, Debian's 4.3.4) announces 3.1 and cannot
//! be made to speak 3.0. The 3.0 message form, both ways, is covered with
//! raw bytes in `tests/zmq_wire.rs`.
//!
//! Needs `bash compat/setup.sh` first (CI runs it); without the venv every
//! case fails saying so.

use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{mpsc, OnceLock};
use std::time::{Duration, Instant};

use greenline::zmq::{self, Bytes, SocketType, ZmqError};
use rstest::rstest;

mod common;

/// How long any one step may take before the case fails.
const STEP: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------
// The libzmq side: a zmq_peer.py process.

/// A `compat/zmq_peer.py` process, killed when dropped (also when the test
/// panics), with every exchange kept for the failure message.
struct Peer {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
    transcript: Vec<String>,
}

impl Peer {
    /// Starts the peer and makes its socket.
    fn new(kind: SocketType) -> Peer {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let python = root.join("compat/.venv/bin/python");
        assert!(
            python.exists(),
            "{} is missing: run `bash compat/setup.sh` first",
            python.display()
        );
        let mut child = Command::new(python)
            .arg(root.join("compat/zmq_peer.py"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start compat/zmq_peer.py");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        // A reader thread, so every wait for an answer can be bounded.
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines() {
                if tx.send(line.unwrap_or_default()).is_err() {
                    break;
                }
            }
        });
        let mut peer = Peer {
            child,
            stdin,
            lines,
            transcript: Vec::new(),
        };
        peer.ok(&format!("new {}", py_name(kind)));
        peer
    }

    /// Sends one command and returns the answer line.
    fn cmd(&mut self, line: &str) -> String {
        let shown: String = line.chars().take(120).collect();
        self.transcript.push(format!("> {shown}"));
        writeln!(self.stdin, "{line}").expect("write to zmq_peer.py");
        match self.lines.recv_timeout(STEP) {
            Ok(answer) => {
                self.transcript.push(format!(
                    "< {}",
                    answer.chars().take(120).collect::<String>()
                ));
                answer
            }
            Err(_) => panic!(
                "zmq_peer.py gave no answer within {STEP:?}\n{}",
                self.transcript.join("\n")
            ),
        }
    }

    /// Runs a command that must answer `ok`; returns what follows it.
    fn ok(&mut self, line: &str) -> String {
        let answer = self.cmd(line);
        match answer.strip_prefix("ok") {
            Some(rest) => rest.trim().to_string(),
            None => panic!(
                "zmq_peer.py: `{}` failed: {answer}\n{}",
                line.chars().take(120).collect::<String>(),
                self.transcript.join("\n")
            ),
        }
    }

    /// The monitor event counts, e.g. `handshake_succeeded` → 1.
    fn events(&mut self, name: &str) -> u32 {
        let answer = self.cmd("events");
        answer
            .split_whitespace()
            .skip(1)
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn py_name(kind: SocketType) -> &'static str {
    match kind {
        SocketType::Pair => "PAIR",
        SocketType::Pub => "PUB",
        SocketType::Sub => "SUB",
        SocketType::Req => "REQ",
        SocketType::Rep => "REP",
        SocketType::Dealer => "DEALER",
        SocketType::Router => "ROUTER",
        SocketType::Pull => "PULL",
        SocketType::Push => "PUSH",
        SocketType::XPub => "XPUB",
        SocketType::XSub => "XSUB",
    }
}

/// `i % 256` for `i` in `0..n`: big frames travel to and from the peer as
/// `*n`.
fn pattern(n: usize) -> Bytes {
    static MIB: OnceLock<Bytes> = OnceLock::new();
    let mib = MIB.get_or_init(|| (0..1 << 20).map(|i| i as u8).collect::<Vec<u8>>().into());
    if n <= mib.len() {
        return mib.slice(..n);
    }
    (0..n).map(|i| i as u8).collect::<Vec<u8>>().into()
}

/// A frame as zmq_peer.py writes it: `*n` for the pattern, else `x` + hex.
fn token(frame: &[u8]) -> String {
    if frame.len() >= 256 && frame == pattern(frame.len()) {
        return format!("*{}", frame.len());
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(1 + 2 * frame.len());
    s.push('x');
    for &b in frame {
        s.push(HEX[usize::from(b >> 4)] as char);
        s.push(HEX[usize::from(b & 15)] as char);
    }
    s
}

fn from_token(t: &str) -> Bytes {
    if let Some(n) = t.strip_prefix('*') {
        return pattern(n.parse().expect("pattern length"));
    }
    let hex = t.strip_prefix('x').expect("frame token");
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect::<Vec<u8>>()
        .into()
}

fn tokens(msg: &[Bytes]) -> String {
    msg.iter().map(|f| token(f)).collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------------------
// Either side, behind one interface.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Greenline,
    Libzmq,
}

/// One end of a case: a greenline socket or a libzmq one.
enum End {
    Ours(zmq::Socket),
    Theirs(Peer),
}

impl End {
    fn new(side: Side, ctx: &zmq::Context, kind: SocketType) -> End {
        match side {
            Side::Greenline => {
                let s = ctx.socket(kind).unwrap();
                s.set_rcvtimeo(Some(STEP));
                s.set_sndtimeo(Some(STEP));
                End::Ours(s)
            }
            Side::Libzmq => End::Theirs(Peer::new(kind)),
        }
    }

    fn set_routing_id(&mut self, id: &[u8]) {
        match self {
            End::Ours(s) => s.set_routing_id(id),
            End::Theirs(p) => {
                p.ok(&format!("optb ROUTING_ID {}", token(id)));
            }
        }
    }

    fn set_router_mandatory(&mut self) {
        match self {
            End::Ours(s) => s.set_router_mandatory(true),
            End::Theirs(p) => {
                p.ok("opt ROUTER_MANDATORY 1");
            }
        }
    }

    /// Binds a fresh endpoint of `transport`; returns where to connect.
    fn bind(&mut self, transport: &str) -> String {
        match self {
            End::Ours(s) => common::zmq::bind(s, transport),
            End::Theirs(p) => {
                let ep = match transport {
                    "tcp" => "tcp://127.0.0.1:*".to_string(),
                    _ => common::zmq::fresh(transport),
                };
                p.ok(&format!("bind {ep}"))
            }
        }
    }

    fn connect(&mut self, ep: &str) {
        match self {
            End::Ours(s) => s.connect(ep).unwrap(),
            End::Theirs(p) => {
                p.ok(&format!("connect {ep}"));
            }
        }
    }

    /// Sends a message; a ROUTER with `router_mandatory` retries until its
    /// peer's handshake is done.
    fn send(&mut self, msg: &[Bytes]) {
        match self {
            End::Ours(s) => {
                let deadline = Instant::now() + STEP;
                loop {
                    match s.send_multipart(msg.iter().cloned(), 0) {
                        Ok(()) => return,
                        Err(e) if ZmqError::from_io(&e) == Some(&ZmqError::HostUnreachable) => {
                            assert!(Instant::now() < deadline, "peer never became reachable");
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        Err(e) => panic!("send: {e}"),
                    }
                }
            }
            End::Theirs(p) => {
                p.ok(&format!("send {}", tokens(msg)));
            }
        }
    }

    fn recv(&mut self) -> Vec<Bytes> {
        self.recv_within(STEP)
            .unwrap_or_else(|| panic!("no message within {STEP:?}"))
    }

    /// A message within `wait`, or `None`.
    fn recv_within(&mut self, wait: Duration) -> Option<Vec<Bytes>> {
        match self {
            End::Ours(s) => {
                s.set_rcvtimeo(Some(wait));
                let got = s.recv_multipart(0);
                s.set_rcvtimeo(Some(STEP));
                match got {
                    Ok(msg) => Some(msg),
                    Err(e) if e.kind() == ErrorKind::TimedOut => None,
                    Err(e) => panic!("recv: {e}"),
                }
            }
            End::Theirs(p) => {
                let answer = p.cmd(&format!("recv {}", wait.as_millis()));
                if answer == "err Again" {
                    return None;
                }
                let words = answer
                    .strip_prefix("msg")
                    .unwrap_or_else(|| panic!("recv: {answer}\n{}", p.transcript.join("\n")));
                let frames: Vec<Bytes> = words.split_whitespace().map(from_token).collect();
                Some(frames)
            }
        }
    }
}

/// Makes the two ends and connects them: `binder` says which side binds.
fn wire(a: &mut End, b: &mut End, a_binds: bool, transport: &str) {
    if a_binds {
        let ep = a.bind(transport);
        b.connect(&ep);
    } else {
        let ep = b.bind(transport);
        a.connect(&ep);
    }
}

fn msg(frames: &[&[u8]]) -> Vec<Bytes> {
    frames.iter().map(|f| Bytes::copy_from_slice(f)).collect()
}

/// The payloads every case sends: multipart, empty frames, the edges of
/// the short size form (255 octets short, 256 long), a long frame in a
/// multipart message, and 1 MiB.
fn payloads() -> Vec<Vec<Bytes>> {
    vec![
        msg(&[b"hello"]),
        msg(&[b"a", b"b", b"c"]),
        msg(&[b""]),
        msg(&[b"", b"x", b""]),
        vec![Bytes::from(vec![b'q'; 255])],
        vec![pattern(256)],
        vec![pattern(300), Bytes::from_static(b"tail")],
        vec![pattern(1 << 20)],
    ]
}

/// A message compared by its frames and shown as tokens, cut short.
#[derive(PartialEq)]
struct Shown<'a>(&'a [Bytes]);

impl std::fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let t = tokens(self.0);
        match t.char_indices().nth(200) {
            Some((i, _)) => write!(f, "[{}...]", &t[..i]),
            None => write!(f, "[{t}]"),
        }
    }
}

fn show(msg: &[Bytes]) -> Shown<'_> {
    Shown(msg)
}

// ---------------------------------------------------------------------------
// Request-reply and PAIR: every client/server pair of the table.

/// `(client, server)`: the client sends, the server receives (checked) and
/// sends back what it got, the client receives its payload back.
#[rstest]
fn request_reply(
    #[values(
        (zmq::REQ, zmq::REP),
        (zmq::REQ, zmq::ROUTER),
        (zmq::DEALER, zmq::REP),
        (zmq::DEALER, zmq::ROUTER),
        (zmq::DEALER, zmq::DEALER),
        (zmq::ROUTER, zmq::ROUTER),
        (zmq::PAIR, zmq::PAIR)
    )]
    pair: (SocketType, SocketType),
    #[values(Side::Greenline, Side::Libzmq)] ours: Side,
    #[values(true, false)] client_binds: bool,
    #[values("tcp", "ipc")] transport: &str,
) {
    let (client_kind, server_kind) = pair;
    let ctx = zmq::Context::new();
    let theirs = match ours {
        Side::Greenline => Side::Libzmq,
        Side::Libzmq => Side::Greenline,
    };
    let mut client = End::new(ours, &ctx, client_kind);
    let mut server = End::new(theirs, &ctx, server_kind);
    let router_pair = client_kind == zmq::ROUTER;
    if router_pair {
        // A ROUTER routes by the peer's announced identity; both name
        // themselves, and the client retries until the server is known.
        client.set_routing_id(b"client");
        server.set_routing_id(b"server");
        client.set_router_mandatory();
        server.set_router_mandatory();
    }
    wire(&mut client, &mut server, client_binds, transport);

    // What the client adds in front of its payload, and what the server
    // sees in front of it.
    let client_envelope: Vec<Bytes> = match (client_kind, server_kind) {
        (zmq::DEALER, zmq::REP) => msg(&[b""]),
        (zmq::ROUTER, _) => msg(&[b"server"]),
        _ => vec![],
    };
    let check_server_view = |view: &[Bytes], payload: &[Bytes]| {
        let mut rest = view;
        if server_kind == zmq::ROUTER {
            let id = &rest[0];
            if router_pair {
                assert_eq!(id, "client", "routing id");
            } else {
                // libzmq makes `00 + u32`; greenline its own: non-empty,
                // not starting with 0 only when the peer named itself.
                assert!(!id.is_empty(), "routing id is empty");
            }
            rest = &rest[1..];
            if client_kind == zmq::REQ {
                assert_eq!(rest.first().map(|f| f.len()), Some(0), "REQ delimiter");
                rest = &rest[1..];
            }
        }
        assert_eq!(show(rest), show(payload), "what the server saw");
    };

    // One at a time, as REQ must.
    for payload in payloads() {
        let mut out = client_envelope.clone();
        out.extend(payload.iter().cloned());
        client.send(&out);
        let view = server.recv();
        check_server_view(&view, &payload);
        server.send(&view);
        let back = client.recv();
        assert_eq!(show(&back), show(&out), "reply to {:?}", show(&payload));
    }

    // Then all at once (not for REQ/REP's strict alternation).
    if client_kind != zmq::REQ && server_kind != zmq::REP {
        let all = payloads();
        for payload in &all {
            let mut out = client_envelope.clone();
            out.extend(payload.iter().cloned());
            client.send(&out);
        }
        for payload in &all {
            let view = server.recv();
            check_server_view(&view, payload);
            server.send(&view);
        }
        for payload in &all {
            let mut out = client_envelope.clone();
            out.extend(payload.iter().cloned());
            assert_eq!(show(&client.recv()), show(&out), "burst reply");
        }
    }
}

// ---------------------------------------------------------------------------
// PUSH/PULL.

#[rstest]
fn push_pull(
    #[values(Side::Greenline, Side::Libzmq)] pusher: Side,
    #[values(true, false)] push_binds: bool,
    #[values("tcp", "ipc")] transport: &str,
) {
    let ctx = zmq::Context::new();
    let puller = match pusher {
        Side::Greenline => Side::Libzmq,
        Side::Libzmq => Side::Greenline,
    };
    let mut push = End::new(pusher, &ctx, zmq::PUSH);
    let mut pull = End::new(puller, &ctx, zmq::PULL);
    wire(&mut push, &mut pull, push_binds, transport);
    let all = payloads();
    for payload in &all {
        push.send(payload);
    }
    for payload in &all {
        assert_eq!(show(&pull.recv()), show(payload));
    }
}

// ---------------------------------------------------------------------------
// PUB/SUB.

/// A 300-octet topic: its SUBSCRIBE command needs the long size form.
fn long_topic() -> Bytes {
    Bytes::from(vec![b'L'; 300])
}

fn change_subscription(end: &mut End, kind: SocketType, subscribe: bool, topic: &[u8]) {
    match (end, kind) {
        (End::Ours(s), zmq::SUB) if subscribe => s.subscribe(topic).unwrap(),
        (End::Ours(s), zmq::SUB) => s.unsubscribe(topic).unwrap(),
        (End::Theirs(p), zmq::SUB) => {
            let opt = if subscribe {
                "SUBSCRIBE"
            } else {
                "UNSUBSCRIBE"
            };
            p.ok(&format!("optb {opt} {}", token(topic)));
        }
        (end, _) => {
            // XSUB: the application sends the subscription message.
            let mut m = vec![subscribe as u8];
            m.extend_from_slice(topic);
            end.send(&[Bytes::from(m)]);
        }
    }
}

#[rstest]
fn publish_subscribe(
    #[values(zmq::PUB, zmq::XPUB)] pub_kind: SocketType,
    #[values(zmq::SUB, zmq::XSUB)] sub_kind: SocketType,
    #[values(Side::Greenline, Side::Libzmq)] publisher: Side,
    #[values(true, false)] pub_binds: bool,
    #[values("tcp", "ipc")] transport: &str,
) {
    let ctx = zmq::Context::new();
    let subscriber = match publisher {
        Side::Greenline => Side::Libzmq,
        Side::Libzmq => Side::Greenline,
    };
    let mut publ = End::new(publisher, &ctx, pub_kind);
    let mut sub = End::new(subscriber, &ctx, sub_kind);
    wire(&mut publ, &mut sub, pub_binds, transport);
    let long = long_topic();
    change_subscription(&mut sub, sub_kind, true, b"A");
    change_subscription(&mut sub, sub_kind, true, &long);
    if pub_kind == zmq::XPUB {
        // libzmq attaches a bound socket's new connection only when the
        // application calls into the socket: until then a bound SUB sends
        // no subscriptions. So the subscriber polls while we wait.
        let deadline = Instant::now() + STEP;
        let first = loop {
            if let Some(m) = publ.recv_within(Duration::from_millis(50)) {
                break m;
            }
            assert!(sub.recv_within(Duration::ZERO).is_none());
            assert!(
                Instant::now() < deadline,
                "no subscription reached the XPUB"
            );
        };
        assert_eq!(show(&first), show(&msg(&[b"\x01A"])));
        let mut want = vec![1u8];
        want.extend_from_slice(&long);
        assert_eq!(show(&publ.recv()), show(&[Bytes::from(want)]));
    }

    // The subscriptions reach a PUB asynchronously (the slow joiner):
    // publish probes on the later topic until one arrives.
    let mut probe = long.to_vec();
    probe.extend_from_slice(b"probe");
    let probe = vec![Bytes::from(probe)];
    let deadline = Instant::now() + STEP;
    loop {
        publ.send(&probe);
        if sub.recv_within(Duration::from_millis(50)).is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "subscription never took effect");
    }

    let mut near_miss = vec![b'L'; 299];
    near_miss.push(b'?');
    let mut long_hit = long.to_vec();
    long_hit.push(b'!');
    let plan: Vec<(Vec<Bytes>, bool)> = vec![
        (msg(&[b"B filtered"]), false),
        (msg(&[b"A"]), true),
        (msg(&[b"A1", b"second", b""]), true),
        (msg(&[b"Abc", b"", b"B in a later frame"]), true),
        (vec![Bytes::from(near_miss)], false),
        (vec![Bytes::from(long_hit)], true),
        (vec![Bytes::from_static(b"A"), pattern(1 << 20)], true),
        (msg(&[b"A end"]), true),
    ];
    for (m, _) in &plan {
        publ.send(m);
    }
    let mut got = sub.recv();
    while got == probe {
        got = sub.recv();
    }
    for (m, _) in plan.iter().filter(|(_, delivered)| *delivered) {
        assert_eq!(show(&got), show(m));
        if m[0] != "A end" {
            got = sub.recv();
        }
    }

    if pub_kind == zmq::XPUB {
        // The cancel travels as a CANCEL command and comes out of the XPUB
        // as `\x00topic`.
        change_subscription(&mut sub, sub_kind, false, b"A");
        assert_eq!(show(&publ.recv()), show(&msg(&[b"\x00A"])));
    }
}

// ---------------------------------------------------------------------------
// Heartbeats.

/// libzmq PINGs every 100 ms and drops a connection silent for 300 ms; an
/// idle connection must stay up because greenline answers with PONG (and,
/// with its own heartbeats on, libzmq's PONGs keep greenline's side up).
/// Greenline's socket first, libzmq's second.
#[rstest]
fn heartbeats_keep_an_idle_connection_up(
    #[values((zmq::DEALER, zmq::ROUTER), (zmq::PULL, zmq::PUSH), (zmq::SUB, zmq::PUB))] pair: (
        SocketType,
        SocketType,
    ),
    #[values(true, false)] ours_binds: bool,
    #[values(false, true)] ours_heartbeats: bool,
) {
    let (our_kind, their_kind) = pair;
    let ctx = zmq::Context::new();
    let mut ours = End::new(Side::Greenline, &ctx, our_kind);
    let mut theirs = End::new(Side::Libzmq, &ctx, their_kind);
    if let End::Theirs(p) = &mut theirs {
        p.ok("opt HEARTBEAT_IVL 100");
        p.ok("opt HEARTBEAT_TIMEOUT 300");
        p.ok("monitor");
    }
    if let End::Ours(s) = &ours {
        if ours_heartbeats {
            s.set_heartbeat_ivl(Some(Duration::from_millis(100)));
            s.set_heartbeat_timeout(Some(Duration::from_millis(300)));
        }
        if our_kind == zmq::SUB {
            s.subscribe("").unwrap();
        }
    }
    wire(&mut ours, &mut theirs, ours_binds, "tcp");
    let End::Theirs(peer) = &mut theirs else {
        unreachable!()
    };
    peer.ok("wait handshake_succeeded 1");
    // The point of the test is an idle connection: seven heartbeat
    // intervals, more than two timeouts, with no traffic but PING/PONG.
    peer.ok("sleep 700");
    assert_eq!(
        peer.events("disconnected"),
        0,
        "libzmq dropped the connection"
    );
    assert_eq!(
        peer.events("handshake_succeeded"),
        1,
        "reconnected meanwhile"
    );

    // And it still carries messages.
    let probe = msg(&[b"still up"]);
    match our_kind {
        zmq::DEALER => {
            ours.send(&probe);
            let view = theirs.recv();
            assert_eq!(show(&view[1..]), show(&probe));
        }
        zmq::SUB => {
            // The subscription went out at connect; only the message is new.
            theirs.send(&probe);
            assert_eq!(show(&ours.recv()), show(&probe));
        }
        _ => {
            theirs.send(&probe);
            assert_eq!(show(&ours.recv()), show(&probe));
        }
    }
    if let End::Theirs(p) = &mut theirs {
        assert_eq!(p.events("disconnected"), 0);
    }
}

/// RFC 37: a peer SHOULD close the connection "if it receives a PING
/// command with a non-zero TTL and then does not receive any further
/// traffic within that TTL". libzmq PINGs with TTL 300 ms, then is frozen
/// (SIGSTOP) for longer than that: greenline must drop the connection, and
/// libzmq, thawed, sees the disconnect and reconnects.
#[rstest]
fn ping_ttl_from_libzmq_closes_a_silent_connection(
    #[values((zmq::PULL, zmq::PUSH), (zmq::ROUTER, zmq::DEALER))] pair: (SocketType, SocketType),
) {
    let (our_kind, their_kind) = pair;
    let ctx = zmq::Context::new();
    let ours = ctx.socket(our_kind).unwrap();
    ours.set_rcvtimeo(Some(STEP));
    let ep = common::zmq::bind(&ours, "tcp");
    let mut peer = Peer::new(their_kind);
    peer.ok("opt HEARTBEAT_IVL 100");
    peer.ok("opt HEARTBEAT_TTL 300");
    peer.ok("monitor");
    peer.ok(&format!("connect {ep}"));
    peer.ok("wait handshake_succeeded 1");
    // A message first, so the connection is surely up on our side too.
    peer.ok("send x6869");
    assert_eq!(ours.recv_multipart(0).unwrap().last().unwrap(), "hi");

    // The TTL arrives with the first PING: let a few go by (libzmq keeps
    // sending them while its thread sleeps) before freezing the peer.
    peer.ok("sleep 250");
    let pid = peer.child.id() as libc::pid_t;
    // SAFETY: plain kill(2) on our own child, which is still running (the
    // Peer owns it and waits for it only when dropped).
    assert_eq!(unsafe { libc::kill(pid, libc::SIGSTOP) }, 0);
    // Frozen for 1 s: more than three TTLs without any traffic.
    std::thread::sleep(Duration::from_millis(1000));
    // SAFETY: as above.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGCONT) }, 0);
    peer.ok("wait disconnected 1");
    peer.ok("wait handshake_succeeded 2");
    peer.ok("send x616761696e");
    assert_eq!(ours.recv_multipart(0).unwrap().last().unwrap(), "again");
}

// ---------------------------------------------------------------------------
// REQ/REP: a multipart message read frame by frame.

fn assert_efsm(got: std::io::Result<()>, what: &str) {
    let e = got.expect_err(what);
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{what}: {e}");
    assert_eq!(
        ZmqError::from_io(&e),
        Some(&ZmqError::InvalidState),
        "{what}: {e}"
    );
}

/// A libzmq REQ's two-frame request: our REP refuses to answer after
/// reading only its first frame (EFSM, as libzmq's `rep.cpp` does), then
/// answers it whole, and the REQ gets that one reply.
#[test]
fn rep_answers_a_libzmq_multipart_request_only_whole() {
    let ctx = zmq::Context::new();
    let rep = ctx.socket(zmq::REP).unwrap();
    rep.set_rcvtimeo(Some(STEP));
    let ep = common::zmq::bind(&rep, "tcp");
    let mut peer = Peer::new(zmq::REQ);
    peer.ok(&format!("connect {ep}"));
    peer.ok(&format!("send {} {}", token(b"q1"), token(b"q2")));
    assert_eq!(rep.recv(0).unwrap(), "q1");
    assert_efsm(rep.send("half", 0), "reply with a frame unread");
    assert_eq!(rep.recv(0).unwrap(), "q2");
    rep.send_multipart(["r1", "r2"], 0).unwrap();
    assert_eq!(
        peer.cmd("recv"),
        format!("msg {} {}", token(b"r1"), token(b"r2"))
    );
    // The pair goes on alternating.
    peer.ok(&format!("send {}", token(b"q3")));
    assert_eq!(rep.recv_multipart(0).unwrap(), ["q3"]);
    rep.send("r3", 0).unwrap();
    assert_eq!(peer.cmd("recv"), format!("msg {}", token(b"r3")));
}

/// A libzmq REP's two-frame reply: our REQ refuses the next request until
/// it has read both frames (libzmq's `req.cpp`), and the request it then
/// sends is the only one the REP sees.
#[test]
fn req_reads_a_libzmq_multipart_reply_before_the_next_request() {
    let ctx = zmq::Context::new();
    let mut peer = Peer::new(zmq::REP);
    let ep = peer.ok("bind tcp://127.0.0.1:*");
    let req = ctx.socket(zmq::REQ).unwrap();
    req.set_rcvtimeo(Some(STEP));
    req.connect(&ep).unwrap();
    req.send_multipart(["q1", "q2"], 0).unwrap();
    peer.ok("echo 1");
    assert_eq!(req.recv(0).unwrap(), "q1");
    assert_efsm(req.send("next", 0), "request with a reply frame unread");
    assert_eq!(req.recv(0).unwrap(), "q2");
    assert!(!req.get_rcvmore());
    req.send("next", 0).unwrap();
    assert_eq!(peer.cmd("recv"), format!("msg {}", token(b"next")));
}
