//! The HTTP server over raw bytes: keep-alive, pipelining, bodies, 100-continue,
//! malformed requests, response framing, timeouts (head, body read, write,
//! keep-alive), access log, stop.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::http::{app, quiet, serve, Client};
use greenline::http::proto::Limits;
use greenline::http::{AccessLog, BodyRate, Request, Response};

const GET: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";

#[test]
fn keep_alive_is_the_default_on_http11() {
    let (handler, calls) = app();
    let server = serve(handler, quiet());
    let mut c = Client::connect(server.local_addr());
    let r = c.send(b"GET /one HTTP/1.1\r\nHost: x\r\n\r\n").response();
    assert_eq!((r.status, r.text().as_str()), (200, "/one"));
    assert_eq!(r.header("connection"), None);
    let r = c.send(b"GET /two HTTP/1.1\r\nHost: x\r\n\r\n").response();
    assert_eq!(r.text(), "/two");
    assert_eq!(*calls.lock().unwrap(), ["GET /one", "GET /two"]);
}

#[test]
fn http10_closes_unless_keep_alive() {
    let (handler, _) = app();
    let server = serve(handler, quiet());
    let mut c = Client::connect(server.local_addr());
    let r = c.send(b"GET /a HTTP/1.0\r\n\r\n").response();
    assert_eq!(r.header("connection"), Some("close"));
    c.expect_eof();

    let mut c = Client::connect(server.local_addr());
    let r = c
        .send(b"GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        .response();
    assert_eq!(r.header("connection"), Some("keep-alive"));
    let r = c.send(b"GET /c HTTP/1.0\r\n\r\n").response();
    assert_eq!(r.text(), "/c");
    c.expect_eof();
}

#[test]
fn connection_close_is_honoured() {
    let (handler, _) = app();
    let server = serve(handler, quiet());
    let mut c = Client::connect(server.local_addr());
    let r = c
        .send(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .response();
    assert_eq!(r.header("connection"), Some("close"));
    c.expect_eof();
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let (handler, calls) = app();
    let server = serve(handler, quiet());
    let mut c = Client::connect(server.local_addr());
    c.send(
        b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\n\
          POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc\
          GET /3 HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    assert_eq!(c.response().text(), "/1");
    assert_eq!(c.response().text(), "abc");
    assert_eq!(c.response().text(), "/3");
    assert_eq!(calls.lock().unwrap().len(), 3);
}

#[test]
fn content_length_body_is_read_by_the_handler() {
    let (handler, _) = app();
    let server = serve(handler, quiet());
    let mut c = Client::connect(server.local_addr());
    c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello");
    // The rest arrives in a later segment: the handler reads from the socket.
    c.send(b" world");
    let r = c.response();
    assert_eq!((r.status, r.text().as_str()), (200, "hello world"));
}

#[test]
fn chunked_body_with_extensions_and_trailers() {
    let (handler, _) = app();
    let server = serve(handler, quiet());
    let mut c = Client::connect(server.local_addr());
    c.send(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
          5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
    );
    assert_eq!(c.response().text(), "hello world");
    // The trailers were consumed: the connection is in sync.
    assert_eq!(c.send(GET).response().text(), "/");
}

#[test]
fn expect_continue_is_sent_when_the_handler_reads() {
    let (handler, _) = app();
    let server = serve(handler, quiet());
    let mut c = Client::connect(server.local_addr());
    c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
    assert_eq!(c.raw(25), b"HTTP/1.1 100 Continue\r\n\r\n");
    let r = c.send(b"body").response();
    assert_eq!((r.status, r.text().as_str()), (200, "body"));
}

#[test]
fn ignored_body_gets_no_continue_and_the_connection_closes() {
    let (handler, calls) = app();
    let server = serve(handler, quiet());
    let mut c = Client::connect(server.local_addr());
    c.send(
        b"POST /ignore HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n",
    );
    let r = c.response();
    assert_eq!((r.status, r.text().as_str()), (200, "ignored"));
    assert_eq!(r.header("connection"), Some("close"));
    c.expect_eof();
    assert_eq!(*calls.lock().unwrap(), ["POST /ignore"]);
}

#[test]
fn an_unread_body_is_never_served_as_a_request() {
    let (handler, calls) = app();
    let server = serve(handler, quiet());
    let smuggled = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut c = Client::connect(server.local_addr());
    let head = format!(
        "POST /ignore HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        smuggled.len()
    );
    c.send(head.as_bytes()).send(smuggled);
    assert_eq!(c.response().text(), "ignored");
    // Same through chunked framing.
    c.send(b"POST /ignore HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    c.send(format!("{:x}\r\n", smuggled.len()).as_bytes())
        .send(smuggled)
        .send(b"\r\n0\r\n\r\n");
    assert_eq!(c.response().text(), "ignored");
    assert_eq!(
        c.send(b"GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
            .response()
            .text(),
        "/next"
    );
    assert_eq!(
        *calls.lock().unwrap(),
        ["POST /ignore", "POST /ignore", "GET /next"]
    );
}

/// Sends `raw` and expects `status` with `Connection: close`, then EOF;
/// the handler must not have been called.
fn rejected(raw: &[u8], status: u16, limits: Limits) {
    let (handler, calls) = app();
    let server = serve(handler, quiet().limits(limits));
    let mut c = Client::connect(server.local_addr());
    let r = c.send(raw).response();
    assert_eq!(r.status, status, "{r:?}");
    assert_eq!(r.header("connection"), Some("close"));
    c.expect_eof();
    assert!(calls.lock().unwrap().is_empty());
}

#[test]
fn transfer_encoding_with_content_length_is_400() {
    rejected(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        400,
        Limits::default(),
    );
}

#[test]
fn bad_request_line_is_400() {
    rejected(b"G@T / HTTP/1.1\r\nHost: x\r\n\r\n", 400, Limits::default());
}

#[test]
fn invalid_content_length_is_400() {
    rejected(
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        400,
        Limits::default(),
    );
}

#[test]
fn missing_host_is_400() {
    rejected(b"GET / HTTP/1.1\r\n\r\n", 400, Limits::default());
}

#[test]
fn long_target_is_414() {
    let raw = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(9000));
    rejected(raw.as_bytes(), 414, Limits::default());
}

#[test]
fn too_many_headers_is_431() {
    let mut raw = String::from("GET / HTTP/1.1\r\nHost: x\r\n");
    for i in 0..101 {
        raw.push_str(&format!("X-{i}: v\r\n"));
    }
    raw.push_str("\r\n");
    rejected(raw.as_bytes(), 431, Limits::default());
}

#[test]
fn unterminated_large_head_is_431_and_closed() {
    // 70 KiB of fields and no empty line: refused at the 64 KiB limit, so
    // the server's buffer stays bounded.
    let mut raw = String::from("GET / HTTP/1.1\r\nHost: x\r\n");
    while raw.len() < 70 * 1024 {
        raw.push_str(&format!("X-Filler: {}\r\n", "f".repeat(1000)));
    }
    rejected(raw.as_bytes(), 431, Limits::default());
}

#[test]
fn content_length_over_the_limit_is_413() {
    let limits = Limits {
        max_body_len: 10,
        ..Limits::default()
    };
    rejected(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world",
        413,
        limits,
    );
}

#[test]
fn gzip_chunked_is_501() {
    rejected(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        501,
        Limits::default(),
    );
}

#[test]
fn http2_version_is_505() {
    rejected(b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, Limits::default());
}

#[test]
fn chunked_body_over_the_limit_is_413_whatever_the_handler_says() {
    let (handler, _) = app();
    let limits = Limits {
        max_body_len: 10,
        ..Limits::default()
    };
    let server = serve(handler, quiet().limits(limits));
    let mut c = Client::connect(server.local_addr());
    let r = c
        .send(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n")
        .response();
    assert_eq!(r.status, 413);
    assert_eq!(r.header("connection"), Some("close"));
    c.expect_eof();
}

#[test]
fn bad_chunk_size_is_400_and_closed() {
    let (handler, _) = app();
    let server = serve(handler, quiet());
    let mut c = Client::connect(server.local_addr());
    let r = c
        .send(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n")
        .response();
    assert_eq!(r.status, 400);
    assert_eq!(r.header("connection"), Some("close"));
    c.expect_eof();
}

#[test]
fn handler_panic_is_a_generic_500_and_serving_goes_on() {
    let (handler, _) = app();
    let server = serve(handler, quiet());
    let mut c = Client::connect(server.local_addr());
    let r = c.send(b"GET /panic HTTP/1.1\r\nHost: x\r\n\r\n").response();
    assert_eq!(r.status, 500);
    assert!(!r.text().contains("secret"), "{}", r.text());
    // The framing was intact: the same connection goes on, and new ones work.
    assert_eq!(c.send(GET).response().status, 200);
    assert_eq!(
        Client::connect(server.local_addr())
            .send(GET)
            .response()
            .status,
        200
    );
}

#[test]
fn handler_error_is_a_generic_500() {
    let (handler, _) = app();
    let server = serve(handler, quiet());
    let mut c = Client::connect(server.local_addr());
    let r = c.send(b"GET /err HTTP/1.1\r\nHost: x\r\n\r\n").response();
    assert_eq!(r.status, 500);
    assert!(!r.text().contains("secret"), "{}", r.text());
    assert_eq!(c.send(GET).response().status, 200);
}

#[test]
fn header_injection_becomes_500() {
    let (handler, _) = app();
    let server = serve(handler, quiet());
    let mut c = Client::connect(server.local_addr());
    let r = c
        .send(b"GET /inject HTTP/1.1\r\nHost: x\r\n\r\n")
        .response();
    assert_eq!(r.status, 500);
    assert_eq!(r.header("set-cookie"), None);
    assert_eq!(r.header("x-evil"), None);
}

#[test]
fn forty_response_headers_are_all_sent() {
    let (handler, _) = app();
    let server = serve(handler, quiet());
    let r = Client::connect(server.local_addr())
        .send(b"GET /headers40 HTTP/1.1\r\nHost: x\r\n\r\n")
        .response();
    for i in 0..40 {
        let value = format!("value-{i}");
        assert_eq!(r.header(&format!("x-h-{i}")), Some(value.as_str()));
    }
}

#[test]
fn custom_reason_phrase() {
    let (handler, _) = app();
    let server = serve(handler, quiet());
    let r = Client::connect(server.local_addr())
        .send(b"GET /reason HTTP/1.1\r\nHost: x\r\n\r\n")
        .response();
    assert_eq!((r.status, r.reason.as_str()), (200, "Fine Thanks"));
}

#[test]
fn head_gets_the_length_but_no_body() {
    let (handler, _) = app();
    let server = serve(handler, quiet());
    let mut c = Client::connect(server.local_addr());
    let r = c
        .send(b"HEAD /abcd HTTP/1.1\r\nHost: x\r\n\r\n")
        .response_to("HEAD");
    assert_eq!(r.header("content-length"), Some("5"));
    // Had a body been sent, it would be read as the next status line.
    assert_eq!(c.send(GET).response().text(), "/");
    // A streamed body is not sent to HEAD either.
    let r = c
        .send(b"HEAD /stream HTTP/1.1\r\nHost: x\r\n\r\n")
        .response_to("HEAD");
    assert_eq!(r.header("content-length"), None);
    assert_eq!(c.send(GET).response().text(), "/");
}

#[test]
fn no_content_and_not_modified_have_no_body() {
    let (handler, _) = app();
    let server = serve(handler, quiet());
    let mut c = Client::connect(server.local_addr());
    for path in ["/no-content", "/not-modified"] {
        let raw = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
        let r = c.send(raw.as_bytes()).response();
        assert!(r.status == 204 || r.status == 304);
        assert_eq!(r.header("content-length"), None);
        assert_eq!(r.header("transfer-encoding"), None);
        assert_eq!(c.send(GET).response().text(), "/");
    }
}

#[test]
fn streamed_body_is_chunked_on_http11() {
    let (handler, _) = app();
    let server = serve(handler, quiet());
    let mut c = Client::connect(server.local_addr());
    let r = c
        .send(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
        .response();
    assert!(r.chunked);
    assert_eq!(r.text(), "hello streamed world");
    assert_eq!(c.send(GET).response().text(), "/");
}

#[test]
fn streamed_body_is_close_delimited_on_http10() {
    let (handler, _) = app();
    let server = serve(handler, quiet());
    let mut c = Client::connect(server.local_addr());
    let r = c
        .send(b"GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        .response();
    assert!(!r.chunked);
    assert_eq!(r.header("connection"), Some("close"));
    assert_eq!(r.header("content-length"), None);
    assert_eq!(r.text(), "hello streamed world");
}

#[test]
fn stream_with_a_known_length_has_content_length() {
    let (handler, _) = app();
    let server = serve(handler, quiet());
    let mut c = Client::connect(server.local_addr());
    let r = c.send(b"GET /sized HTTP/1.1\r\nHost: x\r\n\r\n").response();
    assert_eq!(r.header("content-length"), Some("5"));
    assert_eq!(r.text(), "12345");
}

#[test]
fn date_and_server_are_present() {
    let (handler, _) = app();
    let server = serve(handler, quiet());
    let r = Client::connect(server.local_addr()).send(GET).response();
    assert_eq!(r.header("server"), Some("greenline"));
    let date = r.header("date").unwrap();
    assert!(date.len() == 29 && date.ends_with(" GMT"), "{date}");
}

#[test]
fn idle_keep_alive_connection_is_closed_after_the_timeout() {
    let (handler, _) = app();
    let config = quiet().keepalive_timeout(Some(Duration::from_millis(100)));
    let server = serve(handler, config);
    let mut c = Client::connect(server.local_addr());
    assert_eq!(c.send(GET).response().status, 200);
    // Nothing more is sent: the server closes within its timeout (the read
    // itself is bounded by READ_LIMIT).
    c.expect_eof();
}

#[test]
fn slow_head_gets_408_and_is_closed() {
    let (handler, calls) = app();
    let config = quiet().head_timeout(Duration::from_millis(100));
    let server = serve(handler, config);
    let mut c = Client::connect(server.local_addr());
    let r = c.send(b"GET / HTTP/1.1\r\nHo").response();
    assert_eq!(r.status, 408);
    c.expect_eof();
    assert!(calls.lock().unwrap().is_empty());
}

#[test]
fn access_log_lines_have_pywsgi_format() {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let config = quiet().access_log(AccessLog::sink(move |e| {
        sink.lock().unwrap().push(e.to_string())
    }));
    let (handler, _) = app();
    let server = serve(handler, config);
    let mut c = Client::connect(server.local_addr());
    assert_eq!(
        c.send(b"GET /logme?x=1 HTTP/1.1\r\nHost: x\r\n\r\n")
            .response()
            .status,
        200
    );
    assert_eq!(c.send(b"G@T / HTTP/1.1\r\n\r\n").response().status, 400);
    c.expect_eof();
    // Each line is written before its response is sent.
    let lines = lines.lock().unwrap();
    assert_eq!(lines.len(), 2, "{lines:?}");
    // 127.0.0.1 - - [26/Nov/2026 10:20:31] "GET /logme?x=1 HTTP/1.1" 200 6 0.000123
    let line = &lines[0];
    let (prefix, rest) = line.split_at("127.0.0.1 - - [".len());
    assert_eq!(prefix, "127.0.0.1 - - [");
    let (time, rest) = rest.split_once("] ").unwrap();
    assert_eq!(time.len(), "26/Nov/2026 10:20:31".len(), "{line}");
    assert_eq!(&time[2..3], "/");
    let (fixed, seconds) = rest.rsplit_once(' ').unwrap();
    assert_eq!(fixed, "\"GET /logme?x=1 HTTP/1.1\" 200 6");
    assert_eq!(seconds.split_once('.').unwrap().1.len(), 6, "{line}");
    assert!(
        lines[1].contains("\"G@T / HTTP/1.1\" 400 12 "),
        "{}",
        lines[1]
    );
}

#[test]
fn access_log_lines_escape_control_and_non_ascii_bytes() {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let config = quiet().access_log(AccessLog::sink(move |e| {
        sink.lock().unwrap().push(e.to_string())
    }));
    let (handler, _) = app();
    let server = serve(handler, config);
    // Served: a UTF-8 sequence and a quote in the target, which the parser
    // accepts.
    let mut c = Client::connect(server.local_addr());
    let r = c
        .send(b"GET /caf\xc3\xa9?q=\"x\" HTTP/1.1\r\nHost: x\r\n\r\n")
        .response();
    assert_eq!(r.status, 200);
    // Refused (400): ESC, a byte that is not UTF-8, and a UTF-8 sequence.
    let mut c = Client::connect(server.local_addr());
    let r = c
        .send(b"GET /a\x1b\xff\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n")
        .response();
    assert_eq!(r.status, 400);
    c.expect_eof();
    let lines = lines.lock().unwrap();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].contains(r#" "GET /caf\xc3\xa9?q=\"x\" HTTP/1.1" 200 "#),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains(r#" "GET /a\x1b\xff\xc3\xa9 HTTP/1.1" 400 "#),
        "{}",
        lines[1]
    );
    for line in lines.iter() {
        assert!(
            line.bytes().all(|b| (b' '..=b'~').contains(&b)),
            "a raw byte in {line:?}"
        );
    }
}

#[test]
fn stop_closes_the_listener() {
    let server = serve(|_: &mut Request| Response::text(200, "up"), quiet());
    let addr = server.local_addr();
    let mut c = Client::connect(addr);
    assert_eq!(
        c.send(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .response()
            .text(),
        "up"
    );
    c.expect_eof();
    drop(c);
    server.stop(Duration::from_secs(2));
    assert!(std::net::TcpStream::connect(addr).is_err());
}

#[test]
fn stop_kills_connections_that_outlive_the_timeout() {
    let server = serve(|_: &mut Request| Response::text(200, "up"), quiet());
    let mut idle = Client::connect(server.local_addr());
    assert_eq!(idle.send(GET).response().status, 200);
    // The connection idles in keep-alive; stop waits 50 ms, then kills it.
    server.stop(Duration::from_millis(50));
    idle.expect_eof();
}

#[test]
fn max_connections_leaves_the_next_connection_in_the_backlog() {
    let server = serve(
        |_: &mut Request| Response::text(200, "up"),
        quiet().max_connections(1),
    );
    let mut first = Client::connect(server.local_addr());
    assert_eq!(first.send(GET).response().status, 200);
    assert_eq!(server.connection_count(), 1);

    // The kernel completes the handshake, but nothing accepts it while the
    // first connection idles in keep-alive.
    let mut second = Client::connect(server.local_addr());
    second.send(GET);
    second
        .stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    // A bounded check of a negative: it can pass wrongly on a very slow
    // machine, never fail wrongly.
    let mut byte = [0; 1];
    let err = std::io::Read::read(&mut second.stream, &mut byte).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "{err}"
    );

    // Closing the first frees the slot: the second is served.
    drop(first);
    second
        .stream
        .set_read_timeout(Some(common::http::READ_LIMIT))
        .unwrap();
    assert_eq!(second.response().text(), "up");
}

#[test]
fn stop_before_start_closes_the_listener() {
    let server = greenline::http::HttpServer::bind("127.0.0.1:0", |_: &mut Request| {
        Response::text(200, "never")
    })
    .unwrap();
    let addr = server.local_addr();
    server.stop(Duration::from_secs(1));
    assert!(std::net::TcpStream::connect(addr).is_err());
    assert_eq!(
        server.start().unwrap_err().kind(),
        std::io::ErrorKind::NotConnected
    );
    server.serve_forever().unwrap();
}

#[test]
fn a_body_that_stops_arriving_times_out_and_the_connection_closes() {
    let handler = |req: &mut Request| {
        let started = std::time::Instant::now();
        match req.read_body_to_end() {
            Ok(body) => Response::text(200, body),
            Err(e) => Response::text(
                200,
                format!("{:?} after {} ms", e.kind(), started.elapsed().as_millis()),
            ),
        }
    };
    let config = quiet().read_timeout(Some(Duration::from_millis(150)));
    let server = serve(handler, config);
    let mut c = Client::connect(server.local_addr());
    // Ten bytes announced, three sent, then nothing.
    let r = c
        .send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        .response();
    let text = r.text();
    let ms: u64 = text
        .strip_prefix("TimedOut after ")
        .and_then(|t| t.strip_suffix(" ms"))
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("handler saw {text:?}"));
    assert!(ms >= 150, "timed out after {ms} ms");
    // The body's framing is lost, so the connection closes.
    assert_eq!(r.header("connection"), Some("close"));
    c.expect_eof();
    // The server goes on serving.
    let r = Client::connect(server.local_addr()).send(GET).response();
    assert_eq!(r.status, 200);
}

/// Writes `bytes` to `stream` one at a time, `every` apart, until they
/// are all sent, a write fails or `stop` is set.
fn trickle(
    mut stream: std::net::TcpStream,
    bytes: Vec<u8>,
    every: Duration,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<()> {
    use std::io::Write;
    std::thread::spawn(move || {
        for b in bytes {
            if stop.load(std::sync::atomic::Ordering::SeqCst) || stream.write_all(&[b]).is_err() {
                return;
            }
            // The trickle's own pace, the test's stimulus: not a wait for
            // the server.
            std::thread::sleep(every);
        }
    })
}

/// Sends `head`, then trickles `body` a byte every 100 ms to a server
/// wanting 1,000 bytes a second after 300 ms; expects 408 and the close,
/// then the one connection slot serving the next client.
fn trickled_body_gets_408(head: &[u8], body: &[u8]) {
    let (handler, _) = app();
    let config = quiet()
        .min_body_rate(Some(BodyRate::new(1000, Duration::from_millis(300))))
        .max_connections(1);
    let server = serve(handler, config);
    let mut c = Client::connect(server.local_addr());
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sent = std::time::Instant::now();
    c.send(head);
    let trickler = trickle(
        c.stream.try_clone().unwrap(),
        body.to_vec(),
        Duration::from_millis(100),
        stop.clone(),
    );
    let r = c.response();
    let took = sent.elapsed();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(r.status, 408, "{r:?}");
    assert_eq!(r.header("connection"), Some("close"));
    // Never before the grace period; the client's read limit bounds it.
    assert!(took >= Duration::from_millis(300), "408 after {took:?}");
    c.expect_eof();
    trickler.join().unwrap();
    drop(c);
    // The slot is free: the next client is served.
    let r = Client::connect(server.local_addr()).send(GET).response();
    assert_eq!(r.status, 200);
}

#[test]
fn a_body_slower_than_the_minimum_rate_gets_408_and_frees_its_slot() {
    trickled_body_gets_408(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n",
        &[b'x'; 100],
    );
}

#[test]
fn a_chunked_body_slower_than_the_minimum_rate_gets_408() {
    trickled_body_gets_408(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
        &b"1\r\nx\r\n".repeat(20),
    );
}

#[test]
fn an_unread_body_slower_than_the_minimum_rate_is_not_drained_for_ever() {
    let (handler, _) = app();
    let config = quiet().min_body_rate(Some(BodyRate::new(1000, Duration::from_millis(300))));
    let server = serve(handler, config);
    let mut c = Client::connect(server.local_addr());
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Short enough to be drained to keep the connection; the handler
    // answers without reading it.
    c.send(b"POST /ignore HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n");
    let trickler = trickle(
        c.stream.try_clone().unwrap(),
        vec![b'x'; 100],
        Duration::from_millis(100),
        stop.clone(),
    );
    assert_eq!(c.response().text(), "ignored");
    // The server gives up draining and closes, within the read limit.
    c.expect_eof();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    trickler.join().unwrap();
}

/// A response body of `len` bytes that reports when it is dropped (the
/// server drops it when the response ends, finished or not).
struct Endless {
    left: usize,
    dropped: Option<std::sync::mpsc::Sender<(usize, std::time::Instant)>>,
}

impl std::io::Read for Endless {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = out.len().min(self.left);
        out[..n].fill(b'x');
        self.left -= n;
        Ok(n)
    }
}

impl Drop for Endless {
    fn drop(&mut self) {
        if let Some(tx) = self.dropped.take() {
            let _ = tx.send((self.left, std::time::Instant::now()));
        }
    }
}

#[test]
fn a_client_that_stops_reading_is_dropped_after_the_write_timeout() {
    let (tx, rx) = std::sync::mpsc::channel();
    let tx = Mutex::new(tx);
    let handler = move |req: &mut Request| {
        if req.path() != "/big" {
            return Response::text(200, "small");
        }
        let body = Endless {
            left: 256 << 20,
            dropped: Some(tx.lock().unwrap().clone()),
        };
        Response::stream(200, body)
    };
    let config = quiet().write_timeout(Some(Duration::from_millis(200)));
    let server = serve(handler, config);
    let mut c = Client::connect(server.local_addr());
    let sent = std::time::Instant::now();
    // The request is sent and the response never read: the socket buffers
    // fill and the server's write waits, until its timeout ends it.
    c.send(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
    let (left, when) = rx
        .recv_timeout(common::http::READ_LIMIT)
        .expect("the response was not given up within the limit");
    assert!(left > 0, "the whole 256 MiB went into socket buffers");
    assert!(
        when - sent >= Duration::from_millis(200),
        "{:?}",
        when - sent
    );
    // Another client is served meanwhile and after.
    let r = Client::connect(server.local_addr()).send(GET).response();
    assert_eq!(r.status, 200);
    drop(c);
}
