//! Feeds arbitrary bytes to the HTTP request head parser and then, as the
//! server would, to the body decoder, in reads of varying size.
#![no_main]

use greenline::http::proto::{BodyDecoder, Limits, RequestHead};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Small limits so the fuzzer reaches them.
    let limits = Limits {
        max_headers: 16,
        max_head_len: 2048,
        max_request_line: 256,
        max_body_len: 4096,
    };
    let Ok(Some((head, used))) = RequestHead::parse(data, &limits) else {
        return;
    };
    let mut body = BodyDecoder::new(head.body_kind(), &limits);
    let mut rest = &data[used..];
    // Read sizes come from the head length, so one input explores one split.
    let read = 1 + used % 7;
    while let Ok(d) = body.decode(&rest[..rest.len().min(read)]) {
        assert!(d.data.end <= d.consumed && d.consumed <= rest.len());
        rest = &rest[d.consumed..];
        if d.done || (d.needs_more() && rest.is_empty()) {
            break;
        }
    }
});
