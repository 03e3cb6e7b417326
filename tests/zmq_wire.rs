//! Raw ZMTP bytes, written by hand over a plain TCP stream, against
//! greenline sockets.

use std::io::{ErrorKind, Read, Write};
use std::time::Duration;

use greenline::net::TcpStream;
use greenline::testing::run;
use greenline::zmq;

const DEADLINE: Duration = Duration::from_secs(10);

fn greeting(minor: u8) -> Vec<u8> {
    let mut g = vec![0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, minor];
    g.extend_from_slice(b"NULL");
    g.resize(64, 0);
    g
}

fn ready(socket_type: &str) -> Vec<u8> {
    let mut body = vec![5];
    body.extend_from_slice(b"READY");
    body.push(11);
    body.extend_from_slice(b"Socket-Type");
    body.extend_from_slice(&(socket_type.len() as u32).to_be_bytes());
    body.extend_from_slice(socket_type.as_bytes());
    let mut frame = vec![0x04, body.len() as u8];
    frame.extend_from_slice(&body);
    frame
}

/// Reads one short frame: (flags, body).
fn read_frame(s: &mut TcpStream) -> std::io::Result<(u8, Vec<u8>)> {
    let mut header = [0u8; 2];
    s.read_exact(&mut header)?;
    let mut body = vec![0u8; header[1] as usize];
    s.read_exact(&mut body)?;
    Ok((header[0], body))
}

/// Connects to `endpoint` and does the NULL handshake as a ZMTP 3.`minor`
/// `socket_type` peer; returns the stream and the peer's greeting.
fn raw_peer(endpoint: &str, minor: u8, socket_type: &str) -> (TcpStream, Vec<u8>) {
    let addr: std::net::SocketAddr = endpoint.trim_start_matches("tcp://").parse().unwrap();
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(&greeting(minor)).unwrap();
    s.write_all(&ready(socket_type)).unwrap();
    let mut theirs = vec![0u8; 64];
    s.read_exact(&mut theirs).unwrap();
    let (flags, body) = read_frame(&mut s).unwrap();
    assert_eq!(flags, 0x04);
    assert_eq!(&body[..6], b"\x05READY");
    (s, theirs)
}

/// The 9-octet header of a long message frame announcing `size` octets.
fn long_header(more: bool, size: u64) -> Vec<u8> {
    let mut h = vec![0x02 | u8::from(more)];
    h.extend_from_slice(&size.to_be_bytes());
    h
}

/// Serves one request on `rep` while a REQ asks it: the socket still works.
fn assert_serving(ctx: &zmq::Context, rep: zmq::Socket, endpoint: &str) {
    let server = greenline::spawn(move || {
        let request = rep.recv_multipart(0).unwrap();
        rep.send_multipart(request, 0).unwrap();
    });
    let req = ctx.socket(zmq::REQ).unwrap();
    req.connect(endpoint).unwrap();
    req.send("still serving", 0).unwrap();
    assert_eq!(req.recv(0).unwrap(), "still serving");
    server.join().unwrap();
}

/// Connects and reads our greeting: the connection was accepted and its
/// handshake is pending (it never sends one of its own).
fn idle_connection(endpoint: &str) -> TcpStream {
    let addr: std::net::SocketAddr = endpoint.trim_start_matches("tcp://").parse().unwrap();
    let mut s = TcpStream::connect(addr).unwrap();
    let mut theirs = [0u8; 64];
    s.read_exact(&mut theirs).unwrap();
    assert_eq!((theirs[0], theirs[9]), (0xff, 0x7f), "a ZMTP greeting");
    s
}

/// The connection is closed before a single octet came from the socket:
/// refused at accept, not handshaking.
fn assert_closed_unanswered(s: &mut TcpStream) {
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 64];
    match s.read(&mut buf) {
        Ok(0) => {}
        Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
        Ok(n) => panic!("expected a close, got {n} octets: the connection was accepted"),
        Err(e) => panic!("expected the connection to close, got {e}"),
    }
}

/// Reads until EOF or error: the connection was closed on us.
fn assert_closed(s: &mut TcpStream) {
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 256];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return,
            Ok(_) => continue, // an ERROR command, say
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return,
            Err(e) => panic!("expected the connection to close, got {e}"),
        }
    }
}

#[test]
fn zmtp_3_0_subscriber_with_message_subscriptions() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let publisher = ctx.socket(zmq::PUB).unwrap();
        publisher.bind("tcp://127.0.0.1:*").unwrap();
        let (mut s, theirs) = raw_peer(&publisher.last_endpoint().unwrap(), 0, "SUB");
        assert_eq!(&theirs[10..12], &[3, 1]);
        s.write_all(b"\x00\x02\x01A").unwrap(); // subscribe "A", 3.0 form
                                                // The subscription is applied on the publisher's next send.
        s.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
        loop {
            publisher.send("B0", 0).unwrap();
            publisher.send("A1", 0).unwrap();
            let mut frame = [0u8; 4];
            match s.read_exact(&mut frame) {
                Ok(()) => {
                    assert_eq!(&frame, b"\x00\x02A1");
                    break;
                }
                Err(e) => assert_eq!(e.kind(), ErrorKind::TimedOut),
            }
        }
    });
}

#[test]
fn subscriber_sends_commands_to_3_1_and_messages_to_3_0() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        for (minor, expected) in [
            (1u8, &b"\x04\x0b\x09SUBSCRIBEA"[..]),
            (0, &b"\x00\x02\x01A"[..]),
        ] {
            let listener = greenline::testing::local_listener().unwrap();
            let addr = listener.local_addr().unwrap();
            let sub = ctx.socket(zmq::SUB).unwrap();
            sub.subscribe("A").unwrap();
            sub.connect(&format!("tcp://{addr}")).unwrap();
            let (mut s, _) = listener.accept().unwrap();
            s.write_all(&greeting(minor)).unwrap();
            s.write_all(&ready("PUB")).unwrap();
            let mut theirs = vec![0u8; 64];
            s.read_exact(&mut theirs).unwrap();
            read_frame(&mut s).unwrap(); // READY
            let mut got = vec![0u8; expected.len()];
            s.read_exact(&mut got).unwrap();
            assert_eq!(got, expected, "minor {minor}");
        }
    });
}

#[test]
fn ping_gets_pong_with_the_context() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let router = ctx.socket(zmq::ROUTER).unwrap();
        router.bind("tcp://127.0.0.1:*").unwrap();
        let (mut s, _) = raw_peer(&router.last_endpoint().unwrap(), 1, "DEALER");
        s.write_all(b"\x04\x0d\x04PING\x00\x0actx123").unwrap();
        let (flags, body) = read_frame(&mut s).unwrap();
        assert_eq!(flags, 0x04);
        assert_eq!(body, b"\x04PONGctx123");
        // Commands never reach the socket: a message still does, alone.
        s.write_all(b"\x00\x02hi").unwrap();
        let msg = router.recv_multipart(0).unwrap();
        assert_eq!(msg[1], "hi");
    });
}

#[test]
fn bad_greeting_closes_only_that_connection() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let pull = ctx.socket(zmq::PULL).unwrap();
        pull.bind("tcp://127.0.0.1:*").unwrap();
        let ep = pull.last_endpoint().unwrap();
        let addr: std::net::SocketAddr = ep.trim_start_matches("tcp://").parse().unwrap();
        let mut bad = TcpStream::connect(addr).unwrap();
        bad.write_all(&[0x42; 64]).unwrap();
        assert_closed(&mut bad);
        let push = ctx.socket(zmq::PUSH).unwrap();
        push.connect(&ep).unwrap();
        push.send("still serving", 0).unwrap();
        assert_eq!(pull.recv(0).unwrap(), "still serving");
    });
}

#[test]
fn oversize_frame_closes_and_is_never_delivered() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let pull = ctx.socket(zmq::PULL).unwrap();
        pull.set_maxmsgsize(Some(10));
        pull.bind("tcp://127.0.0.1:*").unwrap();
        let (mut s, _) = raw_peer(&pull.last_endpoint().unwrap(), 1, "PUSH");
        s.write_all(b"\x00\x0512345").unwrap(); // fits
        s.write_all(b"\x00\x0b12345678901").unwrap(); // 11 > 10
        assert_closed(&mut s);
        assert_eq!(pull.recv(0).unwrap(), "12345");
        let e = pull.recv(zmq::DONTWAIT).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::WouldBlock);
    });
}

#[test]
fn incompatible_socket_type_closes() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let pull = ctx.socket(zmq::PULL).unwrap();
        pull.bind("tcp://127.0.0.1:*").unwrap();
        let ep = pull.last_endpoint().unwrap();
        let addr: std::net::SocketAddr = ep.trim_start_matches("tcp://").parse().unwrap();
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(&greeting(1)).unwrap();
        s.write_all(&ready("PUB")).unwrap();
        assert_closed(&mut s);
        assert_eq!(pull.peer_count(), 0);
    });
}

/// The attack: a peer announces a 2^62-octet frame and streams its
/// body. With no limit of its own set, a REP must still close that
/// connection at the header (the default `maxmsgsize`), buffering none of
/// the body, and keep serving other peers.
#[test]
fn frame_declared_over_the_default_limit_closes_the_connection() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let rep = ctx.socket(zmq::REP).unwrap();
        rep.bind("tcp://127.0.0.1:*").unwrap();
        let ep = rep.last_endpoint().unwrap();
        let (mut s, _) = raw_peer(&ep, 1, "REQ");
        s.write_all(b"\x01\x00").unwrap(); // the REQ delimiter
        s.write_all(&long_header(false, 1 << 62)).unwrap();
        // The start of the body: a connection still open would buffer it.
        // (Closed at the header already, the write may fail: fine.)
        let _ = s.write_all(&[0x55; 64 * 1024]);
        assert_closed(&mut s);
        assert_serving(&ctx, rep, &ep);
    });
}

/// A message of exactly the default limit is delivered; one octet more
/// closes the connection at its header.
#[test]
fn message_at_the_default_limit_passes() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let rep = ctx.socket(zmq::REP).unwrap();
        let limit = rep.maxmsgsize().expect("a default maxmsgsize");
        assert_eq!(limit, zmq::DEFAULT_MAXMSGSIZE);
        rep.bind("tcp://127.0.0.1:*").unwrap();
        let ep = rep.last_endpoint().unwrap();
        let (mut s, _) = raw_peer(&ep, 1, "REQ");
        let writer = greenline::spawn(move || {
            s.write_all(b"\x01\x00").unwrap();
            s.write_all(&long_header(false, limit)).unwrap();
            s.write_all(&vec![0x07; limit as usize]).unwrap();
            s
        });
        let request = rep.recv_multipart(0).unwrap();
        assert_eq!(request.len(), 1);
        assert_eq!(request[0].len() as u64, limit);
        assert_eq!((request[0][0], request[0][limit as usize - 1]), (7, 7));
        drop(request);
        let mut s = writer.join().unwrap();
        rep.send("ok", 0).unwrap();
        let mut reply = [0u8; 6];
        s.read_exact(&mut reply).unwrap();
        assert_eq!(&reply, b"\x01\x00\x00\x02ok");
        s.write_all(b"\x01\x00").unwrap();
        s.write_all(&long_header(false, limit + 1)).unwrap();
        assert_closed(&mut s);
        assert_serving(&ctx, rep, &ep);
    });
}

/// The limit bounds the whole message, not each frame: frames that fit
/// one by one but not together close the connection at the header of the
/// frame that crosses it, and nothing of that message is delivered.
#[test]
fn message_over_the_limit_in_many_frames_closes() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let rep = ctx.socket(zmq::REP).unwrap();
        rep.set_maxmsgsize(Some(1000));
        rep.bind("tcp://127.0.0.1:*").unwrap();
        let ep = rep.last_endpoint().unwrap();
        let (mut s, _) = raw_peer(&ep, 1, "REQ");
        let frame = |more: bool, n: u64| {
            let mut f = long_header(more, n);
            f.resize(9 + n as usize, b'x');
            f
        };
        // 400 + 400 + 200 = 1000: fits.
        s.write_all(b"\x01\x00").unwrap();
        for (more, n) in [(true, 400), (true, 400), (false, 200)] {
            s.write_all(&frame(more, n)).unwrap();
        }
        let sizes: Vec<usize> = rep
            .recv_multipart(0)
            .unwrap()
            .iter()
            .map(|f| f.len())
            .collect();
        assert_eq!(sizes, [400, 400, 200]);
        rep.send("ok", 0).unwrap();
        let mut reply = [0u8; 6];
        s.read_exact(&mut reply).unwrap();
        // 400 + 400 + 201 = 1001: closed at the third header.
        s.write_all(b"\x01\x00").unwrap();
        for (more, n) in [(true, 400), (true, 400), (false, 201)] {
            s.write_all(&frame(more, n)).unwrap();
        }
        assert_closed(&mut s);
        let e = rep.recv(zmq::DONTWAIT).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::WouldBlock);
        assert_serving(&ctx, rep, &ep);
    });
}

/// The client side has the same default: a REQ whose server announces a
/// 2^62-octet reply closes that connection at the header.
#[test]
fn req_closes_a_server_declaring_a_huge_frame() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let listener = greenline::testing::local_listener().unwrap();
        let req = ctx.socket(zmq::REQ).unwrap();
        req.connect(&format!("tcp://{}", listener.local_addr().unwrap()))
            .unwrap();
        let (mut s, _) = listener.accept().unwrap();
        s.write_all(&greeting(1)).unwrap();
        s.write_all(&ready("REP")).unwrap();
        let mut theirs = vec![0u8; 64];
        s.read_exact(&mut theirs).unwrap();
        read_frame(&mut s).unwrap(); // READY
        req.send("q", 0).unwrap();
        let mut request = [0u8; 5];
        s.read_exact(&mut request).unwrap();
        assert_eq!(&request, b"\x01\x00\x00\x01q");
        s.write_all(b"\x01\x00").unwrap();
        s.write_all(&long_header(false, 1 << 62)).unwrap();
        let _ = s.write_all(&[0x55; 64 * 1024]);
        assert_closed(&mut s);
    });
}

/// Connections that never send a greeting hold their listener's pending
/// handshake slots; past `max_pending_handshakes` a new connection is
/// closed at once, and when pending ones close, a real peer gets in (its
/// REQ reconnects after a refusal by itself).
#[test]
fn connections_past_the_pending_handshake_bound_are_closed() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let rep = ctx.socket(zmq::REP).unwrap();
        assert_eq!(
            rep.max_pending_handshakes(),
            Some(zmq::DEFAULT_MAX_PENDING_HANDSHAKES)
        );
        rep.set_max_pending_handshakes(Some(4));
        rep.bind("tcp://127.0.0.1:*").unwrap();
        let ep = rep.last_endpoint().unwrap();
        let mut idle: Vec<TcpStream> = (0..4).map(|_| idle_connection(&ep)).collect();
        for _ in 0..3 {
            let addr: std::net::SocketAddr = ep.trim_start_matches("tcp://").parse().unwrap();
            assert_closed_unanswered(&mut TcpStream::connect(addr).unwrap());
        }
        // Two pending connections go away: their slots are free again.
        idle.truncate(2);
        assert_serving(&ctx, rep, &ep);
    });
}

/// A pending handshake that times out (`handshake_ivl`) frees its slot: a
/// peer that then connects completes its handshake and is served, and
/// the slot it used is free again once it has.
#[test]
fn timed_out_handshakes_free_their_slots() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let rep = ctx.socket(zmq::REP).unwrap();
        rep.set_max_pending_handshakes(Some(1));
        rep.set_handshake_ivl(Some(Duration::from_millis(200)));
        rep.bind("tcp://127.0.0.1:*").unwrap();
        let ep = rep.last_endpoint().unwrap();
        let mut silent = idle_connection(&ep);
        assert_closed(&mut silent); // after 200 ms
                                    // From here on, connections wait as long as the test needs.
        rep.set_handshake_ivl(None);
        let (mut peer, _) = raw_peer(&ep, 1, "REQ");
        peer.write_all(b"\x01\x00\x00\x02hi").unwrap();
        // Delivered: the peer's handshake is over on the socket's side too.
        assert_eq!(rep.recv(0).unwrap(), "hi");
        rep.send("ho", 0).unwrap();
        let mut reply = [0u8; 6];
        peer.read_exact(&mut reply).unwrap();
        assert_eq!(&reply, b"\x01\x00\x00\x02ho");
        // The one slot is free; taking it, the next connection is refused.
        let _pending = idle_connection(&ep);
        let addr: std::net::SocketAddr = ep.trim_start_matches("tcp://").parse().unwrap();
        assert_closed_unanswered(&mut TcpStream::connect(addr).unwrap());
    });
}

#[test]
fn a_tcp_endpoint_with_a_host_name_connects() {
    // "localhost" goes through the resolver on greenline's blocking pool.
    let ctx = greenline::zmq::Context::new();
    let rep = ctx.socket(greenline::zmq::REP).unwrap();
    rep.bind("tcp://127.0.0.1:*").unwrap();
    let port = rep
        .last_endpoint()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .to_string();
    let req = ctx.socket(greenline::zmq::REQ).unwrap();
    req.connect(&format!("tcp://localhost:{port}")).unwrap();
    req.send(&b"hi"[..], 0).unwrap();
    assert_eq!(&rep.recv(0).unwrap()[..], b"hi");
}
