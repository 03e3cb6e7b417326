//! DEALER/ROUTER: ports of libzmq's `test_spec_dealer`/`test_spec_router`
//! and `test_router_mandatory`.

mod common;

use std::io::ErrorKind;
use std::time::Duration;

use greenline::testing::run;
use greenline::zmq::{self, Bytes};
use rstest::rstest;

const DEADLINE: Duration = Duration::from_secs(10);

/// `test_fair_queue_in`: DEALERs with identities A..E → ROUTER; every
/// message arrives prefixed with its sender's identity.
#[rstest]
fn router_sees_identities(#[values("tcp", "ipc", "inproc")] transport: &'static str) {
    run(DEADLINE, move || {
        let ctx = zmq::Context::new();
        let router = ctx.socket(zmq::ROUTER).unwrap();
        let ep = common::zmq::bind(&router, transport);
        let dealers: Vec<_> = ["A", "B", "C", "D", "E"]
            .iter()
            .map(|id| {
                let d = ctx.socket(zmq::DEALER).unwrap();
                d.set_routing_id(id);
                d.connect(&ep).unwrap();
                d
            })
            .collect();
        for d in &dealers {
            d.send("M", 0).unwrap();
        }
        let mut ids = Vec::new();
        for _ in 0..5 {
            let msg = router.recv_multipart(0).unwrap();
            assert_eq!(msg[1], "M");
            ids.push(msg[0].clone());
        }
        ids.sort();
        assert_eq!(ids, ["A", "B", "C", "D", "E"]);
        // Replies route by identity.
        for (d, id) in dealers.iter().zip(["A", "B", "C", "D", "E"]) {
            router.send_multipart([id, "reply"], 0).unwrap();
            assert_eq!(d.recv(0).unwrap(), "reply");
        }
    });
}

/// A peer without an identity gets a generated one: `00` + 4 octets.
#[test]
fn generated_identity() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let router = ctx.socket(zmq::ROUTER).unwrap();
        router.bind("tcp://127.0.0.1:*").unwrap();
        let dealer = ctx.socket(zmq::DEALER).unwrap();
        dealer.connect(&router.last_endpoint().unwrap()).unwrap();
        dealer.send("hi", 0).unwrap();
        let msg = router.recv_multipart(0).unwrap();
        assert_eq!(msg[0].len(), 5);
        assert_eq!(msg[0][0], 0);
        router
            .send_multipart([msg[0].clone(), Bytes::from("back")], 0)
            .unwrap();
        assert_eq!(dealer.recv(0).unwrap(), "back");
    });
}

/// `set_identity` (the zguide's name) and `set_routing_id` take what
/// pyzmq's setsockopt does, and an empty one clears it: the next
/// connection gets a generated identity.
#[rstest]
fn identity_takes_bytes_and_clears_when_empty(#[values("tcp", "inproc")] transport: &'static str) {
    run(DEADLINE, move || {
        let ctx = zmq::Context::new();
        let router = ctx.socket(zmq::ROUTER).unwrap();
        let ep = common::zmq::bind(&router, transport);
        let dealer = ctx.socket(zmq::DEALER).unwrap();
        assert_eq!(dealer.identity(), None);
        dealer.set_identity(b"A");
        assert_eq!(dealer.routing_id().unwrap(), "A");
        dealer.set_routing_id(String::from("B"));
        assert_eq!(dealer.identity().unwrap(), "B");
        dealer.connect(&ep).unwrap();
        dealer.send("named", 0).unwrap();
        assert_eq!(router.recv_multipart(0).unwrap(), ["B", "named"]);

        let anonymous = ctx.socket(zmq::DEALER).unwrap();
        anonymous.set_identity(Bytes::from_static(b"C"));
        anonymous.set_routing_id(b"");
        assert_eq!(anonymous.routing_id(), None);
        anonymous.connect(&ep).unwrap();
        anonymous.send("anonymous", 0).unwrap();
        let msg = router.recv_multipart(0).unwrap();
        assert_eq!(msg[1], "anonymous");
        assert_eq!((msg[0].len(), msg[0][0]), (5, 0), "generated: {:?}", msg[0]);
    });
}

/// Unknown identities are dropped, or HostUnreachable with
/// router_mandatory.
#[test]
fn router_mandatory() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let router = ctx.socket(zmq::ROUTER).unwrap();
        router.send_multipart(["nobody", "x"], 0).unwrap();
        router.set_router_mandatory(true);
        let e = router.send_multipart(["nobody", "x"], 0).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotConnected);
    });
}

/// `test_round_robin_out` (DEALER binds, 5 REPs): each REP gets one.
#[rstest]
fn dealer_round_robin_out(#[values("tcp", "inproc")] transport: &'static str) {
    run(DEADLINE, move || {
        let ctx = zmq::Context::new();
        let dealer = ctx.socket(zmq::DEALER).unwrap();
        let ep = common::zmq::bind(&dealer, transport);
        let reps: Vec<_> = (0..5)
            .map(|i| {
                let rep = ctx.socket(zmq::REP).unwrap();
                rep.connect(&ep).unwrap();
                while dealer.peer_count() < i + 1 {
                    greenline::sleep(Duration::from_millis(2)).unwrap();
                }
                rep
            })
            .collect();
        for _ in 0..5 {
            dealer.send_multipart(["", "ABC"], 0).unwrap();
        }
        for rep in &reps {
            assert_eq!(rep.recv(0).unwrap(), "ABC");
        }
    });
}
