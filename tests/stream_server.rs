//! StreamServer: echo under concurrency, panicking handlers, stop (graceful
//! and by killing), close (stop accepting, leave handlers alone), handlers
//! that close or stop their own server, the connection limit, addresses and
//! errors.
//!
//! The EMFILE back-off is exercised in `tests/accept_backoff.rs`, its own
//! binary, because it lowers the process's open-file limit.

use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use greenline::net::{SocketFile, TcpListener, TcpStream};
use greenline::server::{ServerOptions, StreamServer};
use greenline::sync::{Event, GetError, Queue};
use greenline::testing::run;
use greenline::GreenletError;
use rstest::{fixture, rstest};

const LONG: Duration = Duration::from_secs(20);

/// Echoes lines until the client goes away.
fn echo(conn: TcpStream, _peer: SocketAddr) {
    let mut file = conn.makefile().unwrap();
    while let Ok(Some(line)) = file.readline() {
        if file
            .write_all(line.as_bytes())
            .and_then(|()| file.flush())
            .is_err()
        {
            break;
        }
    }
}

/// A started server, stopped when the test ends (also when it fails).
struct Running(StreamServer);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.stop(Duration::ZERO);
    }
}

#[fixture]
fn echo_server() -> Running {
    let server = StreamServer::bind("127.0.0.1:0", echo).unwrap();
    server.start().unwrap();
    Running(server)
}

fn connect(addr: SocketAddr) -> SocketFile<TcpStream> {
    TcpStream::connect(addr).unwrap().makefile().unwrap()
}

fn roundtrip(file: &mut SocketFile<TcpStream>, line: &str) -> std::io::Result<Option<String>> {
    file.write_all(line.as_bytes())?;
    file.flush()?;
    file.readline()
}

#[rstest]
fn local_addr_is_the_bound_port(echo_server: Running) {
    let addr = echo_server.0.local_addr();
    assert_eq!(addr.ip().to_string(), "127.0.0.1");
    assert_ne!(addr.port(), 0);
    let mut file = connect(addr);
    assert_eq!(
        roundtrip(&mut file, "hi\n").unwrap().as_deref(),
        Some("hi\n")
    );
}

#[test]
fn binding_a_busy_port_is_addr_in_use() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let err = StreamServer::bind(taken.local_addr().unwrap(), echo).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
}

#[test]
fn serves_a_listener_passed_in() {
    let listener = greenline::testing::local_listener().unwrap();
    let addr = listener.local_addr().unwrap();
    let server = Running(StreamServer::new(listener, echo).unwrap());
    assert_eq!(server.0.local_addr(), addr);
    assert!(!server.0.is_started());
    server.0.start().unwrap();
    assert!(server.0.is_started());
    let mut file = connect(addr);
    assert_eq!(roundtrip(&mut file, "x\n").unwrap().as_deref(), Some("x\n"));
}

#[rstest]
fn echoes_for_many_concurrent_clients(echo_server: Running) {
    let addr = echo_server.0.local_addr();
    let failures = run(LONG, move || {
        let clients: Vec<_> = (0..200)
            .map(|c| {
                greenline::spawn(move || -> std::io::Result<usize> {
                    let mut file = TcpStream::connect(addr)?.makefile()?;
                    let mut wrong = 0;
                    for i in 0..5 {
                        let line = format!("client {c} line {i}\n");
                        if roundtrip(&mut file, &line)?.as_deref() != Some(line.as_str()) {
                            wrong += 1;
                        }
                    }
                    Ok(wrong)
                })
            })
            .collect();
        clients
            .into_iter()
            .map(|g| g.join().unwrap().unwrap())
            .sum::<usize>()
    });
    assert_eq!(failures, 0);
}

#[test]
fn a_panicking_handler_costs_only_its_connection() {
    let server = StreamServer::bind("127.0.0.1:0", |conn, peer| {
        let mut file = conn.makefile().unwrap();
        while let Ok(Some(line)) = file.readline() {
            if line == "panic\n" {
                panic!("handler for {peer} asked to panic");
            }
            let _ = file.write_all(line.as_bytes()).and_then(|()| file.flush());
        }
    })
    .unwrap();
    server.start().unwrap();
    let server = Running(server);
    let addr = server.0.local_addr();
    run(LONG, move || {
        let mut survivor = connect(addr);
        assert_eq!(
            roundtrip(&mut survivor, "a\n").unwrap().as_deref(),
            Some("a\n")
        );

        let mut doomed = connect(addr);
        // The handler's socket is dropped as its greenlet unwinds: end of file.
        assert_eq!(roundtrip(&mut doomed, "panic\n").unwrap(), None);

        assert_eq!(
            roundtrip(&mut survivor, "b\n").unwrap().as_deref(),
            Some("b\n")
        );
        let mut newcomer = connect(addr);
        assert_eq!(
            roundtrip(&mut newcomer, "c\n").unwrap().as_deref(),
            Some("c\n")
        );
    });
}

/// Sets its flag when dropped: proves a killed handler unwound.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn stop_kills_a_handler_blocked_in_read_and_refuses_new_connections() {
    let reading = Event::new();
    let unwound = Arc::new(AtomicBool::new(false));
    let server = {
        let (reading, unwound) = (reading.clone(), unwound.clone());
        StreamServer::bind("127.0.0.1:0", move |mut conn, _peer| {
            let _flag = DropFlag(unwound.clone());
            reading.set();
            let mut buf = [0; 16];
            // The client never writes: only a kill ends this read.
            let _ = conn.read(&mut buf);
            panic!("the read returned instead of the greenlet being killed");
        })
        .unwrap()
    };
    server.start().unwrap();
    let addr = server.local_addr();
    run(LONG, move || {
        let mut client = TcpStream::connect(addr).unwrap();
        reading.wait_timeout(LONG).unwrap();
        assert_eq!(server.connection_count(), 1);

        server.stop(Duration::from_millis(50));
        assert!(server.is_closed());
        assert!(!server.is_started());
        assert!(
            unwound.load(Ordering::SeqCst),
            "the handler was not unwound"
        );
        assert_eq!(server.connection_count(), 0);

        let mut buf = [0; 16];
        assert_eq!(client.read(&mut buf).unwrap(), 0, "client should see EOF");
        let err = TcpStream::connect(addr).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    });
}

#[test]
fn stop_waits_for_handlers_that_finish_in_time() {
    let release = Event::new();
    let inside = Event::new();
    let finished = Queue::new();
    let server = {
        let (release, inside, finished) = (release.clone(), inside.clone(), finished.clone());
        StreamServer::bind("127.0.0.1:0", move |mut conn, peer| {
            inside.set();
            release.wait().unwrap();
            conn.write_all(b"bye\n").unwrap();
            finished.put(peer).unwrap();
        })
        .unwrap()
    };
    server.start().unwrap();
    let addr = server.local_addr();
    run(LONG, move || {
        let mut client = connect(addr);
        inside.wait_timeout(LONG).unwrap();

        let stopper = {
            let server = server.clone();
            greenline::spawn(move || server.stop(LONG))
        };
        // stop is still waiting for the handler (a bounded check of a
        // negative, not a pause: it can only pass wrongly, never fail wrongly).
        assert_eq!(
            stopper.join_timeout(Duration::from_millis(100)),
            Err(GreenletError::TimedOut)
        );
        release.set();
        stopper.join_timeout(LONG).unwrap();

        // The handler ran to its end: it was not killed.
        assert_eq!(
            finished.get_timeout(LONG).unwrap(),
            client.get_ref().local_addr().unwrap()
        );
        assert_eq!(client.readline().unwrap().as_deref(), Some("bye\n"));
        assert_eq!(client.readline().unwrap(), None);
    });
}

#[test]
fn a_full_server_leaves_the_next_client_in_the_backlog() {
    let started: Queue<SocketAddr> = Queue::new();
    let server = {
        let started = started.clone();
        let options = ServerOptions::new().max_connections(2);
        StreamServer::bind_with("127.0.0.1:0", options, move |conn, peer| {
            started.put(peer).unwrap();
            echo(conn, peer);
        })
        .unwrap()
    };
    server.start().unwrap();
    let server = Running(server);
    let addr = server.0.local_addr();
    let server = server.0.clone();
    run(LONG, move || {
        let mut first = connect(addr);
        let mut second = connect(addr);
        assert_eq!(
            roundtrip(&mut first, "1\n").unwrap().as_deref(),
            Some("1\n")
        );
        assert_eq!(
            roundtrip(&mut second, "2\n").unwrap().as_deref(),
            Some("2\n")
        );
        let mut served = vec![
            started.get_timeout(LONG).unwrap(),
            started.get_timeout(LONG).unwrap(),
        ];
        served.sort();
        let mut expected = vec![
            first.get_ref().local_addr().unwrap(),
            second.get_ref().local_addr().unwrap(),
        ];
        expected.sort();
        assert_eq!(served, expected);

        // The kernel completes the handshake (backlog), but no handler runs.
        let mut third = connect(addr);
        third.write_all(b"3\n").unwrap();
        third.flush().unwrap();
        // A bounded check of a negative: it can pass wrongly on a very slow
        // machine, never fail wrongly.
        assert_eq!(
            started.get_timeout(Duration::from_millis(200)),
            Err(GetError::TimedOut)
        );
        assert_eq!(server.connection_count(), 2);

        // One handler ends: the third connection is accepted and served.
        drop(first);
        let third_addr = third.get_ref().local_addr().unwrap();
        assert_eq!(started.get_timeout(LONG).unwrap(), third_addr);
        assert_eq!(third.readline().unwrap().as_deref(), Some("3\n"));
        assert_eq!(
            roundtrip(&mut second, "2b\n").unwrap().as_deref(),
            Some("2b\n")
        );
    });
}

#[test]
fn serve_forever_returns_after_stop_from_another_greenlet() {
    let server = StreamServer::bind("127.0.0.1:0", echo).unwrap();
    let addr = server.local_addr();
    run(LONG, move || {
        let serving = {
            let server = server.clone();
            greenline::spawn(move || server.serve_forever())
        };
        // A round trip proves serve_forever started accepting.
        let mut file = connect(addr);
        assert_eq!(
            roundtrip(&mut file, "up\n").unwrap().as_deref(),
            Some("up\n")
        );
        drop(file);

        server.stop(Duration::from_secs(1));
        serving.join_timeout(LONG).unwrap().unwrap();
        assert!(server.is_closed());
    });
}

#[test]
fn a_stopped_server_does_not_start_again() {
    let server = StreamServer::bind("127.0.0.1:0", echo).unwrap();
    let addr = server.local_addr();
    // Stopping a server that never started closes its listener.
    server.stop(Duration::ZERO);
    assert!(server.is_closed());
    assert_eq!(
        TcpStream::connect(addr).unwrap_err().kind(),
        ErrorKind::ConnectionRefused
    );
    assert_eq!(server.start().unwrap_err().kind(), ErrorKind::NotConnected);
    // serve_forever on a stopped server returns at once.
    server.serve_forever().unwrap();
}

#[rstest]
fn start_twice_is_harmless(echo_server: Running) {
    echo_server.0.start().unwrap();
    let mut file = connect(echo_server.0.local_addr());
    assert_eq!(
        roundtrip(&mut file, "again\n").unwrap().as_deref(),
        Some("again\n")
    );
}

#[test]
fn killing_serve_forever_stops_the_server() {
    let handler_gone = Event::new();
    let reading = Event::new();
    let server = {
        let (handler_gone, reading) = (handler_gone.clone(), reading.clone());
        StreamServer::bind("127.0.0.1:0", move |mut conn, _peer| {
            struct SetOnDrop(Event);
            impl Drop for SetOnDrop {
                fn drop(&mut self) {
                    self.0.set();
                }
            }
            let _gone = SetOnDrop(handler_gone.clone());
            reading.set();
            let _ = conn.read(&mut [0; 16]);
        })
        .unwrap()
    };
    let addr = server.local_addr();
    run(LONG, move || {
        let serving = {
            let server = server.clone();
            greenline::spawn(move || server.serve_forever())
        };
        let mut client = TcpStream::connect(addr).unwrap();
        reading.wait_timeout(LONG).unwrap();

        // As in gevent, the server is stopped in the background: the
        // handler gets one second, then is killed.
        serving.kill();
        handler_gone.wait_timeout(LONG).unwrap();
        assert!(server.is_closed());
        assert_eq!(client.read(&mut [0; 16]).unwrap(), 0);
        let err = TcpStream::connect(addr).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    });
}

/// A handler that closes its server (gevent's `server.close()` from a
/// handler): no new connection is accepted, the handler itself carries on,
/// and `serve_forever` returns once it is done.
#[test]
fn a_handler_closes_its_own_server() {
    let options = ServerOptions::new();
    let server = StreamServer::bind_with_server("127.0.0.1:0", options, |conn, peer, server| {
        let mut file = conn.makefile().unwrap();
        if let Ok(Some(line)) = file.readline() {
            if line == "close\n" {
                server.close();
            }
            // Still served after the close: the reply goes out.
            let _ = file
                .write_all(format!("{peer} said {line}").as_bytes())
                .and_then(|()| file.flush());
        }
    })
    .unwrap();
    let addr = server.local_addr();
    run(LONG, move || {
        let serving = {
            let server = server.clone();
            greenline::spawn(move || server.serve_forever())
        };
        let mut client = connect(addr);
        let me = client.get_ref().local_addr().unwrap();
        assert_eq!(
            roundtrip(&mut client, "close\n").unwrap(),
            Some(format!("{me} said close\n"))
        );
        assert!(server.is_closed());
        assert!(!server.is_started());
        assert_eq!(
            TcpStream::connect(addr).unwrap_err().kind(),
            ErrorKind::ConnectionRefused
        );
        serving.join_timeout(LONG).unwrap().unwrap();
    });
}

/// A server whose handler sets `inside` when it runs, then waits for
/// `release` before it writes `bye` and returns: a handler held running.
fn held_handler_server() -> (StreamServer, Event, Event) {
    let inside = Event::new();
    let release = Event::new();
    let server = {
        let (inside, release) = (inside.clone(), release.clone());
        StreamServer::bind("127.0.0.1:0", move |mut conn, _peer| {
            inside.set();
            release.wait().unwrap();
            conn.write_all(b"bye\n").unwrap();
        })
        .unwrap()
    };
    (server, inside, release)
}

/// `close` returns at once: a running handler is neither waited for nor
/// killed, and a later `stop` waits for it.
#[test]
fn close_returns_at_once_and_leaves_running_handlers_alone() {
    let (server, inside, release) = held_handler_server();
    server.start().unwrap();
    let addr = server.local_addr();
    run(LONG, move || {
        let mut client = connect(addr);
        inside.wait_timeout(LONG).unwrap();

        // A plain call in the test's greenlet: had it waited for the
        // handler, which waits for `release`, the test would hang here.
        server.close();
        assert!(server.is_closed());
        assert_eq!(server.connection_count(), 1);
        assert_eq!(
            TcpStream::connect(addr).unwrap_err().kind(),
            ErrorKind::ConnectionRefused
        );
        server.close();

        let stopper = {
            let server = server.clone();
            greenline::spawn(move || server.stop(LONG))
        };
        // A bounded check of a negative: stop waits for the handler.
        assert_eq!(
            stopper.join_timeout(Duration::from_millis(100)),
            Err(GreenletError::TimedOut)
        );
        release.set();
        assert_eq!(client.readline().unwrap().as_deref(), Some("bye\n"));
        stopper.join_timeout(LONG).unwrap();
        assert_eq!(server.connection_count(), 0);
    });
}

/// After `close`, `stop` does what `close` left undone: it kills a handler
/// that does not finish in time.
#[test]
fn stop_after_close_kills_handlers_left_running() {
    let reading = Event::new();
    let unwound = Arc::new(AtomicBool::new(false));
    let server = {
        let (reading, unwound) = (reading.clone(), unwound.clone());
        StreamServer::bind("127.0.0.1:0", move |mut conn, _peer| {
            let _flag = DropFlag(unwound.clone());
            reading.set();
            let _ = conn.read(&mut [0; 16]);
        })
        .unwrap()
    };
    server.start().unwrap();
    let addr = server.local_addr();
    run(LONG, move || {
        let mut client = TcpStream::connect(addr).unwrap();
        reading.wait_timeout(LONG).unwrap();
        server.close();
        assert!(!unwound.load(Ordering::SeqCst));
        server.stop(Duration::from_millis(50));
        assert!(unwound.load(Ordering::SeqCst), "the handler was not killed");
        assert_eq!(client.read(&mut [0; 16]).unwrap(), 0);
    });
}

/// A handler may stop its own server: the stop neither waits for nor kills
/// the handler that called it, and it kills the others.
#[test]
fn a_handler_stops_its_own_server() {
    let reading = Event::new();
    let other_unwound = Arc::new(AtomicBool::new(false));
    let server = {
        let (reading, other_unwound) = (reading.clone(), other_unwound.clone());
        let options = ServerOptions::new();
        StreamServer::bind_with_server("127.0.0.1:0", options, move |conn, _peer, server| {
            let mut file = conn.makefile().unwrap();
            match file.readline() {
                Ok(Some(line)) if line == "stop\n" => {
                    server.stop(Duration::from_millis(50));
                    let _ = file.write_all(b"stopped\n").and_then(|()| file.flush());
                }
                _ => {
                    let _flag = DropFlag(other_unwound.clone());
                    reading.set();
                    let _ = file.readline();
                }
            }
        })
        .unwrap()
    };
    server.start().unwrap();
    let addr = server.local_addr();
    run(LONG, move || {
        let mut idle = connect(addr);
        idle.write_all(b"wait\n").unwrap();
        idle.flush().unwrap();
        reading.wait_timeout(LONG).unwrap();

        let mut stopper = connect(addr);
        assert_eq!(
            roundtrip(&mut stopper, "stop\n").unwrap().as_deref(),
            Some("stopped\n")
        );
        assert!(other_unwound.load(Ordering::SeqCst));
        assert_eq!(idle.readline().unwrap(), None);
        assert!(server.is_closed());
    });
}

/// `serve_forever`, woken by a `close`, stops the server itself: it
/// returns once the running handler is done.
#[test]
fn serve_forever_returns_after_close_once_handlers_finish() {
    let (server, inside, release) = held_handler_server();
    let addr = server.local_addr();
    run(LONG, move || {
        let serving = {
            let server = server.clone();
            greenline::spawn(move || server.serve_forever())
        };
        let mut client = connect(addr);
        inside.wait_timeout(LONG).unwrap();
        server.close();
        // A bounded check of a negative: serve_forever waits for the handler.
        assert!(matches!(
            serving.join_timeout(Duration::from_millis(100)),
            Err(GreenletError::TimedOut)
        ));
        release.set();
        assert_eq!(client.readline().unwrap().as_deref(), Some("bye\n"));
        serving.join_timeout(LONG).unwrap().unwrap();
    });
}

/// A `stop(timeout)` from another greenlet keeps its own timeout while
/// `serve_forever` runs: `serve_forever`, woken by the stop closing the
/// listener, waits for that stop instead of killing handlers after its
/// own one second.
#[test]
fn serve_forever_does_not_shorten_a_running_stop() {
    let (server, inside, release) = held_handler_server();
    let addr = server.local_addr();
    run(LONG, move || {
        let serving = {
            let server = server.clone();
            greenline::spawn(move || server.serve_forever())
        };
        let mut client = connect(addr);
        inside.wait_timeout(LONG).unwrap();
        let stopper = {
            let server = server.clone();
            greenline::spawn(move || server.stop(LONG))
        };
        // A bounded check of a negative, longer than serve_forever's own
        // one-second grace: the handler is still alive and waited for.
        assert!(matches!(
            serving.join_timeout(Duration::from_millis(1500)),
            Err(GreenletError::TimedOut)
        ));
        release.set();
        assert_eq!(client.readline().unwrap().as_deref(), Some("bye\n"));
        stopper.join_timeout(LONG).unwrap();
        serving.join_timeout(LONG).unwrap().unwrap();
    });
}

/// Of greenlets racing to close a server, exactly one closes it: what
/// gevent's `if not server.closed: server.close()` means.
#[test]
fn one_of_racing_closers_closes() {
    let server = StreamServer::bind("127.0.0.1:0", echo).unwrap();
    server.start().unwrap();
    run(LONG, move || {
        let closers: Vec<_> = (0..8)
            .map(|_| {
                let server = server.clone();
                greenline::spawn(move || server.close())
            })
            .collect();
        let closed: usize = closers
            .into_iter()
            .map(|g| usize::from(g.join().unwrap()))
            .sum();
        assert_eq!(closed, 1);
        assert!(server.is_closed());
    });
}

/// `stop` right after `start`, from a plain thread, before the accept
/// greenlet has had a chance to run: the port is free when `stop` returns
/// (a listener bound to it succeeds).
#[test]
fn stop_before_the_loop_ran_frees_the_port() {
    for _ in 0..300 {
        let server = StreamServer::bind("127.0.0.1:0", echo).unwrap();
        server.start().unwrap();
        server.stop(Duration::from_secs(1));
        TcpListener::bind(server.local_addr()).expect("the port is free after stop");
    }
}
