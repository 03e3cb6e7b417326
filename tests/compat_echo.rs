//! The talk's echo in three languages, against greenline's ports: the
//! `echo_server` example (REP) answering the Python, Ruby and PHP clients of
//! `compat/`, the `echo_client` example (REQ) asking their servers, and the
//! `gevent_zeromq` example beside `compat/gevent_zeromq.py`.
//!
//! "Match the original" is literal: the expected lines are what the Python
//! originals print when run against each other (once per test binary), and
//! each port's lines must equal them. Needs `bash compat/setup.sh` first
//! (Ruby's ffi-rzmq, PHP's zmq extension, the venv); CI runs it.

mod common;

use std::sync::OnceLock;

use common::process::{example, free_endpoint, original, run, success, Running};
use rstest::rstest;

/// What the Python originals print: (server's stdout, client's stdout).
fn reference() -> &'static (String, String) {
    static OUT: OnceLock<(String, String)> = OnceLock::new();
    OUT.get_or_init(|| {
        let ep = free_endpoint();
        let mut server = original("echo_server.py");
        server.args([&ep, "10"]);
        let server = Running::start("echo_server.py", server);
        let mut client = original("echo_client.py");
        client.arg(&ep);
        let client = success("echo_client.py", &run("echo_client.py", client));
        let server = success("echo_server.py", &server.finish());
        // The contract (compat/README.md), so a drift in the originals shows.
        assert!(client.starts_with("Sending msg 0\nReceived reply msg 0\n"));
        assert!(server.starts_with("Received msg 0\n"));
        (server, client)
    })
}

#[rstest]
fn echo_server_answers_the_original_client(#[values("py", "rb", "php")] lang: &str) {
    let (want_server, want_client) = reference();
    let ep = free_endpoint();
    let mut server = example("echo_server");
    server.args([&ep, "10"]);
    // The client's REQ connects (and retries) by itself: no need to wait
    // for the server to listen first.
    let server = Running::start("echo_server", server);
    let name = format!("echo_client.{lang}");
    let mut client = original(&name);
    client.arg(&ep);
    let client = success(&name, &run(&name, client));
    assert_eq!(&client, want_client, "{name}'s lines");
    let server = success("echo_server", &server.finish());
    assert_eq!(&server, want_server, "echo_server's lines");
}

#[rstest]
fn echo_client_asks_the_original_server(#[values("py", "rb", "php")] lang: &str) {
    let (want_server, want_client) = reference();
    let ep = free_endpoint();
    let name = format!("echo_server.{lang}");
    let mut server = original(&name);
    server.args([&ep, "10"]);
    let server = Running::start(&name, server);
    let mut client = example("echo_client");
    client.arg(&ep);
    let client = success("echo_client", &run("echo_client", client));
    assert_eq!(&client, want_client, "echo_client's lines");
    let server = success(&name, &server.finish());
    assert_eq!(&server, want_server, "{name}'s lines");
}

#[test]
fn gevent_zeromq_prints_what_the_original_prints() {
    let mut ours = example("gevent_zeromq");
    ours.arg(free_endpoint());
    let ours = Running::start("gevent_zeromq", ours);
    let mut theirs = original("gevent_zeromq.py");
    theirs.arg(free_endpoint());
    let theirs = success("gevent_zeromq.py", &run("gevent_zeromq.py", theirs));
    let ours = success("gevent_zeromq", &ours.finish());
    assert_eq!(theirs.lines().count(), 20, "the original's twenty lines");
    assert_eq!(ours, theirs);
}
