//! The context: `Context::instance` (pyzmq's shared context) and
//! `Context::term`, which fails blocked calls with `ConnectionAborted`
//! (libzmq's ETERM), then waits for every socket to be closed and its
//! linger to be over.

mod common;

use std::io::ErrorKind;
use std::time::{Duration, Instant};

use greenline::testing::run;
use greenline::zmq::{self, ZmqError, POLLIN};

const DEADLINE: Duration = Duration::from_secs(10);

fn assert_terminated(e: &std::io::Error) {
    assert_eq!(e.kind(), ErrorKind::ConnectionAborted, "{e}");
    assert_eq!(ZmqError::from_io(e), Some(&ZmqError::ContextTerminated));
}

/// An endpoint where nobody listens (yet).
fn unused_tcp_endpoint() -> String {
    format!(
        "tcp://127.0.0.1:{}",
        greenline::testing::free_port().unwrap()
    )
}

/// A PUSH with messages queued for a peer that is not there, `linger`
/// 200 ms, dropped; a PULL in another greenlet blocked in recv (or about
/// to be: a recv after term fails the same way). term fails the recv (the
/// greenlet returns, dropping its socket) and returns once the PUSH's
/// linger has run out.
#[test]
fn term_fails_blocked_calls_and_waits_out_the_linger() {
    run(DEADLINE, || {
        const LINGER: Duration = Duration::from_millis(200);
        let ctx = zmq::Context::new();
        let pull = ctx.socket(zmq::PULL).unwrap();
        common::zmq::bind(&pull, "tcp");
        let receiver = greenline::spawn(move || pull.recv(0));
        let push = ctx.socket(zmq::PUSH).unwrap();
        push.connect(&unused_tcp_endpoint()).unwrap();
        for m in ["a", "b", "c"] {
            push.send(m, 0).unwrap();
        }
        push.set_linger(Some(LINGER));
        let closed = Instant::now();
        drop(push); // lingers in the background
        ctx.term().unwrap();
        assert!(
            closed.elapsed() >= LINGER,
            "term returned before the linger ran out"
        );
        assert_terminated(&receiver.join().unwrap().unwrap_err());
    });
}

/// While term waits, a lingering socket still reconnects and flushes:
/// its queued message reaches a peer that comes up after term began, and
/// term returns then, long before the linger would run out.
#[test]
fn term_waits_while_a_lingering_socket_delivers() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let endpoint = unused_tcp_endpoint();
        let push = ctx.socket(zmq::PUSH).unwrap();
        push.set_reconnect_ivl(Some(Duration::from_millis(10)));
        push.connect(&endpoint).unwrap();
        push.send("late", 0).unwrap();
        push.set_linger(Some(Duration::from_secs(60)));
        drop(push);
        // The peer comes up once term has begun: the probe's poll fails
        // then (and the probe, dropped, lets term go on).
        let probe = ctx.socket(zmq::PAIR).unwrap();
        let peer = greenline::spawn(move || {
            assert_terminated(&probe.poll(None, POLLIN).unwrap_err());
            drop(probe);
            // A context of its own: the terminated one makes no sockets.
            let pull = zmq::Context::new().socket(zmq::PULL).unwrap();
            pull.bind(&endpoint).unwrap();
            pull.recv(0).unwrap()
        });
        ctx.term().unwrap();
        assert_eq!(peer.join().unwrap(), "late");
    });
}

/// After term every call but close fails with ConnectionAborted, a poll
/// blocked in it included; close still works.
#[test]
fn calls_after_term_fail_but_close() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let rep = ctx.socket(zmq::REP).unwrap();
        let ep = common::zmq::bind(&rep, "inproc");
        let req = ctx.socket(zmq::REQ).unwrap();
        req.connect(&ep).unwrap();
        let poller = {
            let rep = rep.clone();
            greenline::spawn(move || rep.poll(None, POLLIN))
        };
        let terminating = {
            let ctx = ctx.clone();
            greenline::spawn(move || ctx.term())
        };
        assert_terminated(&poller.join().unwrap().unwrap_err());
        assert_terminated(&req.send("x", 0).unwrap_err());
        assert_terminated(&rep.recv(zmq::DONTWAIT).unwrap_err());
        assert_terminated(&rep.poll(Some(Duration::ZERO), POLLIN).unwrap_err());
        assert_terminated(&req.connect(&ep).unwrap_err());
        assert_terminated(&req.bind(&common::zmq::fresh("tcp")).unwrap_err());
        assert_terminated(&ctx.socket(zmq::PAIR).unwrap_err());
        rep.close().unwrap();
        req.close().unwrap();
        terminating.join().unwrap().unwrap();
        // A second term has nothing left to wait for.
        ctx.term().unwrap();
    });
}

/// term has no timeout of its own: a socket the caller keeps open holds
/// it, until the caller's Timeout ends it with TimedOut.
#[test]
fn term_ends_at_the_callers_timeout() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let kept = ctx.socket(zmq::DEALER).unwrap();
        let e = greenline::with_timeout(Duration::from_millis(20), || ctx.term()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TimedOut);
        drop(kept);
        ctx.term().unwrap();
    });
}

/// Every `instance()` is the same context until it is terminated; the
/// next one is new.
#[test]
fn instance_is_shared_until_terminated() {
    run(DEADLINE, || {
        let pull = zmq::Context::instance().socket(zmq::PULL).unwrap();
        pull.bind("inproc://instance-test").unwrap();
        let push = zmq::Context::instance().socket(zmq::PUSH).unwrap();
        push.connect("inproc://instance-test").unwrap();
        push.send("shared", 0).unwrap();
        assert_eq!(pull.recv(0).unwrap(), "shared");
        drop((pull, push));
        zmq::Context::instance().term().unwrap();
        // A new context: the name is free, and sockets can be made again.
        let pull = zmq::Context::instance().socket(zmq::PULL).unwrap();
        pull.bind("inproc://instance-test").unwrap();
    });
}
