//! DatagramServer: a handler greenlet per datagram, replies through
//! `send_to` from many handlers at once, the handler limit, close (stop
//! receiving, leave handlers alone) and stop (wait, kill, release the
//! port), handlers that close their own server, panics, errors.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use greenline::net::UdpSocket;
use greenline::server::{DatagramServer, ServerOptions};
use greenline::sync::{Event, GetError, Queue};
use greenline::testing::run;
use greenline::GreenletError;

const LONG: Duration = Duration::from_secs(20);

/// gevent's `udp_server` example: `Received N bytes` back to the sender.
fn count_bytes(data: &[u8], peer: SocketAddr, server: &DatagramServer) {
    let reply = format!("Received {} bytes", data.len());
    server.send_to(reply.as_bytes(), peer).unwrap();
}

/// A client socket whose receives give up after `LONG`.
fn client() -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(LONG)).unwrap();
    socket
}

/// Receives one datagram, as text, with its sender.
fn recv_text(socket: &UdpSocket) -> (String, SocketAddr) {
    let mut buf = vec![0; 65_536];
    let (n, from) = socket.recv_from(&mut buf).unwrap();
    (String::from_utf8_lossy(&buf[..n]).into_owned(), from)
}

/// A started server, stopped when the test ends (also when it fails).
struct Running(DatagramServer);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.stop(Duration::ZERO);
    }
}

/// Sets its flag when dropped: proves a killed handler unwound.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn replies_to_every_datagram_of_many_clients() {
    let server = DatagramServer::bind("127.0.0.1:0", count_bytes).unwrap();
    server.start().unwrap();
    let server = Running(server);
    let addr = server.0.local_addr();
    run(LONG, move || {
        let clients: Vec<_> = (0..50)
            .map(|c| {
                greenline::spawn(move || {
                    let socket = client();
                    for i in 0..5 {
                        let msg = "x".repeat(c + i);
                        socket.send_to(msg.as_bytes(), addr).unwrap();
                        let (reply, from) = recv_text(&socket);
                        assert_eq!(reply, format!("Received {} bytes", c + i));
                        assert_eq!(from, addr);
                    }
                })
            })
            .collect();
        for c in clients {
            c.join().unwrap();
        }
    });
}

#[test]
fn a_datagram_arrives_whole_up_to_the_udp_maximum() {
    let server = DatagramServer::bind("127.0.0.1:0", count_bytes).unwrap();
    server.start().unwrap();
    let server = Running(server);
    let addr = server.0.local_addr();
    run(LONG, move || {
        let socket = client();
        socket.send_to(&vec![7; 60_000], addr).unwrap();
        assert_eq!(recv_text(&socket).0, "Received 60000 bytes");
        socket.send_to(b"", addr).unwrap();
        assert_eq!(recv_text(&socket).0, "Received 0 bytes");
    });
}

/// Each datagram has a greenlet of its own: three handlers blocked at once
/// do not hold up each other, and many replying at once take turns on the
/// socket instead of failing with `ResourceBusy`.
#[test]
fn handlers_run_concurrently_and_reply_at_once() {
    let inside = Queue::new();
    let release = Event::new();
    let server = {
        let (inside, release) = (inside.clone(), release.clone());
        DatagramServer::bind("127.0.0.1:0", move |data, peer, server| {
            inside.put(data.to_vec()).unwrap();
            release.wait().unwrap();
            server.send_to(data, peer).unwrap();
        })
        .unwrap()
    };
    server.start().unwrap();
    let server = Running(server);
    let addr = server.0.local_addr();
    let server = server.0.clone();
    run(LONG, move || {
        let socket = client();
        for i in 0..30 {
            socket.send_to(format!("{i}").as_bytes(), addr).unwrap();
        }
        let mut seen: Vec<String> = (0..30)
            .map(|_| String::from_utf8(inside.get_timeout(LONG).unwrap()).unwrap())
            .collect();
        assert_eq!(server.handler_count(), 30);
        release.set();
        let mut replies: Vec<String> = (0..30).map(|_| recv_text(&socket).0).collect();
        seen.sort();
        replies.sort();
        let mut expected: Vec<String> = (0..30).map(|i| i.to_string()).collect();
        expected.sort();
        assert_eq!(seen, expected);
        assert_eq!(replies, expected);
    });
}

/// `max_connections(n)`: at most n handlers; the next datagram waits in the
/// receive buffer and is handled when one ends.
#[test]
fn the_handler_limit_leaves_datagrams_in_the_receive_buffer() {
    let inside = Queue::new();
    let releases: Vec<Event> = (0..3).map(|_| Event::new()).collect();
    let server = {
        let (inside, releases) = (inside.clone(), releases.clone());
        let options = ServerOptions::new().max_connections(2);
        DatagramServer::bind_with("127.0.0.1:0", options, move |data, _peer, _server| {
            let i: usize = std::str::from_utf8(data).unwrap().parse().unwrap();
            inside.put(i).unwrap();
            releases[i].wait().unwrap();
        })
        .unwrap()
    };
    server.start().unwrap();
    let server = Running(server);
    let addr = server.0.local_addr();
    let server = server.0.clone();
    run(LONG, move || {
        let socket = client();
        for i in 0..3 {
            socket.send_to(i.to_string().as_bytes(), addr).unwrap();
        }
        let mut first = [
            inside.get_timeout(LONG).unwrap(),
            inside.get_timeout(LONG).unwrap(),
        ];
        first.sort();
        assert_eq!(first, [0, 1]);
        // A bounded check of a negative: it can pass wrongly on a very slow
        // machine, never fail wrongly.
        assert_eq!(
            inside.get_timeout(Duration::from_millis(200)),
            Err(GetError::TimedOut)
        );
        assert_eq!(server.handler_count(), 2);
        releases[0].set();
        assert_eq!(inside.get_timeout(LONG).unwrap(), 2);
        releases[1].set();
        releases[2].set();
    });
}

/// `close` returns at once: no more datagrams are handled, a running
/// handler carries on and can still reply; `stop` then waits for it and
/// releases the port.
#[test]
fn close_stops_receiving_and_leaves_handlers_alone() {
    let inside = Queue::new();
    let release = Event::new();
    let server = {
        let (inside, release) = (inside.clone(), release.clone());
        DatagramServer::bind("127.0.0.1:0", move |data, peer, server| {
            inside.put(data.to_vec()).unwrap();
            release.wait().unwrap();
            server.send_to(b"late reply", peer).unwrap();
        })
        .unwrap()
    };
    server.start().unwrap();
    let addr = server.local_addr();
    run(LONG, move || {
        let socket = client();
        socket.send_to(b"first", addr).unwrap();
        assert_eq!(inside.get_timeout(LONG).unwrap(), b"first");

        assert!(server.close());
        assert!(server.is_closed());
        assert!(!server.is_started());
        assert!(!server.close(), "closed already");
        socket.send_to(b"unread", addr).unwrap();
        // A bounded check of a negative: nothing receives any more.
        assert_eq!(
            inside.get_timeout(Duration::from_millis(200)),
            Err(GetError::TimedOut)
        );

        let stopper = {
            let server = server.clone();
            greenline::spawn(move || server.stop(LONG))
        };
        assert_eq!(
            stopper.join_timeout(Duration::from_millis(100)),
            Err(GreenletError::TimedOut)
        );
        release.set();
        assert_eq!(recv_text(&socket), ("late reply".to_string(), addr));
        stopper.join_timeout(LONG).unwrap();
        assert_eq!(server.handler_count(), 0);

        assert_eq!(
            server.send_to(b"after stop", addr).unwrap_err().kind(),
            ErrorKind::NotConnected
        );
        // The port is free again.
        UdpSocket::bind(addr).unwrap();
    });
}

/// A handler closes its own server (gevent's `server.close()` from a
/// handler); `serve_forever` returns once the handler is done.
#[test]
fn a_handler_closes_its_own_server() {
    let server = DatagramServer::bind("127.0.0.1:0", |data, peer, server| {
        if data == b"close" {
            server.close();
        }
        server.send_to(data, peer).unwrap();
    })
    .unwrap();
    let addr = server.local_addr();
    run(LONG, move || {
        let serving = {
            let server = server.clone();
            greenline::spawn(move || server.serve_forever())
        };
        let socket = client();
        socket.send_to(b"hello", addr).unwrap();
        assert_eq!(recv_text(&socket).0, "hello");
        socket.send_to(b"close", addr).unwrap();
        assert_eq!(recv_text(&socket).0, "close");
        serving.join_timeout(LONG).unwrap().unwrap();
        assert!(server.is_closed());
        UdpSocket::bind(addr).unwrap();
    });
}

#[test]
fn stop_kills_handlers_that_do_not_finish_in_time() {
    let inside = Event::new();
    let unwound = Arc::new(AtomicBool::new(false));
    let server = {
        let (inside, unwound) = (inside.clone(), unwound.clone());
        DatagramServer::bind("127.0.0.1:0", move |_data, _peer, _server| {
            let _flag = DropFlag(unwound.clone());
            inside.set();
            // Only a kill ends this wait.
            let _ = Event::new().wait();
        })
        .unwrap()
    };
    server.start().unwrap();
    let addr = server.local_addr();
    run(LONG, move || {
        client().send_to(b"x", addr).unwrap();
        inside.wait_timeout(LONG).unwrap();
        server.stop(Duration::from_millis(50));
        assert!(unwound.load(Ordering::SeqCst), "the handler was not killed");
        assert_eq!(server.handler_count(), 0);
        assert_eq!(server.start().unwrap_err().kind(), ErrorKind::NotConnected);
    });
}

#[test]
fn a_panicking_handler_costs_only_its_datagram() {
    let server = DatagramServer::bind("127.0.0.1:0", |data, peer, server| {
        if data == b"panic" {
            panic!("asked to panic by {peer}");
        }
        server.send_to(data, peer).unwrap();
    })
    .unwrap();
    server.start().unwrap();
    let server = Running(server);
    let addr = server.0.local_addr();
    run(LONG, move || {
        let socket = client();
        socket.send_to(b"panic", addr).unwrap();
        socket.send_to(b"after", addr).unwrap();
        assert_eq!(recv_text(&socket).0, "after");
    });
}

#[test]
fn serve_forever_returns_after_stop_from_another_greenlet() {
    let server = DatagramServer::bind("127.0.0.1:0", count_bytes).unwrap();
    let addr = server.local_addr();
    run(LONG, move || {
        let serving = {
            let server = server.clone();
            greenline::spawn(move || server.serve_forever())
        };
        let socket = client();
        socket.send_to(b"up", addr).unwrap();
        assert_eq!(recv_text(&socket).0, "Received 2 bytes");
        server.stop(Duration::from_secs(1));
        serving.join_timeout(LONG).unwrap().unwrap();
        // serve_forever on a stopped server returns at once.
        server.serve_forever().unwrap();
    });
}

#[test]
fn binding_a_busy_port_is_addr_in_use() {
    let taken = UdpSocket::bind("127.0.0.1:0").unwrap();
    let err = DatagramServer::bind(taken.local_addr().unwrap(), count_bytes).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
}

/// Datagrams sent before `start` wait in the receive buffer, and a socket
/// passed in is served the same as one bound by the server.
#[test]
fn serves_a_socket_passed_in_and_what_came_before_start() {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap();
    let server = Running(DatagramServer::new(socket, count_bytes).unwrap());
    assert_eq!(server.0.local_addr(), addr);
    let peer = client();
    peer.send_to(b"early", addr).unwrap();
    assert!(!server.0.is_started());
    server.0.start().unwrap();
    assert!(server.0.is_started());
    assert_eq!(recv_text(&peer), ("Received 5 bytes".to_string(), addr));
}

/// `stop` right after `start`, from a plain thread, before the receive
/// greenlet has had a chance to run: the port is free when `stop`
/// returns. (A loop greenlet killed before it ran used to keep the socket
/// until may scheduled its closure, so the bind failed with AddrInUse.)
#[test]
fn stop_before_the_loop_ran_frees_the_port() {
    for _ in 0..300 {
        let server = DatagramServer::bind("127.0.0.1:0", count_bytes).unwrap();
        server.start().unwrap();
        server.stop(Duration::from_secs(1));
        UdpSocket::bind(server.local_addr()).expect("the port is free after stop");
    }
}
