//! Request-head parsing and framing tables, fed raw bytes.

use bytes::BytesMut;
use rstest::rstest;

use super::*;

fn parse(raw: &[u8]) -> Result<Option<(RequestHead, usize)>, ParseError> {
    RequestHead::parse(raw, &Limits::default())
}

fn complete(raw: &[u8]) -> (RequestHead, usize) {
    parse(raw).expect("valid head").expect("complete head")
}

/// The status a head is refused with, or 0 if it parses.
fn status_of(raw: &[u8], limits: &Limits) -> u16 {
    match RequestHead::parse(raw, limits) {
        Ok(Some(_)) => 0,
        Ok(None) => panic!("partial: {:?}", String::from_utf8_lossy(raw)),
        Err(e) => e.status(),
    }
}

#[test]
fn simple_get() {
    let raw = b"GET /index.html?a=1&b HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n";
    let (head, used) = complete(raw);
    assert_eq!(used, raw.len());
    assert_eq!(head.method(), "GET");
    assert_eq!(head.target(), "/index.html?a=1&b");
    assert_eq!(head.path(), "/index.html");
    assert_eq!(head.query(), Some("a=1&b"));
    assert_eq!(head.version(), Version::Http11);
    assert_eq!(head.headers().get("host"), Some(&b"example.com"[..]));
    assert_eq!(head.body_kind(), BodyKind::Empty);
    assert!(head.keep_alive());
    assert!(!head.expects_continue());
    assert!(!head.is_head());
    assert_eq!(head.as_bytes(), &raw[..]);
}

#[rstest]
#[case::origin("/a/b", "/a/b", None)]
#[case::empty_query("/a?", "/a", Some(""))]
#[case::absolute("http://h:8/x/y?q=1", "/x/y", Some("q=1"))]
#[case::absolute_no_path("http://h", "/", None)]
#[case::absolute_query_only("http://h?q", "/", Some("q"))]
#[case::asterisk("*", "*", None)]
fn target_split(#[case] target: &str, #[case] path: &str, #[case] query: Option<&str>) {
    let raw = format!("OPTIONS {target} HTTP/1.1\r\nHost: h\r\n\r\n");
    let (head, _) = complete(raw.as_bytes());
    assert_eq!(
        (head.target(), head.path(), head.query()),
        (target, path, query)
    );
}

#[test]
fn every_prefix_needs_more_until_complete() {
    let raw = b"POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc";
    let head_len = raw.len() - 3;
    for end in 0..head_len {
        assert!(
            parse(&raw[..end]).unwrap().is_none(),
            "prefix of {end} bytes"
        );
    }
    for end in head_len..=raw.len() {
        let (head, used) = complete(&raw[..end]);
        assert_eq!(used, head_len);
        assert_eq!(head.body_kind(), BodyKind::Length(3));
    }
}

#[test]
fn pipelined_requests_use_exact_bytes() {
    let raw = b"GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\nGET /3 HTTP/1.1\r\nHost: h\r\n\r\n";
    let mut buf = BytesMut::from(&raw[..]);
    let mut paths = Vec::new();
    while let Some(head) = RequestHead::parse_split(&mut buf, &Limits::default()).unwrap() {
        paths.push(head.path().to_owned());
    }
    assert_eq!(paths, ["/1", "/2", "/3"]);
    assert!(buf.is_empty());
    let (_, used) = complete(raw);
    assert_eq!(used, raw.len() / 3);
}

#[test]
fn leading_empty_lines_are_skipped() {
    let raw = b"\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n";
    let (head, used) = complete(raw);
    assert_eq!(used, raw.len());
    assert_eq!(head.method(), "GET");
}

#[test]
fn repeated_headers_and_case_insensitive_lookup() {
    let raw =
        b"GET / HTTP/1.1\r\nHost: h\r\nAccept: a\r\nX-One:  1 \r\naccept: b\r\nACCEPT: c\r\n\r\n";
    let (head, _) = complete(raw);
    let h = head.headers();
    assert_eq!(h.len(), 5);
    assert_eq!(h.get("ACCEPT"), Some(&b"a"[..]));
    assert_eq!(h.get_str("x-one"), Some("1"));
    assert_eq!(h.get_all("Accept").collect::<Vec<_>>(), [b"a", b"b", b"c"]);
    let names: Vec<&str> = h.iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["Host", "Accept", "X-One", "accept", "ACCEPT"]);
}

#[rstest]
#[case::http11_default("GET / HTTP/1.1\r\nHost: h\r\n\r\n", true)]
#[case::http11_close("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", false)]
#[case::http11_close_in_list(
    "GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, CLOSE\r\n\r\n",
    false
)]
#[case::http11_close_second_line(
    "GET / HTTP/1.1\r\nHost: h\r\nConnection: te\r\nConnection: close\r\n\r\n",
    false
)]
#[case::http10_default("GET / HTTP/1.0\r\n\r\n", false)]
#[case::http10_keep_alive("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true)]
#[case::http10_keep_alive_and_close(
    "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
    false
)]
fn keep_alive(#[case] raw: &str, #[case] expected: bool) {
    assert_eq!(complete(raw.as_bytes()).0.keep_alive(), expected);
}

#[rstest]
#[case::http11("HTTP/1.1", true)]
#[case::http10("HTTP/1.0", false)]
fn expect_continue_only_in_http11(#[case] version: &str, #[case] expected: bool) {
    let raw =
        format!("PUT / {version}\r\nHost: h\r\nContent-Length: 1\r\nExpect: 100-Continue\r\n\r\n");
    assert_eq!(complete(raw.as_bytes()).0.expects_continue(), expected);
}

#[rstest]
#[case::no_body("GET / HTTP/1.1\r\nHost: h\r\n\r\n", BodyKind::Empty)]
#[case::length(
    "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n",
    BodyKind::Length(5)
)]
#[case::length_zero(
    "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
    BodyKind::Empty
)]
#[case::length_list_equal(
    "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\n",
    BodyKind::Length(5)
)]
#[case::length_lines_equal(
    "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
    BodyKind::Length(5)
)]
#[case::chunked(
    "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
    BodyKind::Chunked
)]
#[case::chunked_case(
    "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:  Chunked \r\n\r\n",
    BodyKind::Chunked
)]
#[case::http10_length("POST / HTTP/1.0\r\nContent-Length: 2\r\n\r\n", BodyKind::Length(2))]
fn body_kind(#[case] raw: &str, #[case] expected: BodyKind) {
    assert_eq!(complete(raw.as_bytes()).0.body_kind(), expected);
}

#[rstest]
#[case::cl_and_te(
    "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
    ParseError::ContentLengthWithTransferEncoding
)]
#[case::cl_abc(
    "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n",
    ParseError::InvalidContentLength
)]
#[case::cl_negative(
    "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
    ParseError::InvalidContentLength
)]
#[case::cl_plus(
    "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +1\r\n\r\n",
    ParseError::InvalidContentLength
)]
#[case::cl_empty(
    "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \r\n\r\n",
    ParseError::InvalidContentLength
)]
#[case::cl_differing_list(
    "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 2\r\n\r\n",
    ParseError::InvalidContentLength
)]
#[case::cl_differing_lines(
    "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    ParseError::InvalidContentLength
)]
#[case::cl_overflow(
    "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 18446744073709551616\r\n\r\n",
    ParseError::InvalidContentLength
)]
#[case::cl_over_limit(
    "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 16777217\r\n\r\n",
    ParseError::BodyTooLarge
)]
#[case::cl_u64_max(
    "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 18446744073709551615\r\n\r\n",
    ParseError::BodyTooLarge
)]
#[case::te_gzip(
    "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n",
    ParseError::ChunkedNotFinal
)]
#[case::te_chunked_gzip(
    "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
    ParseError::ChunkedNotFinal
)]
#[case::te_chunked_twice(
    "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
    ParseError::ChunkedNotFinal
)]
#[case::te_gzip_chunked(
    "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
    ParseError::UnsupportedTransferCoding
)]
#[case::te_split_lines(
    "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
    ParseError::UnsupportedTransferCoding
)]
#[case::te_empty(
    "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \r\n\r\n",
    ParseError::ChunkedNotFinal
)]
#[case::te_in_http10(
    "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
    ParseError::TransferEncodingInHttp10
)]
#[case::missing_host("GET / HTTP/1.1\r\n\r\n", ParseError::MissingHost)]
#[case::two_hosts(
    "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n",
    ParseError::DuplicateHost
)]
#[case::bad_method("G@T / HTTP/1.1\r\nHost: h\r\n\r\n", ParseError::InvalidRequestLine)]
#[case::http2("GET / HTTP/2.0\r\nHost: h\r\n\r\n", ParseError::UnsupportedVersion)]
#[case::http12("GET / HTTP/1.2\r\nHost: h\r\n\r\n", ParseError::UnsupportedVersion)]
#[case::bad_version("GET / HTTX/1.1\r\nHost: h\r\n\r\n", ParseError::InvalidRequestLine)]
#[case::double_space("GET /  HTTP/1.1\r\nHost: h\r\n\r\n", ParseError::InvalidRequestLine)]
#[case::http09("GET /\r\n\r\n", ParseError::InvalidRequestLine)]
#[case::space_before_colon("GET / HTTP/1.1\r\nHost : h\r\n\r\n", ParseError::InvalidHeader)]
#[case::obs_fold(
    "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n",
    ParseError::InvalidHeader
)]
#[case::bare_cr("GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", ParseError::InvalidHeader)]
fn refused(#[case] raw: &str, #[case] expected: ParseError) {
    assert_eq!(parse(raw.as_bytes()).unwrap_err(), expected);
}

#[rstest]
#[case::cl_and_te(ParseError::ContentLengthWithTransferEncoding, 400)]
#[case::cl_abc(ParseError::InvalidContentLength, 400)]
#[case::too_large(ParseError::BodyTooLarge, 413)]
#[case::uri(ParseError::UriTooLong, 414)]
#[case::headers(ParseError::TooManyHeaders, 431)]
#[case::head(ParseError::HeadTooLarge, 431)]
#[case::gzip_chunked(ParseError::UnsupportedTransferCoding, 501)]
#[case::version(ParseError::UnsupportedVersion, 505)]
fn status_codes(#[case] error: ParseError, #[case] status: u16) {
    assert_eq!(error.status(), status);
}

#[test]
fn header_count_limit() {
    let head = |n: usize| {
        let mut raw = String::from("GET / HTTP/1.1\r\nHost: h\r\n");
        for i in 1..n {
            raw.push_str(&format!("X-{i}: v\r\n"));
        }
        raw + "\r\n"
    };
    let limits = Limits::default();
    assert_eq!(status_of(head(100).as_bytes(), &limits), 0);
    assert_eq!(status_of(head(101).as_bytes(), &limits), 431);
    // Refused before the head ends, so the buffer cannot grow meanwhile.
    let partial = head(101);
    let partial = &partial.as_bytes()[..partial.len() - 2];
    assert_eq!(parse(partial).unwrap_err(), ParseError::TooManyHeaders);
}

#[test]
fn request_line_limit() {
    let limits = Limits::default();
    let line = |target_len: usize| format!("GET /{} HTTP/1.1", "a".repeat(target_len - 1));
    let fits = line(8192 - 13);
    assert_eq!(fits.len(), 8192);
    assert_eq!(
        status_of(format!("{fits}\r\nHost: h\r\n\r\n").as_bytes(), &limits),
        0
    );
    let over = line(8192 - 12);
    assert_eq!(
        status_of(format!("{over}\r\nHost: h\r\n\r\n").as_bytes(), &limits),
        414
    );
    // An unterminated target is refused as soon as it passes the limit.
    let partial = format!("GET /{}", "a".repeat(8200));
    assert_eq!(
        parse(partial.as_bytes()).unwrap_err(),
        ParseError::UriTooLong
    );
    assert!(parse(&partial.as_bytes()[..8000]).unwrap().is_none());
}

#[test]
fn method_limit() {
    assert_eq!(parse(&[b'A'; 33]).unwrap_err(), ParseError::MethodTooLong);
    assert!(parse(&[b'A'; 32]).unwrap().is_none());
    assert_eq!(ParseError::MethodTooLong.status(), 501);
}

#[test]
fn unterminated_head_is_refused_on_partial_input() {
    let limits = Limits {
        max_head_len: 1024,
        ..Limits::default()
    };
    let mut raw = b"GET / HTTP/1.1\r\nHost: h\r\nX-Long: ".to_vec();
    raw.resize(1023, b'x');
    assert!(RequestHead::parse(&raw, &limits).unwrap().is_none());
    raw.push(b'x');
    assert_eq!(
        RequestHead::parse(&raw, &limits).unwrap_err(),
        ParseError::HeadTooLarge
    );
    // Also with the default 64 KiB limit and a head that never ends.
    let mut raw = b"GET / HTTP/1.1\r\nHost: h\r\n".to_vec();
    while raw.len() < 64 * 1024 {
        raw.extend_from_slice(b"X-Pad: 0123456789abcdef\r\n");
    }
    let err = RequestHead::parse(
        &raw,
        &Limits {
            max_headers: 10_000,
            ..Limits::default()
        },
    );
    assert_eq!(err.unwrap_err().status(), 431);
}

#[test]
fn complete_head_over_limit_is_refused() {
    let limits = Limits {
        max_head_len: 40,
        ..Limits::default()
    };
    let raw = b"GET / HTTP/1.1\r\nHost: h\r\nX-Pad: 0123456789\r\n\r\n";
    assert_eq!(
        RequestHead::parse(raw, &limits).unwrap_err(),
        ParseError::HeadTooLarge
    );
}

/// A complete head's request line is bounded from the parse, a partial
/// one's by scanning: both give the same answers at every boundary, with
/// CRLF or bare LF, after empty lines, whole or cut anywhere.
#[test]
fn request_line_bounds_agree_complete_and_partial() {
    let limits = Limits {
        max_request_line: 40,
        ..Limits::default()
    };
    for lead in ["", "\r\n", "\n\r\n"] {
        for eol in ["\r\n", "\n"] {
            for method_len in [1, 31, 32, 33, 34] {
                for target_len in 1..40 {
                    let method = "M".repeat(method_len);
                    let target = format!("/{}", "t".repeat(target_len - 1));
                    let line = format!("{method} {target} HTTP/1.1");
                    let raw = format!("{lead}{line}{eol}Host: h{eol}{eol}");
                    let expected = if method_len > 32 {
                        Err(ParseError::MethodTooLong)
                    } else if line.len() > limits.max_request_line {
                        Err(ParseError::UriTooLong)
                    } else {
                        Ok(())
                    };
                    let got = RequestHead::parse(raw.as_bytes(), &limits).map(|h| {
                        assert!(h.is_some(), "{raw:?} is complete");
                    });
                    assert_eq!(got, expected, "{raw:?}");
                    // Cut short, a head is either refused the same way or
                    // waits for more.
                    for end in 0..raw.len() {
                        match RequestHead::parse(&raw.as_bytes()[..end], &limits) {
                            Ok(None) => {}
                            Ok(Some(_)) => panic!("{:?} is partial", &raw[..end]),
                            Err(e) => assert_eq!(Err(e), expected, "{:?}", &raw[..end]),
                        }
                    }
                }
            }
        }
    }
}

/// Past the on-stack scratch (24 fields) the head is parsed again on the
/// heap: every field up to the limit is kept, one more is 431.
#[rstest]
#[case(23)]
#[case(24)]
#[case(25)]
#[case(60)]
#[case(100)]
fn many_fields_up_to_the_limit(#[case] count: usize) {
    let mut raw = String::from("GET / HTTP/1.1\r\nHost: x\r\n");
    for i in 1..count {
        raw.push_str(&format!("X-F{i}: v{i}\r\n"));
    }
    raw.push_str("\r\n");
    let (head, used) = complete(raw.as_bytes());
    assert_eq!(used, raw.len());
    assert_eq!(head.headers().len(), count);
    assert_eq!(
        head.headers()
            .get_str(&format!("x-f{}", count - 1))
            .is_some(),
        count > 1
    );
    let over = raw.replacen("\r\n\r\n", "\r\nX-Over: 1\r\n\r\n", 1);
    let expected = if count + 1 > Limits::default().max_headers {
        431
    } else {
        0
    };
    if expected == 431 {
        assert_eq!(status_of(over.as_bytes(), &Limits::default()), 431);
    } else {
        assert_eq!(complete(over.as_bytes()).0.headers().len(), count + 1);
    }
}
