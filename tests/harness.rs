//! The coroutine test harness, shown with rstest fixtures: a deadline that
//! fails with the blocked greenlets named instead of hanging.

use std::time::Duration;

use greenline::net::{TcpListener, TcpStream};
use greenline::sync::Queue;
use rstest::{fixture, rstest};

#[fixture]
fn listener() -> TcpListener {
    greenline::testing::local_listener().unwrap()
}

#[fixture]
fn deadline() -> Duration {
    Duration::from_secs(10)
}

#[rstest]
fn a_passing_body_returns_its_value(listener: TcpListener, deadline: Duration) {
    let addr = listener.local_addr().unwrap();
    let got = greenline::testing::run(deadline, move || {
        let server = greenline::spawn(move || listener.accept().map(|(_, peer)| peer));
        let client = TcpStream::connect(addr).unwrap();
        (
            server.join().unwrap().unwrap(),
            client.local_addr().unwrap(),
        )
    });
    assert_eq!(got.0, got.1);
}

#[rstest]
fn a_hanging_body_fails_naming_the_blocked_greenlets() {
    let result = std::panic::catch_unwind(|| {
        greenline::testing::run(Duration::from_millis(1000), || {
            let q: Queue<u32> = Queue::new();
            let consumer = greenline::Builder::new()
                .name("consumer")
                .spawn(move || q.get())
                .unwrap();
            consumer.join().ok(); // never returns: nobody puts
        })
    });
    let payload = result.unwrap_err();
    let msg = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(msg.contains("exceeded its 1s deadline"), "{msg}");
    assert!(msg.contains("'consumer' blocked in Queue::get"), "{msg}");
    assert!(msg.contains("'test-body' blocked in join"), "{msg}");
}

#[rstest]
fn a_panicking_body_fails_with_its_message() {
    let payload = std::panic::catch_unwind(|| {
        greenline::testing::run(Duration::from_secs(5), || panic!("assertion inside"))
    })
    .unwrap_err();
    let msg = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(msg.contains("assertion inside"), "{msg}");
}

#[rstest]
fn free_port_is_bindable() {
    let port = greenline::testing::free_port().unwrap();
    assert!(TcpListener::bind(("127.0.0.1", port)).is_ok());
}

#[test]
fn free_port_never_hands_out_a_port_twice() {
    let ports: Vec<u16> = (0..300)
        .map(|_| greenline::testing::free_port().unwrap())
        .collect();
    let distinct: std::collections::HashSet<u16> = ports.iter().copied().collect();
    assert_eq!(distinct.len(), ports.len());
}
