//! Heads and bodies together, driven the way the server will drive them:
//! pipelining, draining unread bodies, split reads, and a no-panic loop over
//! random and mutated input.

use bytes::BytesMut;

use super::*;

/// What a server does per request: parse the head, then drain the body
/// through the decoder. Returns each request's path and body.
fn serve_all(raw: &[u8]) -> Vec<(String, Vec<u8>)> {
    let limits = Limits::default();
    let mut buf = BytesMut::from(raw);
    let mut served = Vec::new();
    while let Some(head) = RequestHead::parse_split(&mut buf, &limits).unwrap() {
        let mut decoder = BodyDecoder::new(head.body_kind(), &limits);
        let mut body = Vec::new();
        loop {
            let d = decoder.decode(&buf).unwrap();
            body.extend_from_slice(&buf[d.data.clone()]);
            let _ = buf.split_to(d.consumed);
            if d.done {
                break;
            }
            assert!(!d.needs_more(), "test input holds whole bodies");
        }
        assert!(decoder.is_done());
        served.push((head.path().to_owned(), body));
    }
    assert!(buf.is_empty());
    served
}

#[test]
fn unread_body_is_never_a_request() {
    // may_minihttp served this body as a second request.
    let raw = b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 34\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n";
    let served = serve_all(raw);
    let paths: Vec<&str> = served.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["/a", "/b"]);
    assert!(served[0].1.starts_with(b"GET /smuggled"));
}

#[test]
fn pipelined_chunked_and_length_bodies() {
    let raw = b"POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: v\r\n\r\nPUT /l HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nwxyzGET /e HTTP/1.1\r\nHost: h\r\n\r\n";
    let served = serve_all(raw);
    let expected = [("/c", &b"abcde"[..]), ("/l", b"wxyz"), ("/e", b"")];
    assert_eq!(served.len(), 3);
    for ((path, body), (p, b)) in served.iter().zip(expected) {
        assert_eq!((path.as_str(), body.as_slice()), (p, b));
    }
}

#[test]
fn chunked_request_split_at_every_byte() {
    let raw = b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5;e\r\npedia\r\n0\r\n\r\nNEXT";
    let limits = Limits::default();
    for split in 0..raw.len() {
        // Two reads: the first ends at `split`, the second brings the rest.
        let (first, second) = raw.split_at(split);
        let mut reads = [first, second].into_iter();
        let mut buf = BytesMut::new();
        let mut read = |buf: &mut BytesMut| buf.extend_from_slice(reads.next().expect("stalled"));
        read(&mut buf);
        let head = loop {
            match RequestHead::parse_split(&mut buf, &limits).unwrap() {
                Some(head) => break head,
                None => read(&mut buf),
            }
        };
        let mut decoder = BodyDecoder::new(head.body_kind(), &limits);
        let mut body = Vec::new();
        loop {
            let d = decoder.decode(&buf).unwrap();
            body.extend_from_slice(&buf[d.data.clone()]);
            let _ = buf.split_to(d.consumed);
            if d.done {
                break;
            }
            if d.needs_more() {
                read(&mut buf);
            }
        }
        if buf.len() < 4 {
            read(&mut buf);
        }
        assert_eq!(body, b"Wikipedia", "split at {split}");
        assert_eq!(&buf[..], b"NEXT", "split at {split}");
    }
}

#[test]
fn length_body_decoder() {
    let mut d = BodyDecoder::new(BodyKind::Length(5), &Limits::default());
    assert!(!d.is_done());
    let step = d.decode(b"he").unwrap();
    assert_eq!((step.consumed, step.data, step.done), (2, 0..2, false));
    assert!(d.decode(b"").unwrap().needs_more());
    let step = d.decode(b"lloGET").unwrap();
    assert_eq!((step.consumed, step.data, step.done), (3, 0..3, true));
    assert!(d.is_done());
    assert_eq!(
        d.decode(b"GET").unwrap(),
        Decoded {
            consumed: 0,
            data: 0..0,
            done: true
        }
    );
    let mut empty = BodyDecoder::new(BodyKind::Empty, &Limits::default());
    assert_eq!(
        empty.decode(b"GET").unwrap(),
        Decoded {
            consumed: 0,
            data: 0..0,
            done: true
        }
    );
}

#[test]
fn chunked_body_limit_from_limits() {
    let limits = Limits {
        max_body_len: 8,
        ..Limits::default()
    };
    let mut d = BodyDecoder::new(BodyKind::Chunked, &limits);
    assert_eq!(d.decode(b"9\r\n").unwrap_err(), ParseError::BodyTooLarge);
    assert_eq!(ParseError::BodyTooLarge.status(), 413);
}

/// xorshift64: deterministic and dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Parses a head, then decodes its body in random slices, like a server.
/// Returns whether a body was decoded to its end.
fn drive(input: &[u8], rng: &mut Rng, limits: &Limits) -> bool {
    let Ok(Some((head, used))) = RequestHead::parse(input, limits) else {
        return false;
    };
    let mut body = BodyDecoder::new(head.body_kind(), limits);
    let mut rest = &input[used..];
    loop {
        let take = rng.below(rest.len() + 1);
        let gave_all = take == rest.len();
        let Ok(d) = body.decode(&rest[..take]) else {
            return false;
        };
        assert!(d.consumed <= take && d.data.end <= d.consumed);
        assert!(
            !d.needs_more() || d.consumed == take,
            "need-more leaves no input"
        );
        rest = &rest[d.consumed..];
        if d.done || (d.needs_more() && gave_all) {
            return d.done;
        }
    }
}

#[test]
fn random_and_mutated_input_never_panics() {
    let seeds: [&[u8]; 4] = [
        b"GET /a?b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n0\r\nT: 1\r\n\r\n",
        b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    ];
    let limits = Limits {
        max_headers: 8,
        max_head_len: 256,
        max_request_line: 64,
        max_body_len: 64,
    };
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let alphabet =
        b"\r\n :;,0123456789abcdefABCDEF\t-GETPOSTHTTP/1.chunkedContent-Length\x00\x7f\xff";
    let mut bodies = 0;
    for _ in 0..20_000 {
        let mut input = seeds[rng.below(seeds.len())].to_vec();
        for _ in 0..=rng.below(4) {
            let at = rng.below(input.len() + 1);
            match rng.below(4) {
                0 if at < input.len() => input[at] = alphabet[rng.below(alphabet.len())],
                1 if at < input.len() => {
                    input.remove(at);
                }
                2 => input.insert(at, alphabet[rng.below(alphabet.len())]),
                _ => input.truncate(at),
            }
        }
        bodies += usize::from(drive(&input, &mut rng, &limits));
    }
    // The mutations must leave enough valid requests to exercise the decoders.
    assert!(bodies > 1000, "only {bodies} bodies decoded");
    for _ in 0..5_000 {
        let len = rng.below(96);
        let input: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        drive(&input, &mut rng, &limits);
    }
}
