//! PUB/SUB and XPUB/XSUB over tcp, ipc and inproc.

mod common;

use std::io::ErrorKind;
use std::time::Duration;

use greenline::testing::run;
use greenline::zmq;
use rstest::rstest;

const DEADLINE: Duration = Duration::from_secs(10);

/// Publishes `topic`-prefixed probes until the subscriber sees one: the
/// subscription reaches the publisher asynchronously (the "slow joiner").
fn wait_subscribed(publisher: &zmq::Socket, subscriber: &zmq::Socket, probe: &str) {
    subscriber.set_rcvtimeo(Some(Duration::from_millis(10)));
    loop {
        publisher.send(probe.to_string(), 0).unwrap();
        match subscriber.recv(0) {
            Ok(m) if m == probe.as_bytes() => break,
            Ok(_) => {}
            Err(e) => assert_eq!(e.kind(), ErrorKind::TimedOut),
        }
    }
    // Drain the other probes in flight.
    while subscriber.recv(0).is_ok() {}
    subscriber.set_rcvtimeo(None);
}

#[rstest]
fn prefix_filtering(
    #[values("tcp", "ipc", "inproc")] transport: &'static str,
    #[values(true, false)] sub_binds: bool,
) {
    run(DEADLINE, move || {
        let ctx = zmq::Context::new();
        let publisher = ctx.socket(zmq::PUB).unwrap();
        let subscriber = ctx.socket(zmq::SUB).unwrap();
        subscriber.subscribe("A").unwrap();
        if sub_binds {
            let ep = common::zmq::bind(&subscriber, transport);
            publisher.connect(&ep).unwrap();
        } else {
            let ep = common::zmq::bind(&publisher, transport);
            subscriber.connect(&ep).unwrap();
        }
        wait_subscribed(&publisher, &subscriber, "A-probe");
        publisher.send("B nope", 0).unwrap();
        publisher.send_multipart(["AB", "second frame"], 0).unwrap();
        publisher.send("A1", 0).unwrap();
        assert_eq!(
            subscriber.recv_multipart(0).unwrap(),
            ["AB", "second frame"]
        );
        assert_eq!(subscriber.recv(0).unwrap(), "A1");
        subscriber.unsubscribe("A").unwrap();
        subscriber.subscribe("B").unwrap();
        wait_subscribed(&publisher, &subscriber, "B-probe");
        publisher.send("A2", 0).unwrap();
        publisher.send("B2", 0).unwrap();
        assert_eq!(subscriber.recv(0).unwrap(), "B2");
    });
}

#[test]
fn wrong_direction_is_not_supported() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let publisher = ctx.socket(zmq::PUB).unwrap();
        let subscriber = ctx.socket(zmq::SUB).unwrap();
        assert_eq!(
            publisher.recv(0).unwrap_err().kind(),
            ErrorKind::Unsupported
        );
        assert_eq!(
            subscriber.send("x", 0).unwrap_err().kind(),
            ErrorKind::Unsupported
        );
        assert_eq!(
            publisher.subscribe("x").unwrap_err().kind(),
            ErrorKind::Unsupported
        );
    });
}

/// libzmq notes §2.2 [observed]: PUB/SUB with HWM 3+3 on inproc, 100
/// non-blocking sends: the SUB gets the first 6, the rest are dropped and
/// the PUB never blocks.
#[test]
fn pub_drops_at_hwm() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let publisher = ctx.socket(zmq::PUB).unwrap();
        publisher.set_sndhwm(3);
        publisher.bind("inproc://hwm-pubsub").unwrap();
        let subscriber = ctx.socket(zmq::SUB).unwrap();
        subscriber.set_rcvhwm(3);
        subscriber.subscribe("").unwrap();
        subscriber.connect("inproc://hwm-pubsub").unwrap();
        for i in 0..100 {
            publisher.send(format!("{i}"), zmq::DONTWAIT).unwrap();
        }
        let mut got = Vec::new();
        while let Ok(m) = subscriber.recv(zmq::DONTWAIT) {
            got.push(String::from_utf8(m.to_vec()).unwrap());
        }
        assert_eq!(got, ["0", "1", "2", "3", "4", "5"]);
    });
}

/// XPUB hands subscriptions to the application; XSUB sends them as
/// messages.
#[rstest]
fn xpub_sees_xsub_subscriptions(#[values("tcp", "inproc")] transport: &'static str) {
    run(DEADLINE, move || {
        let ctx = zmq::Context::new();
        let xpub = ctx.socket(zmq::XPUB).unwrap();
        let ep = common::zmq::bind(&xpub, transport);
        let xsub = ctx.socket(zmq::XSUB).unwrap();
        xsub.connect(&ep).unwrap();
        xsub.send(&b"\x01news"[..], 0).unwrap();
        assert_eq!(xpub.recv(0).unwrap(), &b"\x01news"[..]);
        xpub.send("news: hi", 0).unwrap();
        xpub.send("other", 0).unwrap();
        assert_eq!(xsub.recv(0).unwrap(), "news: hi");
        xsub.send(&b"\x00news"[..], 0).unwrap();
        assert_eq!(xpub.recv(0).unwrap(), &b"\x00news"[..]);
    });
}

/// A SUB resubscribes when its connection comes back.
#[test]
fn resubscribes_after_reconnect() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let port = greenline::testing::free_port().unwrap();
        let ep = format!("tcp://127.0.0.1:{port}");
        let subscriber = ctx.socket(zmq::SUB).unwrap();
        subscriber.subscribe("t").unwrap();
        subscriber.connect(&ep).unwrap();
        let publisher = ctx.socket(zmq::PUB).unwrap();
        publisher.bind(&ep).unwrap();
        wait_subscribed(&publisher, &subscriber, "t1");
        publisher.set_linger(Some(Duration::ZERO));
        publisher.close().unwrap();
        let publisher = ctx.socket(zmq::PUB).unwrap();
        publisher.bind(&ep).unwrap();
        wait_subscribed(&publisher, &subscriber, "t2");
    });
}
