//! The echo_tcp_server / echo_tcp_client examples, run as processes: a clean
//! run exits 0 with the expected lines on both sides, a wrong reply and a
//! missing server make the client exit 1. And the talk's ZeroMQ
//! `echo_server`, asked by a greenline REQ: a multipart request is echoed
//! whole and does not stop it (its exchanges with the original clients are
//! in `tests/compat_echo.rs`).
//!
//! `cargo test` builds the examples next to the test binaries
//! (`target/<profile>/examples/`); `cargo test --test examples_echo` alone
//! does not, so a missing example is built once with `cargo build --examples`.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use greenline::server::StreamServer;
use greenline::zmq;

mod common;

fn example(name: &str) -> Command {
    common::process::example(name)
}

/// A child process killed when the test ends, also when it fails.
struct KillOnDrop(Option<Child>);

impl KillOnDrop {
    fn child(&mut self) -> &mut Child {
        self.0.as_mut().expect("still running")
    }

    /// Kills the process and collects what it printed.
    fn kill_and_collect(mut self) -> Output {
        let mut child = self.0.take().expect("still running");
        let _ = child.kill();
        child.wait_with_output().expect("wait for the child")
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Starts the echo server on a free port and waits (at most 10 s) until it
/// accepts connections.
fn start_server() -> (KillOnDrop, SocketAddr) {
    let port = greenline::testing::free_port().unwrap();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let mut server = KillOnDrop(Some(
        example("echo_tcp_server")
            .arg(addr.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start echo_tcp_server"),
    ));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        // A probe connection the server serves and sees close at once: it
        // prints nothing.
        if std::net::TcpStream::connect(addr).is_ok() {
            return (server, addr);
        }
        if let Some(status) = server.child().try_wait().unwrap() {
            panic!("echo_tcp_server exited before listening: {status}");
        }
        assert!(
            Instant::now() < deadline,
            "echo_tcp_server not listening on {addr} after 10 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn run_client(addr: SocketAddr, count: u32) -> Output {
    example("echo_tcp_client")
        .args([addr.to_string(), count.to_string()])
        .output()
        .expect("run echo_tcp_client")
}

#[test]
fn client_gets_every_line_echoed() {
    let (server, addr) = start_server();
    let out = run_client(addr, 25);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "client failed: {}: {stderr}",
        out.status
    );
    let expected: String = (0..25)
        .map(|i| format!("Sending msg {i}\nReceived reply msg {i}\n"))
        .collect();
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);

    // The server printed each line before echoing it, so all 25 are in the
    // pipe by now; killing it ends the output.
    let server_out = server.kill_and_collect();
    let expected: String = (0..25).map(|i| format!("Received msg {i}\n")).collect();
    assert_eq!(String::from_utf8_lossy(&server_out.stdout), expected);
}

#[test]
fn client_exits_1_on_a_wrong_reply() {
    let liar = StreamServer::bind("127.0.0.1:0", |mut conn, _peer| {
        let _ = conn.write_all(b"wrong\n");
        // Keep the connection open until the client goes away.
        let mut buf = [0; 64];
        while matches!(conn.read(&mut buf), Ok(n) if n > 0) {}
    })
    .unwrap();
    liar.start().unwrap();
    let out = run_client(liar.local_addr(), 3);
    liar.stop(Duration::ZERO);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(r#"reply "wrong" differs from request "msg 0""#),
        "stderr: {stderr}"
    );
}

#[test]
fn client_exits_1_without_a_server() {
    let port = greenline::testing::free_port().unwrap();
    let out = run_client(([127, 0, 0, 1], port).into(), 3);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("refused"), "stderr: {stderr}");
}

/// One peer's multipart request must not stop the talk's echo server: it
/// is answered whole, and the next plain request is answered as before.
#[test]
fn echo_server_survives_a_multipart_request() {
    let endpoint = common::process::free_endpoint();
    let mut cmd = example("echo_server");
    cmd.arg(&endpoint);
    let server = common::process::Running::start("echo_server", cmd);
    let ep = endpoint.clone();
    greenline::testing::run(Duration::from_secs(20), move || {
        let ctx = zmq::Context::new();
        let req = ctx.socket(zmq::REQ).unwrap();
        // The REQ connects (and retries) by itself while the server starts.
        req.set_rcvtimeo(Some(Duration::from_secs(10)));
        req.set_linger(Some(Duration::ZERO));
        req.connect(&ep).unwrap();
        req.send_multipart(["msg", "in", "parts"], 0).unwrap();
        assert_eq!(req.recv_multipart(0).unwrap(), ["msg", "in", "parts"]);
        req.send("msg 1", 0).unwrap();
        assert_eq!(req.recv_multipart(0).unwrap(), ["msg 1"]);
    });
    let out = server.stop();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Received msg in parts\nReceived msg 1\n",
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
