//! The HTTP server against real clients: curl and Python's `http.client`,
//! run as child processes against a server in this process.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::http::{app, quiet, serve};

/// Runs curl with a time limit; returns stdout.
fn curl(args: &[&str], stdin: Option<&[u8]>) -> String {
    let mut child = Command::new("curl")
        .args(["-sS", "--max-time", "10"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("curl is installed");
    let mut input = child.stdin.take().unwrap();
    if let Some(data) = stdin {
        input.write_all(data).unwrap();
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    checked(out)
}

fn checked(out: Output) -> String {
    assert!(
        out.status.success(),
        "status {:?}, stderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a Python 3 program with the server's port as `PORT`; returns stdout.
fn python(program: &str, port: u16) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(program)
        .env("PORT", port.to_string())
        .output()
        .expect("python3 is installed");
    checked(out)
}

#[test]
fn curl_get_and_http10() {
    let (handler, _) = app();
    let server = serve(handler, quiet());
    let url = format!("http://{}/hello", server.local_addr());
    let out = curl(&["-i", &url], None);
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    assert!(out.contains("\r\nContent-Length: 6\r\n"), "{out}");
    assert!(out.ends_with("\r\n\r\n/hello"), "{out}");
    let out = curl(&["-i", "--http1.0", &url], None);
    assert!(out.contains("\r\nConnection: close\r\n"), "{out}");
    assert!(out.ends_with("/hello"), "{out}");
}

#[test]
fn curl_expect_continue_upload() {
    let (handler, _) = app();
    let server = serve(handler, quiet());
    let url = format!("http://{}/echo", server.local_addr());
    let out = curl(
        &[
            "-i",
            "-H",
            "Expect: 100-continue",
            "--data",
            "uploaded-body",
            &url,
        ],
        None,
    );
    assert!(
        out.starts_with("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"),
        "{out}"
    );
    assert!(out.ends_with("\r\n\r\nuploaded-body"), "{out}");
}

#[test]
fn curl_chunked_upload_and_streamed_download() {
    let (handler, _) = app();
    let server = serve(handler, quiet());
    let addr = server.local_addr();
    let body = "x".repeat(100_000);
    let out = curl(
        &[
            "-H",
            "Transfer-Encoding: chunked",
            "--data-binary",
            "@-",
            &format!("http://{addr}/echo"),
        ],
        Some(body.as_bytes()),
    );
    assert_eq!(out.len(), body.len());
    assert_eq!(out, body);
    let out = curl(&[&format!("http://{addr}/stream")], None);
    assert_eq!(out, "hello streamed world");
}

#[test]
fn curl_keeps_one_connection_for_several_urls() {
    let (handler, _) = app();
    let server = serve(handler, quiet());
    let addr = server.local_addr();
    let out = curl(
        &[
            "-w",
            " %{num_connects}\n",
            &format!("http://{addr}/a"),
            &format!("http://{addr}/b"),
        ],
        None,
    );
    // The second transfer reused the first connection: 0 new connects.
    assert_eq!(out, "/a 1\n/b 0\n");
}

#[test]
fn python_http_client_keep_alive_post_and_chunked() {
    let (handler, calls) = app();
    let server = serve(handler, quiet());
    let program = r#"
import http.client, os
c = http.client.HTTPConnection("127.0.0.1", int(os.environ["PORT"]), timeout=10)
c.request("GET", "/first")
r = c.getresponse()
print(r.status, r.read().decode())
sock = c.sock
c.request("POST", "/echo", body=b"posted")
r = c.getresponse()
print(r.status, r.read().decode(), c.sock is sock)
c.request("POST", "/echo", body=iter([b"in ", b"chunks"]), encode_chunked=True,
          headers={"Transfer-Encoding": "chunked"})
r = c.getresponse()
print(r.status, r.read().decode())
c.request("GET", "/stream")
r = c.getresponse()
print(r.status, r.getheader("Transfer-Encoding"), r.read().decode())
c.request("HEAD", "/abc")
r = c.getresponse()
print(r.status, r.getheader("Content-Length"), repr(r.read()))
c.close()
"#;
    let out = python(program, server.local_addr().port());
    assert_eq!(
        out,
        "200 /first\n200 posted True\n200 in chunks\n200 chunked hello streamed world\n200 4 b''\n"
    );
    assert_eq!(calls.lock().unwrap().len(), 5);
}
