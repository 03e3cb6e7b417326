//! Cooperative sockets: bind errors, timeouts and deadlines, create_connection,
//! makefile(), UDP and Unix sockets, kill closing sockets.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::time::{Duration, Instant};

use greenline::net::{
    create_connection, ConnectOptions, ListenOptions, TcpListener, TcpStream, UdpSocket,
    UnixListener, UnixStream,
};
use greenline::sync::Event;
use rstest::{fixture, rstest};

const LONG: Duration = Duration::from_secs(10);

#[fixture]
fn listener() -> TcpListener {
    greenline::testing::local_listener().unwrap()
}

/// Accepts one connection and echoes it until EOF.
fn echo_once(l: TcpListener) -> greenline::Greenlet<std::io::Result<u64>> {
    greenline::spawn(move || {
        let (mut s, _) = l.accept()?;
        let mut w = s.try_clone()?;
        std::io::copy(&mut s, &mut w)
    })
}

#[rstest]
fn busy_port_is_addr_in_use_unless_reuse_port_is_asked(listener: TcpListener) {
    let addr = listener.local_addr().unwrap();
    assert_eq!(
        TcpListener::bind(addr).unwrap_err().kind(),
        ErrorKind::AddrInUse
    );
    // Opting in on both sides shares the port, as SO_REUSEPORT does.
    let a = TcpListener::bind_with("127.0.0.1:0", ListenOptions::new().reuse_port(true)).unwrap();
    let b = TcpListener::bind_with(
        a.local_addr().unwrap(),
        ListenOptions::new().reuse_port(true).backlog(16),
    );
    assert!(b.is_ok());
}

#[rstest]
fn echo_through_makefile_line_by_line(listener: TcpListener) {
    let addr = listener.local_addr().unwrap();
    let server = echo_once(listener);
    let lines = greenline::testing::run(LONG, move || {
        let mut f = TcpStream::connect(addr).unwrap().makefile().unwrap();
        for i in 0..3 {
            writeln!(f, "line {i}").unwrap();
        }
        f.flush().unwrap();
        f.get_ref().shutdown(Shutdown::Write).unwrap();
        std::iter::from_fn(|| f.readline().unwrap()).collect::<Vec<_>>()
    });
    assert_eq!(lines, ["line 0\n", "line 1\n", "line 2\n"]);
    assert_eq!(server.join().unwrap().unwrap(), 21);
}

#[rstest]
fn read_timeout_is_timed_out(listener: TcpListener) {
    let addr = listener.local_addr().unwrap();
    let _keep = greenline::spawn(move || {
        listener.accept().map(|(s, _)| {
            // Hold the connection open without writing.
            let _ = greenline::sleep(LONG);
            drop(s);
        })
    });
    let (kind, took) = greenline::spawn(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(30))).unwrap();
        let t = Instant::now();
        (s.read(&mut [0; 8]).unwrap_err().kind(), t.elapsed())
    })
    .join()
    .unwrap();
    assert_eq!(kind, ErrorKind::TimedOut);
    assert!(took >= Duration::from_millis(30), "{took:?}");
    assert_eq!(
        TcpStream::connect(addr)
            .unwrap()
            .set_read_timeout(Some(Duration::ZERO))
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
}

#[rstest]
fn a_timeout_scope_bounds_read_and_accept(listener: TcpListener) {
    let addr = listener.local_addr().unwrap();
    let r = greenline::spawn(move || {
        let accept =
            greenline::with_timeout(Duration::from_millis(20), || listener.accept().map(drop));
        let _client = std::net::TcpStream::connect(addr).unwrap();
        let (mut conn, _) = listener.accept().unwrap();
        let read = greenline::with_timeout(Duration::from_millis(20), || conn.read(&mut [0; 4]));
        (accept.unwrap_err().kind(), read.unwrap_err().kind())
    })
    .join()
    .unwrap();
    assert_eq!(r, (ErrorKind::TimedOut, ErrorKind::TimedOut));
}

#[test]
fn accept_timeout_on_a_plain_thread() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let t = Instant::now();
    assert_eq!(
        l.accept_timeout(Duration::from_millis(20))
            .unwrap_err()
            .kind(),
        ErrorKind::TimedOut
    );
    assert!(t.elapsed() >= Duration::from_millis(20));
}

#[rstest]
fn killing_a_greenlet_closes_its_socket(listener: TcpListener) {
    let addr = listener.local_addr().unwrap();
    let accepted = Event::new();
    let holder = {
        let accepted = accepted.clone();
        greenline::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            accepted.set();
            let _ = s.read(&mut [0; 1]); // blocks until killed
        })
    };
    let mut client = std::net::TcpStream::connect(addr).unwrap();
    client.set_read_timeout(Some(LONG)).unwrap();
    accepted.wait_timeout(LONG).unwrap();
    holder.kill_timeout(LONG).unwrap();
    // The killed greenlet's socket was dropped: the client sees EOF.
    assert_eq!(client.read(&mut [0; 1]).unwrap(), 0);
}

#[rstest]
fn create_connection_resolves_names_and_tries_every_address(listener: TcpListener) {
    let port = listener.local_addr().unwrap().port();
    let server = echo_once(listener);
    let mut s = greenline::spawn(move || {
        create_connection(("localhost", port), ConnectOptions::new().timeout(LONG))
    })
    .join()
    .unwrap()
    .unwrap();
    s.write_all(b"hi").unwrap();
    let mut buf = [0; 2];
    s.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"hi");
    drop(s);
    server.join().unwrap().unwrap();
}

#[test]
fn create_connection_errors() {
    // Nothing listens on a port we just freed: refused.
    let port = greenline::testing::free_port().unwrap();
    let refused = create_connection(("127.0.0.1", port), ConnectOptions::new()).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);
    // A name that cannot resolve fails without hanging (and off the workers).
    let unresolved = greenline::spawn(|| {
        create_connection(
            ("no-such-host.invalid", 80),
            ConnectOptions::new().timeout(LONG),
        )
    })
    .join()
    .unwrap();
    assert!(unresolved.is_err());
}

#[rstest]
fn create_connection_with_a_source_address(listener: TcpListener) {
    let addr = listener.local_addr().unwrap();
    let peer = greenline::spawn(move || listener.accept().map(|(_, peer)| peer));
    let src: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let s = create_connection(addr, ConnectOptions::new().source_address(src)).unwrap();
    assert_eq!(peer.join().unwrap().unwrap(), s.local_addr().unwrap());
}

#[test]
fn socket_options() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let s = TcpStream::connect(l.local_addr().unwrap()).unwrap();
    s.set_nodelay(true).unwrap();
    assert!(s.nodelay().unwrap());
    s.set_keepalive(Some(Duration::from_secs(30))).unwrap();
    assert!(s.keepalive().unwrap());
    s.set_keepalive(None).unwrap();
    assert!(!s.keepalive().unwrap());
}

#[test]
fn udp_round_trip_and_timeout() {
    let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    let a_addr = a.local_addr().unwrap();
    assert_eq!(
        UdpSocket::bind(a_addr).unwrap_err().kind(),
        ErrorKind::AddrInUse
    );
    let got = greenline::spawn(move || {
        let mut buf = [0; 32];
        let (n, from) = a.recv_from(&mut buf).unwrap();
        a.send_to(&buf[..n], from).unwrap();
        a.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
        a.recv_from(&mut buf).unwrap_err().kind()
    });
    b.send_to(b"ping", a_addr).unwrap();
    let mut buf = [0; 32];
    let (n, _) = b.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"ping");
    assert_eq!(got.join().unwrap(), ErrorKind::TimedOut);
}

#[test]
fn unix_stream_pair_and_listener() {
    let (a, b) = UnixStream::pair().unwrap();
    let echo = greenline::spawn(move || {
        let mut f = b.makefile().unwrap();
        let line = f.readline().unwrap().unwrap();
        f.write_all(line.to_uppercase().as_bytes()).unwrap();
        f.flush().unwrap();
    });
    let mut f = a.makefile().unwrap();
    f.write_all(b"shout\n").unwrap();
    f.flush().unwrap();
    assert_eq!(f.readline().unwrap().as_deref(), Some("SHOUT\n"));
    echo.join().unwrap();

    let path = std::env::temp_dir().join(format!("greenline-net-test-{}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let l = UnixListener::bind(&path).unwrap();
    let server = greenline::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        text
    });
    UnixStream::connect(&path)
        .unwrap()
        .write_all(b"over ipc")
        .unwrap();
    assert_eq!(server.join().unwrap(), "over ipc");
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn a_thread_and_a_greenlet_share_a_connection() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let server = echo_once(l);
    // The client runs on a plain thread with greenline's stream: it blocks
    // the thread, while the echo greenlet yields.
    let t = std::thread::spawn(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"from a thread").unwrap();
        s.shutdown(Shutdown::Write).unwrap();
        let mut back = String::new();
        s.read_to_string(&mut back).unwrap();
        back
    });
    assert_eq!(t.join().unwrap(), "from a thread");
    server.join().unwrap().unwrap();
}

/// A timed stream on a plain thread: its timeouts are greenline's too, and
/// the thread waits with poll(2). The read times out, not early; data
/// that arrives later is read; a write that cannot finish times out.
#[test]
fn timed_reads_and_writes_on_a_plain_thread() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let (accepted, wrote_late, done) = (Event::new(), Event::new(), Event::new());
    let peer = {
        let (accepted, wrote_late, done) = (accepted.clone(), wrote_late.clone(), done.clone());
        greenline::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            accepted.set();
            wrote_late.wait_timeout(LONG).unwrap();
            s.write_all(b"late").unwrap();
            // Read nothing more until the client is done, so its writes
            // fill the buffers.
            done.wait_timeout(LONG).unwrap();
        })
    };
    let client = std::thread::spawn(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(40))).unwrap();
        s.set_write_timeout(Some(Duration::from_millis(40)))
            .unwrap();
        accepted.wait_timeout(LONG).unwrap();
        let t = Instant::now();
        let timed_out = s.read(&mut [0; 8]).unwrap_err().kind();
        let took = t.elapsed();
        wrote_late.set();
        // The late write comes from a greenlet, which a loaded machine (the
        // whole suite at once) can delay past 40 ms: this read waits long.
        s.set_read_timeout(Some(LONG)).unwrap();
        let mut got = [0; 4];
        s.read_exact(&mut got).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        // Bounded: the kernel's buffers hold a few megabytes at most.
        let write_err = (0..10_000)
            .find_map(|_| s.write(&chunk).err())
            .map(|e| e.kind());
        done.set();
        (timed_out, took, got, write_err)
    });
    let (timed_out, took, got, write_err) = client.join().unwrap();
    assert_eq!(timed_out, ErrorKind::TimedOut);
    assert!(took >= Duration::from_millis(40), "{took:?}");
    assert_eq!(&got, b"late");
    assert_eq!(write_err, Some(ErrorKind::TimedOut));
    peer.join().unwrap();
}

/// A write that fills the kernel's buffers waits for room and resumes as
/// the peer reads: 16 MiB through a loopback connection whose buffers hold
/// a few megabytes, the reader a greenlet that only runs while the writer
/// waits (or on another worker). A lost wake-up would hang until the
/// harness's deadline.
#[rstest]
fn a_write_that_fills_the_buffers_waits_for_room(listener: TcpListener) {
    const TOTAL: usize = 16 << 20;
    let addr = listener.local_addr().unwrap();
    let ((read, read_sum), sent_sum) = greenline::testing::run(LONG, move || {
        let reader = greenline::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = vec![0u8; 64 * 1024];
            let (mut n, mut sum) = (0usize, 0u64);
            loop {
                match s.read(&mut buf).unwrap() {
                    0 => return (n, sum),
                    k => {
                        n += k;
                        sum += buf[..k].iter().map(|&b| u64::from(b)).sum::<u64>();
                    }
                }
            }
        });
        let mut c = TcpStream::connect(addr).unwrap();
        let data: Vec<u8> = (0..TOTAL).map(|i| (i % 251) as u8).collect();
        c.write_all(&data).unwrap();
        c.shutdown(Shutdown::Write).unwrap();
        let sent_sum = data.iter().map(|&b| u64::from(b)).sum::<u64>();
        (reader.join().unwrap(), sent_sum)
    });
    assert_eq!(read, TOTAL);
    assert_eq!(read_sum, sent_sum);
}

// A read that came back short waits for the next event instead of trying
// first; these check that no end of file or input is lost on the way.

#[rstest]
fn end_of_file_queued_behind_the_last_data_is_seen(listener: TcpListener) {
    let addr = listener.local_addr().unwrap();
    let got = greenline::testing::run(LONG, move || {
        let mut c = TcpStream::connect(addr).unwrap();
        let (mut s, _) = listener.accept().unwrap();
        // Data and FIN are both queued before the first read.
        s.write_all(b"abc").unwrap();
        drop(s);
        // The first read is short; the end of file is already queued, its
        // event long gone: the second must not wait for another.
        let mut got = Vec::new();
        c.read_to_end(&mut got).unwrap();
        got
    });
    assert_eq!(got, b"abc");
}

#[rstest]
fn input_announced_while_writing_is_read(listener: TcpListener) {
    let addr = listener.local_addr().unwrap();
    let got = greenline::testing::run(LONG, move || {
        let mut c = TcpStream::connect(addr).unwrap();
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = [0; 64];
        // The first read most likely finds nothing and waits, so later
        // short reads wait for events rather than trying first.
        let one = greenline::spawn_later(Duration::from_millis(10), move || {
            s.write_all(b"one").unwrap();
            s
        });
        assert_eq!(c.read(&mut buf).unwrap(), 3);
        let mut s = one.join().unwrap();
        let peer = greenline::spawn(move || {
            let mut one = [0; 3];
            s.read_exact(&mut one).unwrap();
            // Answer, then close: input and end of file arrive while the
            // other side is between its write and its next read.
            s.write_all(b"two").unwrap();
        });
        c.write_all(b"ack").unwrap();
        peer.join().unwrap();
        // The peer's answer and close came in after the write: the events
        // are in may's flag, or were taken by the write and remembered.
        let mut got = Vec::new();
        c.read_to_end(&mut got).unwrap();
        got
    });
    assert_eq!(got, b"two");
}

#[rstest]
fn a_greenlet_waiting_after_a_short_read_is_killed(listener: TcpListener) {
    let addr = listener.local_addr().unwrap();
    let reading = Event::new();
    let entered = reading.clone();
    let returned = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = returned.clone();
    let reader = greenline::spawn(move || {
        let mut c = TcpStream::connect(addr).unwrap();
        let (mut s, _) = listener.accept().unwrap();
        s.write_all(b"x").unwrap();
        let mut buf = [0; 8];
        assert_eq!(c.read(&mut buf).unwrap(), 1);
        entered.set();
        // Short read: this one waits for an event that never comes, until
        // the kill, which must unwind out of it.
        let _ = c.read(&mut buf);
        flag.store(true, std::sync::atomic::Ordering::SeqCst);
        drop(s);
    });
    reading.wait_timeout(LONG).unwrap();
    reader.kill_timeout(LONG).unwrap();
    assert!(matches!(
        reader.join(),
        Err(greenline::GreenletError::Killed { .. })
    ));
    assert!(
        !returned.load(std::sync::atomic::Ordering::SeqCst),
        "the read returned"
    );
}

#[rstest]
fn a_read_timeout_never_reports_early(listener: TcpListener) {
    let addr = listener.local_addr().unwrap();
    let _keep = greenline::spawn(move || {
        listener.accept().map(|(s, _)| {
            let _ = greenline::sleep(LONG);
            drop(s);
        })
    });
    greenline::testing::run(LONG, move || {
        let mut s = TcpStream::connect(addr).unwrap();
        let t = Duration::from_millis(3);
        s.set_read_timeout(Some(t)).unwrap();
        // may's timers may fire up to a tick early; each wait here must
        // still last its whole timeout.
        for _ in 0..50 {
            let started = Instant::now();
            let err = s.read(&mut [0; 8]).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::TimedOut);
            assert!(
                started.elapsed() >= t,
                "timed out after {:?}",
                started.elapsed()
            );
        }
    });
}

/// A connected pair: a greenline stream and the std peer that feeds it.
fn fed_stream() -> (TcpStream, std::net::TcpStream) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let peer = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
    let (s, _) = l.accept().unwrap();
    (s, peer)
}

#[test]
fn readline_keeps_a_line_that_is_not_utf8() {
    let (s, mut peer) = fed_stream();
    peer.write_all(b"caf\xe9\nnext\n").unwrap();
    let mut f = s.makefile().unwrap();
    let e = f.readline().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidData);
    let bytes = e
        .into_inner()
        .and_then(|e| e.downcast::<std::string::FromUtf8Error>().ok())
        .map(|e| e.into_bytes());
    assert_eq!(bytes.as_deref(), Some(&b"caf\xe9\n"[..]));
    assert_eq!(f.readline().unwrap().as_deref(), Some("next\n"));
    peer.write_all(b"\xff\xfe\n").unwrap();
    drop(peer);
    assert_eq!(
        f.readline_bytes().unwrap().as_deref(),
        Some(&b"\xff\xfe\n"[..])
    );
    assert_eq!(f.readline_bytes().unwrap(), None);
}

#[test]
fn a_line_cut_short_by_a_timeout_is_completed_by_the_next_readline() {
    let (s, mut peer) = fed_stream();
    s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let mut f = s.makefile().unwrap();
    peer.write_all(b"hel").unwrap();
    assert_eq!(f.readline().unwrap_err().kind(), ErrorKind::TimedOut);
    peer.write_all(b"lo\nrest").unwrap();
    assert_eq!(f.readline().unwrap().as_deref(), Some("hello\n"));
    // A plain read after a cut line gets the cut bytes first.
    assert_eq!(f.readline().unwrap_err().kind(), ErrorKind::TimedOut);
    let mut buf = [0u8; 16];
    let n = f.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"rest");
}

#[test]
fn closing_a_listener_wakes_its_accept_in_a_greenlet_and_a_thread() {
    let l = std::sync::Arc::new(TcpListener::bind("127.0.0.1:0").unwrap());
    let addr = l.local_addr().unwrap();
    let started = std::sync::Arc::new(Event::new());
    let in_greenlet = {
        let (l, started) = (l.clone(), started.clone());
        greenline::spawn(move || {
            started.set();
            l.accept().map(|_| ())
        })
    };
    started.wait_timeout(LONG).unwrap();
    l.close();
    let e = in_greenlet.join().unwrap().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotConnected);
    assert_eq!(l.accept().unwrap_err().kind(), ErrorKind::NotConnected);

    // A thread waiting on a clone: closing the original leaves the clone
    // accepting, as a gevent dup does; closing the clone wakes the thread.
    let l2 = TcpListener::bind("127.0.0.1:0").unwrap();
    let clone = std::sync::Arc::new(l2.try_clone().unwrap());
    let addr2 = l2.local_addr().unwrap();
    l2.close();
    let accepted = {
        let c = clone.clone();
        std::thread::spawn(move || c.accept().map(|(_, peer)| peer))
    };
    let client = std::net::TcpStream::connect(addr2).unwrap();
    assert_eq!(
        accepted.join().unwrap().unwrap(),
        client.local_addr().unwrap()
    );
    let waiting = {
        let c = clone.clone();
        std::thread::spawn(move || c.accept().map(|_| ()))
    };
    clone.close();
    assert_eq!(
        waiting.join().unwrap().unwrap_err().kind(),
        ErrorKind::NotConnected
    );
    let _ = addr;
}

#[test]
fn closing_a_udp_socket_wakes_its_receivers() {
    let a = std::sync::Arc::new(UdpSocket::bind("127.0.0.1:0").unwrap());
    let started = std::sync::Arc::new(Event::new());
    let receiver = {
        let (a, started) = (a.clone(), started.clone());
        greenline::spawn(move || {
            started.set();
            a.recv_from(&mut [0u8; 16]).map(|_| ())
        })
    };
    started.wait_timeout(LONG).unwrap();
    a.close();
    let e = receiver.join().unwrap().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotConnected);

    let b = std::sync::Arc::new(UdpSocket::bind("127.0.0.1:0").unwrap());
    let on_thread = {
        let b = b.clone();
        std::thread::spawn(move || b.recv_from(&mut [0u8; 16]).map(|_| ()))
    };
    b.close();
    let e = on_thread.join().unwrap().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotConnected);
}

#[test]
fn a_udp_clone_receives_while_the_original_sends() {
    let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    let a2 = a.try_clone().unwrap();
    let b_addr = b.local_addr().unwrap();
    let a_addr = a.local_addr().unwrap();
    let echo = greenline::spawn(move || {
        let mut buf = [0u8; 16];
        let (n, from) = b.recv_from(&mut buf).unwrap();
        b.send_to(&buf[..n], from).unwrap();
    });
    let recv = greenline::spawn(move || {
        let mut buf = [0u8; 16];
        let (n, from) = a2.recv_from(&mut buf).unwrap();
        (buf[..n].to_vec(), from)
    });
    a.send_to(b"ping", b_addr).unwrap();
    echo.join().unwrap();
    let (got, from) = recv.join().unwrap();
    assert_eq!((got.as_slice(), from), (&b"ping"[..], b_addr));
    let _ = a_addr;
}

#[test]
fn wait_read_and_wait_write_on_a_descriptor_greenline_does_not_own() {
    use std::os::fd::AsFd;
    let (mut tx, rx) = std::os::unix::net::UnixStream::pair().unwrap();
    // Times out while nothing comes, in a greenlet and on a thread; the
    // descriptor stays in blocking mode.
    let rx = std::sync::Arc::new(rx);
    let r = rx.clone();
    let e = greenline::spawn(move || {
        greenline::net::wait_read(r.as_fd(), Some(Duration::from_millis(30)))
    })
    .join()
    .unwrap()
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimedOut);
    let e = greenline::net::wait_read(rx.as_fd(), Some(Duration::from_millis(30))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimedOut);
    // Woken by data.
    let started = std::sync::Arc::new(Event::new());
    let waiter = {
        let (r, started) = (rx.clone(), started.clone());
        greenline::spawn(move || {
            started.set();
            greenline::net::wait_read(r.as_fd(), Some(LONG))
        })
    };
    started.wait_timeout(LONG).unwrap();
    tx.write_all(b"x").unwrap();
    waiter.join().unwrap().unwrap();
    let mut b = [0u8; 1];
    (&*rx).read_exact(&mut b).unwrap();
    // A socket with room is writable at once.
    greenline::spawn(move || greenline::net::wait_write(tx.as_fd(), Some(LONG)))
        .join()
        .unwrap()
        .unwrap();
    // The descriptor's own mode is as it was: blocking (O_NONBLOCK clear).
    let fdinfo = std::fs::read_to_string(format!(
        "/proc/self/fdinfo/{}",
        std::os::fd::AsRawFd::as_raw_fd(&*rx)
    ))
    .unwrap();
    let flags = fdinfo
        .lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .map(|f| u32::from_str_radix(f.trim(), 8).unwrap())
        .unwrap();
    assert_eq!(flags & 0o4000, 0, "O_NONBLOCK left set: {flags:o}");
}

/// gevent's sendfile recipe on a greenline socket: sendfile(2) on the
/// non-blocking descriptor until `EAGAIN`, then `TcpStream::wait_write`,
/// which is woken as the peer reads. The sender's buffer is made small so
/// the file cannot fit: the wait is taken for sure, and the peer only
/// starts reading once the sender had to wait.
#[test]
fn wait_write_lets_a_raw_sendfile_wait_for_room() {
    use nix::errno::Errno;
    use nix::sys::sendfile::sendfile;

    let path = std::env::temp_dir().join(format!("greenline-wait-write-{}", std::process::id()));
    let content: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &content).unwrap();
    let file = std::fs::File::open(&path).unwrap();
    std::fs::remove_file(&path).unwrap();

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let sender = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    socket2::SockRef::from(&sender)
        .set_send_buffer_size(4096)
        .unwrap();
    let (receiver, _) = listener.accept().unwrap();
    let mut out = TcpStream::from_std(sender).unwrap();
    let mut peer = TcpStream::from_std(receiver).unwrap();

    let expected = content.clone();
    greenline::testing::run(LONG, move || {
        let must_wait = Event::new();
        let reader = {
            let must_wait = must_wait.clone();
            greenline::spawn(move || {
                must_wait.wait().unwrap();
                let mut got = Vec::new();
                peer.read_to_end(&mut got).unwrap();
                got
            })
        };
        let (mut offset, mut waits) = (0i64, 0);
        while (offset as usize) < content.len() {
            let left = content.len() - offset as usize;
            match sendfile(&out, &file, Some(&mut offset), left) {
                Ok(_) => {}
                Err(Errno::EAGAIN) => {
                    waits += 1;
                    must_wait.set();
                    out.wait_write().unwrap();
                }
                Err(e) => panic!("sendfile: {e}"),
            }
        }
        assert!(
            waits > 0,
            "the file fit in the send buffer: nothing was tested"
        );
        out.shutdown(Shutdown::Write).unwrap();
        assert!(
            reader.join().unwrap() == expected,
            "the file arrived changed"
        );
    });
}
