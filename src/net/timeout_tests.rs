//! Socket timeouts kept by greenline's timer thread: never early, never
//! lost, moved later and earlier, on greenlets and on plain threads.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use crate::net::{TcpListener, TcpStream};
use crate::time::timer::{deadline_after, passed};

/// A connected pair: a server side in greenline keeping its own
/// timers (made in the greenlet that uses it), and a std client.
fn served<T: Send + 'static>(
    f: impl FnOnce(TcpStream) -> T + Send + 'static,
) -> (crate::Greenlet<T>, std::net::TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let server = crate::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        f(s)
    });
    (server, client)
}

/// Reads once with `t` as the read timeout; how long it took and what
/// it returned.
fn timed_read(s: &mut TcpStream, t: Duration) -> (Duration, std::io::Result<usize>) {
    s.set_read_timeout(Some(t)).unwrap();
    let start = Instant::now();
    let r = s.read(&mut [0; 16]);
    (start.elapsed(), r)
}

#[test]
fn deadlines_are_never_early() {
    let start = Instant::now();
    let d = deadline_after(Duration::from_millis(30));
    while !passed(d) {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(start.elapsed() >= Duration::from_millis(30));
}

#[test]
fn a_read_times_out_on_time() {
    let (server, _client) = served(|mut s| timed_read(&mut s, Duration::from_millis(60)));
    let (took, r) = server.join().unwrap();
    assert_eq!(r.unwrap_err().kind(), std::io::ErrorKind::TimedOut);
    assert!(took >= Duration::from_millis(60), "{took:?}");
    assert!(took < Duration::from_millis(1000), "{took:?}");
}

#[test]
fn data_before_the_deadline_wins_and_the_next_read_waits_again() {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let (server, mut client) = served(move |mut s| {
        // Trust the socket first (an EAGAIN read), then wait on it.
        let first = timed_read(&mut s, Duration::from_millis(20));
        tx.send(()).unwrap();
        let second = timed_read(&mut s, Duration::from_secs(10));
        let third = timed_read(&mut s, Duration::from_millis(50));
        (first.1.is_err(), second, third)
    });
    rx.recv_timeout(Duration::from_secs(5)).unwrap();
    std::thread::sleep(Duration::from_millis(30));
    client.write_all(b"hi").unwrap();
    let (first_timed_out, second, third) = server.join().unwrap();
    assert!(first_timed_out);
    assert_eq!(second.1.unwrap(), 2);
    assert!(second.0 < Duration::from_secs(5), "{:?}", second.0);
    assert_eq!(third.1.unwrap_err().kind(), std::io::ErrorKind::TimedOut);
}

#[test]
fn a_deadline_moved_later_is_not_fired_early() {
    let (server, mut client) = served(|mut s| {
        // Leaves an entry due in about 40 ms.
        s.set_read_timeout(Some(Duration::from_millis(40))).unwrap();
        let mut buf = [0; 16];
        let got = s.read(&mut buf).unwrap();
        // This wait outlives that entry: the thread must queue it again.
        let later = timed_read(&mut s, Duration::from_millis(150));
        (got, later)
    });
    client.write_all(b"x").unwrap();
    let (got, (took, r)) = server.join().unwrap();
    assert_eq!(got, 1);
    assert_eq!(r.unwrap_err().kind(), std::io::ErrorKind::TimedOut);
    assert!(took >= Duration::from_millis(150), "{took:?}");
}

#[test]
fn a_deadline_moved_earlier_fires_on_time() {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let (server, mut client) = served(move |mut s| {
        let _ = timed_read(&mut s, Duration::from_millis(5));
        tx.send(()).unwrap();
        // Woken by data while its entry is due in 30 s...
        let long = timed_read(&mut s, Duration::from_secs(30));
        // ...so this shorter wait needs an earlier entry of its own.
        let short = timed_read(&mut s, Duration::from_millis(40));
        (long.1.ok(), short)
    });
    rx.recv_timeout(Duration::from_secs(5)).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    client.write_all(b"x").unwrap();
    let (long, (took, r)) = server.join().unwrap();
    assert_eq!(long, Some(1));
    assert_eq!(r.unwrap_err().kind(), std::io::ErrorKind::TimedOut);
    assert!(took >= Duration::from_millis(40), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[test]
fn many_sockets_each_time_out_after_their_own_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let clients: Vec<_> = (0..20)
        .map(|_| std::net::TcpStream::connect(addr).unwrap())
        .collect();
    let mut waiters = Vec::new();
    for i in 0..20u64 {
        let (mut s, _) = listener.accept().unwrap();
        waiters.push(crate::spawn(move || {
            let t = Duration::from_millis(20 + 10 * (i % 7));
            let (took, r) = timed_read(&mut s, t);
            (t, took, r.map_err(|e| e.kind()))
        }));
    }
    for w in waiters {
        let (t, took, r) = w.join().unwrap();
        assert_eq!(r, Err(std::io::ErrorKind::TimedOut));
        assert!(took >= t, "{took:?} < {t:?}");
        assert!(took < t + Duration::from_secs(2), "{took:?}");
    }
    drop(clients);
}

#[test]
fn a_write_times_out_when_the_peer_does_not_read() {
    let (server, _client) = served(|mut s| {
        s.set_write_timeout(Some(Duration::from_millis(80)))
            .unwrap();
        let chunk = vec![0u8; 64 * 1024];
        let start = Instant::now();
        loop {
            if let Err(e) = s.write(&chunk) {
                return (start.elapsed(), e.kind());
            }
            assert!(start.elapsed() < Duration::from_secs(10), "never blocked");
        }
    });
    let (took, kind) = server.join().unwrap();
    assert_eq!(kind, std::io::ErrorKind::TimedOut);
    assert!(took >= Duration::from_millis(80), "{took:?}");
}

#[test]
fn a_greenlet_timeout_bounds_a_read_without_a_socket_timeout() {
    let (server, _client) = served(|mut s| {
        let start = Instant::now();
        let r = {
            let _t = crate::Timeout::start(Duration::from_millis(50));
            s.read(&mut [0; 4])
        };
        // The socket's own timeout (none) is back afterwards.
        (start.elapsed(), r.map_err(|e| e.kind()), s.read_timeout())
    });
    let (took, r, own) = server.join().unwrap();
    assert_eq!(r, Err(std::io::ErrorKind::TimedOut));
    assert!(took >= Duration::from_millis(50), "{took:?}");
    assert_eq!(own, None);
}

#[test]
fn killing_a_waiting_greenlet_unwinds_it() {
    let (server, _client) = served(|mut s| {
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let _ = s.read(&mut [0; 4]);
        unreachable!("the read is killed, not finished");
    });
    std::thread::sleep(Duration::from_millis(20));
    server.kill_timeout(Duration::from_secs(5)).unwrap();
    assert!(server.join().is_err());
}

#[test]
fn on_a_plain_thread_the_timeouts_still_hold() {
    let (server, _client) = served(|s| s);
    let mut s = server.join().unwrap();
    let (took, r) = std::thread::spawn(move || timed_read(&mut s, Duration::from_millis(40)))
        .join()
        .unwrap();
    assert_eq!(r.unwrap_err().kind(), std::io::ErrorKind::TimedOut);
    assert!(took >= Duration::from_millis(40), "{took:?}");
}

#[test]
fn on_a_plain_thread_a_read_waits_for_data() {
    let (server, mut client) = served(|mut s| {
        // Trusted and drained on the greenlet, so the thread's read
        // waits before it tries.
        let _ = timed_read(&mut s, Duration::from_millis(5));
        s
    });
    let mut s = server.join().unwrap();
    let reader = std::thread::spawn(move || timed_read(&mut s, Duration::from_secs(10)));
    std::thread::sleep(Duration::from_millis(30));
    client.write_all(b"late").unwrap();
    let (took, r) = reader.join().unwrap();
    assert_eq!(r.unwrap(), 4);
    assert!(took < Duration::from_secs(5), "{took:?}");
}
