//! A socket's handles and its end: clones are one socket, `close` through
//! any handle ends it for all (blocked calls return `NotConnected`), and
//! the last handle dropped closes it.

mod common;

use std::io::ErrorKind;
use std::time::Duration;

use greenline::testing::run;
use greenline::zmq::{self, ZmqError, POLLIN};

const DEADLINE: Duration = Duration::from_secs(10);

fn assert_closed(e: &std::io::Error) {
    assert_eq!(e.kind(), ErrorKind::NotConnected, "{e}");
    assert_eq!(ZmqError::from_io(e), Some(&ZmqError::Closed));
}

/// A clone shares everything: messages, options, endpoints.
#[test]
fn clones_are_one_socket() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let pull = ctx.socket(zmq::PULL).unwrap();
        let other = pull.clone();
        let ep = common::zmq::bind(&other, "tcp");
        assert_eq!(pull.last_endpoint().unwrap(), ep);
        other.set_rcvhwm(7);
        assert_eq!(pull.rcvhwm(), 7);
        let push = ctx.socket(zmq::PUSH).unwrap();
        push.connect(&ep).unwrap();
        push.send_multipart(["a", "b"], 0).unwrap();
        // A message read frame by frame belongs to the socket, not the handle.
        assert_eq!(pull.recv(0).unwrap(), "a");
        assert!(other.get_rcvmore());
        assert_eq!(other.recv(0).unwrap(), "b");
        assert!(!pull.get_rcvmore());
    });
}

/// `close` through one handle fails a call blocked in another at once,
/// and every later call but close; closing again is a no-op.
#[rstest::rstest]
fn close_through_one_handle_ends_the_others(
    #[values("tcp", "ipc", "inproc")] transport: &'static str,
) {
    run(DEADLINE, move || {
        let ctx = zmq::Context::new();
        let pull = ctx.socket(zmq::PULL).unwrap();
        let ep = common::zmq::bind(&pull, transport);
        let (other, poller) = (pull.clone(), pull.clone());
        let blocked = greenline::spawn(move || other.recv(0).map(|_| ()));
        let polling = greenline::spawn(move || poller.poll(None, POLLIN).map(|_| ()));
        let last = pull.clone();
        pull.close().unwrap();
        assert_closed(&blocked.join().unwrap().unwrap_err());
        assert_closed(&polling.join().unwrap().unwrap_err());
        assert_closed(&last.recv(zmq::DONTWAIT).unwrap_err());
        assert_closed(&last.poll(Some(Duration::ZERO), POLLIN).unwrap_err());
        assert_closed(&last.bind(&common::zmq::fresh(transport)).unwrap_err());
        assert_closed(&last.connect(&ep).unwrap_err());
        last.clone().close().unwrap();
        drop(last);
    });
}

/// Dropping a handle while others remain changes nothing; dropping the
/// last closes the socket, which frees its endpoints.
#[rstest::rstest]
fn the_last_handle_closes(#[values("tcp", "inproc")] transport: &'static str) {
    run(DEADLINE, move || {
        let ctx = zmq::Context::new();
        let pull = ctx.socket(zmq::PULL).unwrap();
        let ep = common::zmq::bind(&pull, transport);
        let other = pull.clone();
        drop(pull);
        let push = ctx.socket(zmq::PUSH).unwrap();
        push.connect(&ep).unwrap();
        push.send("x", 0).unwrap();
        assert_eq!(other.recv(0).unwrap(), "x");
        let rival = ctx.socket(zmq::PULL).unwrap();
        assert_eq!(rival.bind(&ep).unwrap_err().kind(), ErrorKind::AddrInUse);
        drop(other);
        // Dropped without anything queued for a tcp peer: closed at once.
        rival.bind(&ep).unwrap();
    });
}
