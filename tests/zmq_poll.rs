//! Waiting for readiness: `Socket::poll` (pyzmq's `socket.poll`) and the
//! `Poller` with its `Events` (pyzmq's `dict(poller.poll())`).

mod common;

use std::io::ErrorKind;
use std::time::Duration;

use greenline::testing::run;
use greenline::zmq::{self, Events, Poller, Socket, ZmqError, POLLIN, POLLOUT};
use rstest::rstest;

const DEADLINE: Duration = Duration::from_secs(10);

/// `poll` returns the events asked for that the socket has, and 0 when
/// its timeout passes first.
#[rstest]
fn socket_poll_returns_the_ready_mask(#[values("tcp", "ipc", "inproc")] transport: &'static str) {
    run(DEADLINE, move || {
        let ctx = zmq::Context::new();
        let pull = ctx.socket(zmq::PULL).unwrap();
        let ep = common::zmq::bind(&pull, transport);
        let push = ctx.socket(zmq::PUSH).unwrap();
        push.connect(&ep).unwrap();
        assert_eq!(pull.poll(Some(Duration::ZERO), POLLIN).unwrap(), 0);
        assert_eq!(
            pull.poll(Some(Duration::from_millis(5)), POLLIN).unwrap(),
            0
        );
        // PULL never sends: asking for POLLOUT too changes nothing.
        assert_eq!(
            pull.poll(Some(Duration::ZERO), POLLIN | POLLOUT).unwrap(),
            0
        );
        assert_eq!(push.poll(None, POLLIN | POLLOUT).unwrap(), POLLOUT);
        push.send("x", 0).unwrap();
        assert_eq!(pull.poll(None, POLLIN | POLLOUT).unwrap(), POLLIN);
        // Polling takes nothing.
        assert_eq!(pull.poll(None, POLLIN).unwrap(), POLLIN);
        assert_eq!(pull.recv(0).unwrap(), "x");
        assert_eq!(pull.poll(Some(Duration::ZERO), POLLIN).unwrap(), 0);
    });
}

/// A poll blocked in one greenlet is woken by a message sent from another.
#[test]
fn socket_poll_wakes_on_a_message() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let pull = ctx.socket(zmq::PULL).unwrap();
        let ep = common::zmq::bind(&pull, "tcp");
        let poller = greenline::spawn(move || pull.poll(None, POLLIN).map(|ev| (ev, pull)));
        let push = ctx.socket(zmq::PUSH).unwrap();
        push.connect(&ep).unwrap();
        push.send("wake", 0).unwrap();
        let (events, pull) = poller.join().unwrap().unwrap();
        assert_eq!(events, POLLIN);
        assert_eq!(pull.recv(0).unwrap(), "wake");
    });
}

/// REQ is writable until it has sent, then readable only once the reply
/// is there: `poll` follows the pattern's state, as libzmq's does.
#[test]
fn socket_poll_follows_req_alternation() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let rep = ctx.socket(zmq::REP).unwrap();
        let ep = common::zmq::bind(&rep, "inproc");
        let req = ctx.socket(zmq::REQ).unwrap();
        req.connect(&ep).unwrap();
        assert_eq!(req.poll(None, POLLIN | POLLOUT).unwrap(), POLLOUT);
        req.send("ping", 0).unwrap();
        assert_eq!(req.poll(Some(Duration::ZERO), POLLIN | POLLOUT).unwrap(), 0);
        assert_eq!(rep.poll(None, POLLIN | POLLOUT).unwrap(), POLLIN);
        assert_eq!(rep.recv(0).unwrap(), "ping");
        assert_eq!(rep.poll(None, POLLIN | POLLOUT).unwrap(), POLLOUT);
        rep.send("pong", 0).unwrap();
        assert_eq!(req.poll(None, POLLIN | POLLOUT).unwrap(), POLLIN);
        assert_eq!(req.recv(0).unwrap(), "pong");
    });
}

/// `Duration::MAX` is no timeout (what a port writes for `timeout=None`),
/// for `Socket::poll`, `Poller::poll` and the socket timeouts alike.
#[test]
fn duration_max_is_no_timeout() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let pull = ctx.socket(zmq::PULL).unwrap();
        let ep = common::zmq::bind(&pull, "inproc");
        let push = ctx.socket(zmq::PUSH).unwrap();
        push.connect(&ep).unwrap();
        push.set_sndtimeo(Some(Duration::MAX));
        pull.set_rcvtimeo(Some(Duration::MAX));
        assert_eq!(push.poll(Some(Duration::MAX), POLLOUT).unwrap(), POLLOUT);
        push.send("x", 0).unwrap();
        let mut poller = Poller::new();
        poller.register(&pull, POLLIN);
        assert!(poller.poll(Some(Duration::MAX)).unwrap().contains(&pull));
        assert_eq!(pull.poll(Some(Duration::MAX), POLLIN).unwrap(), POLLIN);
        assert_eq!(pull.recv(0).unwrap(), "x");
    });
}

/// A poller holds handles, not borrows: it can be built in one function,
/// returned, and moved into a greenlet of its own, and its results are
/// asked by socket (any handle of it) instead of by pointer.
#[test]
fn poller_owns_its_sockets_and_answers_by_socket() {
    fn poller_for(sockets: &[&Socket]) -> Poller {
        let mut poller = Poller::new();
        for s in sockets {
            poller.register(s, POLLIN);
        }
        poller
    }

    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let receiver = ctx.socket(zmq::PULL).unwrap();
        let ep_receiver = common::zmq::bind(&receiver, "tcp");
        let subscriber = ctx.socket(zmq::SUB).unwrap();
        common::zmq::bind(&subscriber, "tcp");
        subscriber.subscribe("").unwrap();
        let poller = poller_for(&[&receiver, &subscriber]);
        let (r, s) = (receiver.clone(), subscriber.clone());
        let waiter = greenline::spawn(move || -> std::io::Result<Events> { poller.poll(None) });

        let push = ctx.socket(zmq::PUSH).unwrap();
        push.connect(&ep_receiver).unwrap();
        push.send("task", 0).unwrap();
        let socks = waiter.join().unwrap().unwrap();
        assert!(socks.contains(&receiver));
        assert!(socks.contains(&r), "a clone is the same socket");
        assert_eq!(socks.get(&receiver), Some(POLLIN));
        assert!(!socks.contains(&subscriber));
        assert_eq!(socks.get(&s), None);
        assert_eq!(socks.len(), 1);
        let (ready, events) = socks.into_iter().next().unwrap();
        assert_eq!(events, POLLIN);
        assert_eq!(ready.recv(0).unwrap(), "task");
    });
}

/// Every ready socket is reported, with only the events it was
/// registered for; re-registering changes them, 0 unregisters.
#[test]
fn poller_reports_each_ready_socket_once() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let a = ctx.socket(zmq::PAIR).unwrap();
        let ep = common::zmq::bind(&a, "inproc");
        let b = ctx.socket(zmq::PAIR).unwrap();
        b.connect(&ep).unwrap();
        let mut poller = Poller::new();
        poller.register(&a, POLLIN);
        poller.register(&b, POLLIN | POLLOUT);
        poller.register(&b.clone(), POLLIN | POLLOUT); // the same socket again
        a.send("to b", 0).unwrap();
        let socks = poller.poll(None).unwrap();
        assert_eq!(socks.len(), 1);
        assert_eq!(socks.get(&b), Some(POLLIN | POLLOUT));
        assert_eq!(socks.get(&a), None);
        poller.register(&b, POLLOUT);
        assert_eq!(poller.poll(None).unwrap().get(&b), Some(POLLOUT));
        poller.register(&b, 0);
        assert!(poller.poll(Some(Duration::ZERO)).unwrap().is_empty());
        b.send("to a", 0).unwrap();
        let socks = poller.poll(None).unwrap();
        assert_eq!(socks.get(&a), Some(POLLIN));
        poller.unregister(&a);
        assert!(poller.poll(Some(Duration::ZERO)).unwrap().is_empty());
    });
}

/// The poller's handle keeps a socket open after the caller drops its
/// own, as pyzmq's poller keeps a reference.
#[test]
fn poller_keeps_a_registered_socket_open() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let pull = ctx.socket(zmq::PULL).unwrap();
        let ep = common::zmq::bind(&pull, "tcp");
        let mut poller = Poller::new();
        poller.register(&pull, POLLIN);
        drop(pull);
        let push = ctx.socket(zmq::PUSH).unwrap();
        push.connect(&ep).unwrap();
        push.send("still here", 0).unwrap();
        let (pull, events) = poller.poll(None).unwrap().into_iter().next().unwrap();
        assert_eq!(events, POLLIN);
        assert_eq!(pull.recv(0).unwrap(), "still here");
    });
}

/// A registered socket closed through another handle fails the poll with
/// `NotConnected`, including one already blocked.
#[test]
fn poller_fails_when_a_socket_is_closed() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let pull = ctx.socket(zmq::PULL).unwrap();
        common::zmq::bind(&pull, "inproc");
        let mut poller = Poller::new();
        poller.register(&pull, POLLIN);
        let waiter = greenline::spawn(move || poller.poll(None).map(|_| ()));
        pull.close().unwrap();
        let e = waiter.join().unwrap().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotConnected);
        assert_eq!(ZmqError::from_io(&e), Some(&ZmqError::Closed));
    });
}

/// Messages the socket has already taken off its pipe (the first recv
/// takes all that are queued) keep it readable for the poller.
#[test]
fn poller_sees_messages_taken_but_not_received() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let pull = ctx.socket(zmq::PULL).unwrap();
        pull.bind("inproc://poll-batch").unwrap();
        let push = ctx.socket(zmq::PUSH).unwrap();
        push.connect("inproc://poll-batch").unwrap();
        for m in ["a", "b", "c"] {
            push.send(m, 0).unwrap();
        }
        let mut poller = Poller::new();
        poller.register(&pull, POLLIN);
        for m in ["a", "b", "c"] {
            let ready = poller.poll(Some(Duration::ZERO)).unwrap();
            assert_eq!(ready.len(), 1, "{m} should be readable");
            assert_eq!(pull.recv(0).unwrap(), m);
        }
        assert!(poller.poll(Some(Duration::ZERO)).unwrap().is_empty());
        push.send("d", 0).unwrap();
        assert_eq!(poller.poll(Some(Duration::ZERO)).unwrap().len(), 1);
    });
}

#[test]
fn poller_reports_in_and_out() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let a = ctx.socket(zmq::PAIR).unwrap();
        a.bind("inproc://poll").unwrap();
        let b = ctx.socket(zmq::PAIR).unwrap();
        b.connect("inproc://poll").unwrap();
        let mut poller = Poller::new();
        poller.register(&a, POLLIN | POLLOUT);
        let ready = poller.poll(Some(Duration::ZERO)).unwrap();
        assert_eq!(ready.len(), 1);
        assert_eq!(ready[0].1, POLLOUT);
        poller.register(&a, POLLIN);
        assert!(poller
            .poll(Some(Duration::from_millis(10)))
            .unwrap()
            .is_empty());
        // A greenlet sends while we wait: the poll wakes.
        let sender = greenline::spawn(move || {
            greenline::sleep(Duration::from_millis(10)).unwrap();
            b.send("wake", 0).unwrap();
            b
        });
        let ready = poller.poll(None).unwrap();
        assert_eq!(ready[0].1, POLLIN);
        assert_eq!(a.recv(0).unwrap(), "wake");
        drop(sender.join().unwrap());
    });
}
