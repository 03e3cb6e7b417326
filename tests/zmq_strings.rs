//! Text messages: `send_string`/`recv_string` (pyzmq's names), and what a
//! frame that is not UTF-8 does: `InvalidData`, with the frame inside.

mod common;

use std::io::ErrorKind;
use std::string::FromUtf8Error;
use std::time::Duration;

use greenline::testing::run;
use greenline::zmq;
use rstest::rstest;

const DEADLINE: Duration = Duration::from_secs(10);

#[rstest]
fn strings_round_trip(#[values("tcp", "ipc", "inproc")] transport: &'static str) {
    run(DEADLINE, move || {
        let ctx = zmq::Context::new();
        let rep = ctx.socket(zmq::REP).unwrap();
        let ep = common::zmq::bind(&rep, transport);
        let req = ctx.socket(zmq::REQ).unwrap();
        req.connect(&ep).unwrap();
        req.send_string("Hello", 0).unwrap();
        assert_eq!(rep.recv_string(0).unwrap(), "Hello");
        rep.send_string(String::from("Wörld ✓"), 0).unwrap();
        assert_eq!(req.recv_string(0).unwrap(), "Wörld ✓");
        // An empty string is an empty frame.
        req.send_string("", 0).unwrap();
        assert_eq!(rep.recv(0).unwrap(), "");
    });
}

/// `send_string` takes SNDMORE; `recv_string` reads one frame of a
/// multipart message, as `recv` does.
#[test]
fn strings_in_multipart_messages() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let pull = ctx.socket(zmq::PULL).unwrap();
        let ep = common::zmq::bind(&pull, "inproc");
        let push = ctx.socket(zmq::PUSH).unwrap();
        push.connect(&ep).unwrap();
        push.send_string("topic", zmq::SNDMORE).unwrap();
        push.send_string("body", 0).unwrap();
        assert_eq!(pull.recv_string(0).unwrap(), "topic");
        assert!(pull.get_rcvmore());
        assert_eq!(pull.recv_string(0).unwrap(), "body");
        assert!(!pull.get_rcvmore());
        assert_eq!(
            pull.recv_string(zmq::DONTWAIT).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
    });
}

/// A frame that is not UTF-8 fails with InvalidData and is not lost: the
/// error gives its bytes back, and the rest of its message stays readable.
#[rstest]
fn non_utf8_is_invalid_data_with_the_frame(#[values("tcp", "inproc")] transport: &'static str) {
    run(DEADLINE, move || {
        let ctx = zmq::Context::new();
        let pull = ctx.socket(zmq::PULL).unwrap();
        let ep = common::zmq::bind(&pull, transport);
        let push = ctx.socket(zmq::PUSH).unwrap();
        push.connect(&ep).unwrap();
        push.send_multipart([&b"caf\xe9"[..], b"next"], 0).unwrap();
        let e = pull.recv_string(0).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidData);
        let bytes = e
            .into_inner()
            .expect("an error value inside")
            .downcast::<FromUtf8Error>()
            .expect("a FromUtf8Error")
            .into_bytes();
        assert_eq!(bytes, b"caf\xe9");
        assert!(pull.get_rcvmore());
        assert_eq!(pull.recv_string(0).unwrap(), "next");
    });
}
