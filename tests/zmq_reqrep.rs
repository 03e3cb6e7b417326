//! REQ/REP (and REQ/REP against DEALER/ROUTER): ports of libzmq's
//! `test_spec_req` and `test_spec_rep` over tcp, ipc and inproc.

mod common;

use std::io::ErrorKind;
use std::time::Duration;

use greenline::testing::run;
use greenline::zmq::{self, Bytes, ZmqError};
use rstest::rstest;

const DEADLINE: Duration = Duration::from_secs(10);

#[rstest]
fn hello_world(#[values("tcp", "ipc", "inproc")] transport: &'static str) {
    run(DEADLINE, move || {
        let ctx = zmq::Context::new();
        let rep = ctx.socket(zmq::REP).unwrap();
        let endpoint = common::zmq::bind(&rep, transport);
        let req = ctx.socket(zmq::REQ).unwrap();
        req.connect(&endpoint).unwrap();
        let server = greenline::spawn(move || {
            for _ in 0..3 {
                let msg = rep.recv(0).unwrap();
                assert_eq!(msg, "Hello");
                rep.send("World", 0).unwrap();
            }
        });
        for _ in 0..3 {
            req.send("Hello", 0).unwrap();
            assert_eq!(req.recv(0).unwrap(), "World");
        }
        server.join().unwrap();
    });
}

#[rstest]
fn connect_before_bind(#[values("tcp", "ipc", "inproc")] transport: &'static str) {
    run(DEADLINE, move || {
        let ctx = zmq::Context::new();
        let endpoint = match transport {
            "tcp" => format!(
                "tcp://127.0.0.1:{}",
                greenline::testing::free_port().unwrap()
            ),
            t => common::zmq::fresh(t),
        };
        let req = ctx.socket(zmq::REQ).unwrap();
        req.connect(&endpoint).unwrap();
        req.send("early", 0).unwrap(); // queued while connecting
        greenline::sleep(Duration::from_millis(50)).unwrap();
        let rep = ctx.socket(zmq::REP).unwrap();
        rep.bind(&endpoint).unwrap();
        assert_eq!(rep.recv(0).unwrap(), "early");
        rep.send("late", 0).unwrap();
        assert_eq!(req.recv(0).unwrap(), "late");
    });
}

/// test_spec_req `test_round_robin_out`: REQ binds, 5 REPs connect, 5
/// requests reach REP 0..4 in order.
#[rstest]
fn req_round_robin_out(#[values("tcp", "ipc", "inproc")] transport: &'static str) {
    run(DEADLINE, move || {
        let ctx = zmq::Context::new();
        let req = ctx.socket(zmq::REQ).unwrap();
        let endpoint = common::zmq::bind(&req, transport);
        let reps: Vec<_> = (0..5)
            .map(|i| {
                let rep = ctx.socket(zmq::REP).unwrap();
                rep.connect(&endpoint).unwrap();
                // One at a time, so the REQ's peer order is REP 0..4.
                wait_attached(i + 1, &req);
                rep
            })
            .collect();
        for (i, rep) in reps.iter().enumerate() {
            req.send(format!("ABC{i}"), 0).unwrap();
            assert_eq!(rep.recv(0).unwrap(), format!("ABC{i}").as_bytes());
            rep.send("DEF", 0).unwrap();
            assert_eq!(req.recv(0).unwrap(), "DEF");
        }
    });
}

/// Connections complete in the background: wait (bounded by the test's
/// deadline) until the binder has all its peers, so round-robin order is
/// the connect order.
fn wait_attached(n: usize, req: &zmq::Socket) {
    while req.peer_count() < n {
        greenline::sleep(Duration::from_millis(2)).unwrap();
    }
}

/// test_spec_req `test_req_message_format`: the ROUTER sees
/// `[id, "", "ABC", "DEF"]` and its reply `[id, "", "GHI"]` reaches REQ.
#[rstest]
fn req_message_format(#[values("tcp", "ipc", "inproc")] transport: &'static str) {
    run(DEADLINE, move || {
        let ctx = zmq::Context::new();
        let router = ctx.socket(zmq::ROUTER).unwrap();
        let endpoint = common::zmq::bind(&router, transport);
        let req = ctx.socket(zmq::REQ).unwrap();
        req.connect(&endpoint).unwrap();
        req.send_multipart(["ABC", "DEF"], 0).unwrap();
        let msg = router.recv_multipart(0).unwrap();
        assert_eq!(msg.len(), 4);
        assert_eq!(&msg[1..], ["", "ABC", "DEF"]);
        router
            .send_multipart([msg[0].clone(), Bytes::new(), Bytes::from("GHI")], 0)
            .unwrap();
        assert_eq!(req.recv(0).unwrap(), "GHI");
        assert!(!req.get_rcvmore());
    });
}

/// test_spec_rep `test_envelope`: DEALER → REP; the envelope comes back.
#[rstest]
fn rep_envelope(#[values("tcp", "ipc", "inproc")] transport: &'static str) {
    run(DEADLINE, move || {
        let ctx = zmq::Context::new();
        let rep = ctx.socket(zmq::REP).unwrap();
        let endpoint = common::zmq::bind(&rep, transport);
        let dealer = ctx.socket(zmq::DEALER).unwrap();
        dealer.connect(&endpoint).unwrap();
        // A request without the delimiter is dropped by REP.
        dealer.send("no delimiter", 0).unwrap();
        dealer.send_multipart(["", "A"], 0).unwrap();
        assert_eq!(rep.recv_multipart(0).unwrap(), ["A"]);
        rep.send("B", 0).unwrap();
        assert_eq!(dealer.recv_multipart(0).unwrap(), ["", "B"]);
        dealer.send_multipart(["X", "Y", "", "A"], 0).unwrap();
        assert_eq!(rep.recv(0).unwrap(), "A");
        rep.send("B", 0).unwrap();
        assert_eq!(dealer.recv_multipart(0).unwrap(), ["X", "Y", "", "B"]);
    });
}

#[test]
fn efsm_on_misuse() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let req = ctx.socket(zmq::REQ).unwrap();
        let rep = ctx.socket(zmq::REP).unwrap();
        rep.bind("inproc://efsm").unwrap();
        req.connect("inproc://efsm").unwrap();
        let efsm = |e: std::io::Error| {
            assert_eq!(e.kind(), ErrorKind::InvalidInput);
            assert_eq!(ZmqError::from_io(&e), Some(&ZmqError::InvalidState));
        };
        efsm(req.recv(0).unwrap_err());
        efsm(rep.send("x", 0).unwrap_err());
        req.send("1", 0).unwrap();
        efsm(req.send("2", 0).unwrap_err());
        assert_eq!(rep.recv(0).unwrap(), "1");
        efsm(rep.recv(zmq::DONTWAIT).unwrap_err());
        rep.send("r", 0).unwrap();
        assert_eq!(req.recv(0).unwrap(), "r");
    });
}

/// test_spec_req `test_block_on_send_no_peers`.
#[test]
fn send_with_no_peers_would_block() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        for kind in [zmq::REQ, zmq::DEALER, zmq::PUSH, zmq::PAIR] {
            let s = ctx.socket(kind).unwrap();
            s.bind("tcp://127.0.0.1:*").unwrap();
            let e = s.send("x", zmq::DONTWAIT).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::WouldBlock, "{kind}");
            s.set_sndtimeo(Some(Duration::from_millis(50)));
            let e = s.send("x", 0).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::TimedOut, "{kind}");
        }
        let rep = ctx.socket(zmq::REP).unwrap();
        rep.set_rcvtimeo(Some(Duration::from_millis(20)));
        assert_eq!(rep.recv(0).unwrap_err().kind(), ErrorKind::TimedOut);
    });
}

/// A plain OS thread drives a REQ while a greenlet serves the REP.
#[test]
fn plain_thread_and_greenlet() {
    let ctx = zmq::Context::new();
    let rep = ctx.socket(zmq::REP).unwrap();
    rep.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = rep.last_endpoint().unwrap();
    let server = greenline::spawn(move || {
        for _ in 0..5 {
            let m = rep.recv(0).unwrap();
            rep.send(m, 0).unwrap();
        }
    });
    let client = std::thread::spawn(move || {
        let req = ctx.socket(zmq::REQ).unwrap();
        req.set_rcvtimeo(Some(Duration::from_secs(5)));
        req.connect(&endpoint).unwrap();
        for i in 0..5 {
            req.send(format!("msg {i}"), 0).unwrap();
            assert_eq!(req.recv(0).unwrap(), format!("msg {i}").as_bytes());
        }
    });
    client.join().unwrap();
    server.join_timeout(Duration::from_secs(5)).unwrap();
}

fn assert_efsm(e: std::io::Error, what: &str) {
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{what}: {e}");
    assert_eq!(
        ZmqError::from_io(&e),
        Some(&ZmqError::InvalidState),
        "{what}: {e}"
    );
}

/// libzmq `rep.cpp`: "If we are in the middle of receiving a request, we
/// cannot send reply" (EFSM). A REP that read the first frame of a
/// two-frame request must not answer half of it; once it has read the
/// rest, the same request is answered whole.
#[rstest]
fn rep_refuses_to_send_with_request_frames_unread(
    #[values("tcp", "inproc")] transport: &'static str,
) {
    run(DEADLINE, move || {
        let ctx = zmq::Context::new();
        let rep = ctx.socket(zmq::REP).unwrap();
        let endpoint = common::zmq::bind(&rep, transport);
        let req = ctx.socket(zmq::REQ).unwrap();
        req.connect(&endpoint).unwrap();
        req.send_multipart(["first", "second"], 0).unwrap();
        assert_eq!(rep.recv(0).unwrap(), "first");
        assert!(rep.get_rcvmore());
        assert_efsm(rep.send("early", 0).unwrap_err(), "whole reply");
        assert_efsm(
            rep.send("early", zmq::SNDMORE).unwrap_err(),
            "SNDMORE frame",
        );
        assert_efsm(
            rep.send_multipart(["a", "b"], 0).unwrap_err(),
            "send_multipart",
        );
        // The refusals changed nothing: the rest of the same request.
        assert_eq!(rep.recv(0).unwrap(), "second");
        assert!(!rep.get_rcvmore());
        rep.send_multipart(["re: first", "re: second"], 0).unwrap();
        assert_eq!(req.recv_multipart(0).unwrap(), ["re: first", "re: second"]);
        // And the REP is ready for the next request, not holding a stale one.
        req.send("again", 0).unwrap();
        assert_eq!(rep.recv_multipart(0).unwrap(), ["again"]);
        rep.send("ok", 0).unwrap();
        assert_eq!(req.recv(0).unwrap(), "ok");
    });
}

/// libzmq `req.cpp`: a REQ that has not received the whole reply cannot
/// send the next request (EFSM); a send out of turn is refused at its
/// first frame, as libzmq checks every frame.
#[rstest]
fn req_refuses_to_send_with_reply_frames_unread(
    #[values("tcp", "inproc")] transport: &'static str,
) {
    run(DEADLINE, move || {
        let ctx = zmq::Context::new();
        let rep = ctx.socket(zmq::REP).unwrap();
        let endpoint = common::zmq::bind(&rep, transport);
        let req = ctx.socket(zmq::REQ).unwrap();
        req.connect(&endpoint).unwrap();
        req.send("q1", 0).unwrap();
        // Out of turn: awaiting a reply, even a first SNDMORE frame fails.
        assert_efsm(req.send("q2", zmq::SNDMORE).unwrap_err(), "SNDMORE frame");
        assert_eq!(rep.recv(0).unwrap(), "q1");
        rep.send_multipart(["r1", "r2"], 0).unwrap();
        assert_eq!(req.recv(0).unwrap(), "r1");
        assert!(req.get_rcvmore());
        assert_efsm(req.send("q2", 0).unwrap_err(), "reply half read");
        assert_efsm(
            req.send("q2", zmq::SNDMORE).unwrap_err(),
            "reply half read, SNDMORE",
        );
        assert_eq!(req.recv(0).unwrap(), "r2");
        assert!(!req.get_rcvmore());
        // The refused frames were not kept: the next request is just "q2".
        req.send("q2", 0).unwrap();
        assert_eq!(rep.recv_multipart(0).unwrap(), ["q2"]);
        rep.send("r", 0).unwrap();
        assert_eq!(req.recv_multipart(0).unwrap(), ["r"]);
    });
}

/// A poller must not report POLLOUT for a REQ or REP whose send would be
/// refused for unread frames (it still reports POLLIN for them).
#[test]
fn unread_frames_are_pollin_not_pollout() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let rep = ctx.socket(zmq::REP).unwrap();
        rep.bind("inproc://poll-unread").unwrap();
        let req = ctx.socket(zmq::REQ).unwrap();
        req.connect("inproc://poll-unread").unwrap();
        req.send_multipart(["a", "b"], 0).unwrap();
        assert_eq!(rep.recv(0).unwrap(), "a");
        let mut poller = zmq::Poller::new();
        poller.register(&rep, zmq::POLLIN | zmq::POLLOUT);
        let ready = poller.poll(Some(Duration::ZERO)).unwrap();
        assert_eq!(ready.len(), 1);
        assert_eq!(ready[0].1, zmq::POLLIN);
    });
}
