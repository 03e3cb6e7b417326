//! JSON messages (feature `json`): `send_json`/`recv_json`, pyzmq's
//! names, for any serde type; what cannot be written or read.
//!
//! Run with `cargo test --features json --test zmq_json` (scripts/test.sh
//! does).
#![cfg(feature = "json")]

mod common;

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::time::Duration;

use greenline::testing::run;
use greenline::zmq::{self, RecvJsonError};
use rstest::rstest;
use serde_json::{json, Value};

const DEADLINE: Duration = Duration::from_secs(10);

#[rstest]
fn json_round_trips(#[values("tcp", "ipc", "inproc")] transport: &'static str) {
    run(DEADLINE, move || {
        let ctx = zmq::Context::new();
        let rep = ctx.socket(zmq::REP).unwrap();
        let ep = common::zmq::bind(&rep, transport);
        let req = ctx.socket(zmq::REQ).unwrap();
        req.connect(&ep).unwrap();
        let request = json!({"op": "add", "args": [1, 2.5], "id": null});
        req.send_json(&request, 0).unwrap();
        let got: Value = rep.recv_json(0).unwrap();
        assert_eq!(got, request);
        // Any serde type: here a tuple one way, a map the other.
        rep.send_json(&("sum", 3.5), 0).unwrap();
        let (name, sum): (String, f64) = req.recv_json(0).unwrap();
        assert_eq!((name.as_str(), sum), ("sum", 3.5));
        let totals = BTreeMap::from([("a".to_string(), 1u32), ("b".to_string(), 2)]);
        req.send_json(&totals, 0).unwrap();
        assert_eq!(rep.recv_json::<BTreeMap<String, u32>>(0).unwrap(), totals);
    });
}

/// One frame of JSON text on the wire, as pyzmq sends it.
#[test]
fn json_is_one_text_frame() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let pull = ctx.socket(zmq::PULL).unwrap();
        let ep = common::zmq::bind(&pull, "inproc");
        let push = ctx.socket(zmq::PUSH).unwrap();
        push.connect(&ep).unwrap();
        push.send_json(&json!({"a": [1, "x"]}), 0).unwrap();
        assert_eq!(pull.recv_multipart(0).unwrap(), [r#"{"a":[1,"x"]}"#]);
        push.send(r#"{"zipcode": 10001}"#, 0).unwrap();
        assert_eq!(pull.recv_json::<Value>(0).unwrap()["zipcode"], 10001);
    });
}

/// Not JSON, or JSON of another shape: InvalidData with the frame inside,
/// and the socket reads on.
#[test]
fn unreadable_json_is_invalid_data_with_the_frame() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let pull = ctx.socket(zmq::PULL).unwrap();
        let ep = common::zmq::bind(&pull, "tcp");
        let push = ctx.socket(zmq::PUSH).unwrap();
        push.connect(&ep).unwrap();
        for frame in ["{not json", r#"{"a": 1}"#] {
            push.send(frame, 0).unwrap();
            let e = pull.recv_json::<Vec<u32>>(0).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidData);
            let e = e.into_inner().unwrap().downcast::<RecvJsonError>().unwrap();
            assert_eq!(e.frame(), frame);
            assert!(std::error::Error::source(&*e).is_some());
            assert_eq!(e.into_frame(), frame);
        }
        push.send_json(&[1, 2], 0).unwrap();
        assert_eq!(pull.recv_json::<Vec<u32>>(0).unwrap(), [1, 2]);
    });
}

/// A value serde_json cannot write (a map with non-string keys) is
/// InvalidInput, and nothing is sent.
#[test]
fn unwritable_value_is_invalid_input() {
    run(DEADLINE, || {
        let ctx = zmq::Context::new();
        let pull = ctx.socket(zmq::PULL).unwrap();
        let ep = common::zmq::bind(&pull, "inproc");
        let push = ctx.socket(zmq::PUSH).unwrap();
        push.connect(&ep).unwrap();
        let by_pair = BTreeMap::from([((1, 2), "x")]);
        let e = push.send_json(&by_pair, 0).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.get_ref().unwrap().is::<serde_json::Error>());
        assert_eq!(
            pull.recv(zmq::DONTWAIT).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
    });
}
