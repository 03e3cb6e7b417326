//! The proxy and the three classic devices (the Poller they run on is
//! tested in `zmq_poll.rs`).

use std::io::ErrorKind;
use std::time::Duration;

use greenline::testing::run;
use greenline::zmq;

const DEADLINE: Duration = Duration::from_secs(10);

#[test]
fn queue_device_over_tcp() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let frontend = ctx.socket(zmq::ROUTER).unwrap();
        frontend.bind("tcp://127.0.0.1:*").unwrap();
        let backend = ctx.socket(zmq::DEALER).unwrap();
        backend.bind("tcp://127.0.0.1:*").unwrap();
        let (fe, be) = (
            frontend.last_endpoint().unwrap(),
            backend.last_endpoint().unwrap(),
        );
        let device = greenline::spawn(move || zmq::queue(&frontend, &backend));
        let worker = ctx.socket(zmq::REP).unwrap();
        worker.connect(&be).unwrap();
        let server = greenline::spawn(move || {
            for _ in 0..3 {
                let m = worker.recv(0).unwrap();
                worker.send(m, 0).unwrap();
            }
        });
        let client = ctx.socket(zmq::REQ).unwrap();
        client.connect(&fe).unwrap();
        for i in 0..3 {
            client.send(format!("req {i}"), 0).unwrap();
            assert_eq!(client.recv(0).unwrap(), format!("req {i}").as_bytes());
        }
        server.join().unwrap();
        // term waits for every socket to be closed: ours first; the
        // device's two drop when it returns with ConnectionAborted.
        drop(client);
        ctx.term().unwrap();
        let e = device.join().unwrap().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ConnectionAborted);
    });
}

#[test]
fn forwarder_passes_subscriptions_upstream() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let frontend = ctx.socket(zmq::XSUB).unwrap();
        frontend.bind("inproc://fwd-in").unwrap();
        let backend = ctx.socket(zmq::XPUB).unwrap();
        backend.bind("tcp://127.0.0.1:*").unwrap();
        let be = backend.last_endpoint().unwrap();
        let device = greenline::spawn(move || zmq::forwarder(&frontend, &backend));
        let publisher = ctx.socket(zmq::PUB).unwrap();
        publisher.connect("inproc://fwd-in").unwrap();
        let subscriber = ctx.socket(zmq::SUB).unwrap();
        subscriber.subscribe("weather").unwrap();
        subscriber.connect(&be).unwrap();
        subscriber.set_rcvtimeo(Some(Duration::from_millis(10)));
        // The subscription travels SUB → XPUB → proxy → XSUB → PUB.
        loop {
            publisher.send("sports", 0).unwrap();
            publisher.send("weather: sunny", 0).unwrap();
            match subscriber.recv(0) {
                Ok(m) => {
                    assert_eq!(m, "weather: sunny");
                    break;
                }
                Err(e) => assert_eq!(e.kind(), ErrorKind::TimedOut),
            }
        }
        drop((publisher, subscriber));
        ctx.term().unwrap();
        let e = device.join().unwrap().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ConnectionAborted);
    });
}

#[test]
fn streamer_with_capture() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let frontend = ctx.socket(zmq::PULL).unwrap();
        frontend.bind("inproc://stream-in").unwrap();
        let backend = ctx.socket(zmq::PUSH).unwrap();
        backend.bind("inproc://stream-out").unwrap();
        let capture = ctx.socket(zmq::PUSH).unwrap();
        capture.bind("inproc://stream-capture").unwrap();
        let tap = ctx.socket(zmq::PULL).unwrap();
        tap.connect("inproc://stream-capture").unwrap();
        let device = greenline::spawn(move || zmq::proxy(&frontend, &backend, Some(&capture)));
        let producer = ctx.socket(zmq::PUSH).unwrap();
        producer.connect("inproc://stream-in").unwrap();
        let consumer = ctx.socket(zmq::PULL).unwrap();
        consumer.connect("inproc://stream-out").unwrap();
        producer.send_multipart(["task", "1"], 0).unwrap();
        assert_eq!(consumer.recv_multipart(0).unwrap(), ["task", "1"]);
        assert_eq!(tap.recv_multipart(0).unwrap(), ["task", "1"]);
        drop((tap, producer, consumer));
        ctx.term().unwrap();
        let e = device.join().unwrap().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ConnectionAborted);
    });
}
