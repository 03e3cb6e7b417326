//! `Duration::MAX` is what a port writes for gevent's `timeout=None`: every
//! API that takes a timeout treats a timeout too long to represent as no
//! timeout, and none of them panics or loses a value over it.

use std::io::ErrorKind;
use std::time::Duration;

use greenline::sync::{
    AsyncResult, BoundedSemaphore, Channel, Event, JoinableQueue, Queue, RLock, Semaphore,
};
use greenline::{GreenletError, Group};

const MAX: Duration = Duration::MAX;
const SHORT: Duration = Duration::from_millis(30);

/// Runs `f` in a greenlet and on this thread.
fn both(f: impl Fn() + Send + Sync + Clone + 'static) {
    greenline::spawn(f.clone()).join().unwrap();
    f();
}

#[test]
fn event_wait() {
    both(|| {
        let e = Event::new();
        e.set();
        e.wait_timeout(MAX).unwrap();
    });
}

#[test]
fn queue_put_and_get() {
    both(|| {
        let q = Queue::bounded(1);
        q.put_timeout(7, MAX).unwrap();
        assert_eq!(q.get_timeout(MAX).unwrap(), 7);
    });
}

#[test]
fn channel_put_and_get() {
    let ch = std::sync::Arc::new(Channel::new());
    let getter = {
        let ch = ch.clone();
        greenline::spawn(move || ch.get_timeout(MAX).unwrap())
    };
    ch.put_timeout(5, MAX).unwrap();
    assert_eq!(getter.join().unwrap(), 5);
}

#[test]
fn joinable_queue() {
    both(|| {
        let q = JoinableQueue::new();
        q.put_timeout("job", MAX).unwrap();
        assert_eq!(q.get_timeout(MAX).unwrap(), "job");
        q.task_done().unwrap();
        q.join_timeout(MAX).unwrap();
    });
}

#[test]
fn async_result() {
    both(|| {
        let r: AsyncResult<u8, ()> = AsyncResult::new();
        r.set(3);
        assert_eq!(r.get_timeout(MAX).ok(), Some(3));
    });
}

#[test]
fn locks_and_semaphores() {
    both(|| {
        let l = RLock::new();
        let _g = l.lock_timeout(MAX).unwrap();
        let s = Semaphore::new(1);
        let _p = s.acquire_timeout(MAX).unwrap();
        let b = BoundedSemaphore::new(1);
        let _q = b.acquire_timeout(MAX).unwrap();
    });
}

#[test]
fn greenlet_join_joinall_kill_and_group() {
    let g = greenline::spawn(|| 1);
    assert_eq!(g.join_timeout(MAX).unwrap(), 1);
    let gs: Vec<_> = (0..3).map(|i| greenline::spawn(move || i)).collect();
    assert!(greenline::joinall(&gs, Some(MAX)));
    let group = Group::new();
    group.spawn(|| ());
    assert!(group.join(Some(MAX)));
    let sleeper = greenline::spawn(|| greenline::sleep(MAX));
    sleeper.kill_timeout(MAX).unwrap();
    assert!(matches!(sleeper.join(), Err(GreenletError::Killed { .. })));
}

#[test]
fn sleep_of_max_sleeps_until_killed() {
    let g = greenline::spawn(|| greenline::sleep(MAX));
    assert_eq!(g.join_timeout(SHORT).unwrap_err(), GreenletError::TimedOut);
    g.kill();
    assert!(matches!(g.join(), Err(GreenletError::Killed { .. })));
}

#[test]
fn timeout_scopes() {
    greenline::spawn(|| {
        let _t = greenline::Timeout::start(MAX);
        greenline::sleep(SHORT).unwrap();
        let r = greenline::with_timeout(MAX, || greenline::sleep(SHORT));
        r.unwrap();
        // A real deadline inside still applies.
        let e = greenline::with_timeout(SHORT, || greenline::sleep(Duration::from_secs(5)));
        assert_eq!(e.unwrap_err().kind(), ErrorKind::TimedOut);
    })
    .join()
    .unwrap();
}

#[test]
fn socket_timeouts() {
    let l = greenline::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let mut c = greenline::net::TcpStream::connect_timeout(&addr, MAX).unwrap();
    let (s, _) = l.accept_timeout(MAX).unwrap();
    s.set_read_timeout(Some(MAX)).unwrap();
    c.set_write_timeout(Some(MAX)).unwrap();
    std::io::Write::write_all(&mut c, b"x").unwrap();
    let mut s = s;
    let mut b = [0u8; 1];
    std::io::Read::read_exact(&mut s, &mut b).unwrap();
    assert_eq!(&b, b"x");
}

#[test]
fn blocking_task_join() {
    let t = greenline::threadpool::spawn_blocking(|| 9);
    assert_eq!(t.join_timeout(MAX).unwrap(), 9);
}

#[test]
fn stream_server_stop() {
    let server = greenline::server::StreamServer::bind("127.0.0.1:0", |_s, _| {}).unwrap();
    server.start().unwrap();
    server.stop(MAX);
    assert!(server.is_closed());
}

#[test]
fn zmq_intervals() {
    let ctx = greenline::zmq::Context::new();
    let rep = ctx.socket(greenline::zmq::REP).unwrap();
    rep.set_rcvtimeo(Some(MAX));
    rep.set_sndtimeo(Some(MAX));
    rep.set_handshake_ivl(Some(MAX));
    rep.bind("tcp://127.0.0.1:*").unwrap();
    let addr = rep.last_endpoint().unwrap();
    let req = ctx.socket(greenline::zmq::REQ).unwrap();
    req.set_heartbeat_ivl(Some(MAX));
    req.connect(&addr).unwrap();
    req.send(&b"ping"[..], 0).unwrap();
    assert_eq!(&rep.recv(0).unwrap()[..], b"ping");
}
