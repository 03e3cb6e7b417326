//! Message framing of a request (RFC 9112 §6) and connection persistence
//! (RFC 9112 §9.3), decided from the head alone.

use super::{Headers, Limits, ParseError, Version};

/// How the body of a request is delimited on the wire.
///
/// Decided once per request by [`RequestHead::parse`](super::RequestHead::parse);
/// feed it to [`BodyDecoder::new`](super::BodyDecoder::new).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyKind {
    /// No body: neither `Content-Length` nor `Transfer-Encoding` was sent.
    /// RFC 9112 §6.3: "If this is a request message and none of the above
    /// are true, then the message body length is zero".
    Empty,
    /// Exactly this many bytes follow the head.
    Length(u64),
    /// The chunked transfer coding follows the head.
    Chunked,
}

/// What the head says about the body and the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Decision {
    pub(crate) body: BodyKind,
    pub(crate) keep_alive: bool,
    pub(crate) expects_continue: bool,
}

impl Decision {
    /// What [`decide`] answers for a head with none of `Content-Length`,
    /// `Transfer-Encoding`, `Connection` and `Expect`: no body, and the
    /// version's default persistence.
    pub(crate) fn plain(version: Version) -> Decision {
        Decision {
            body: BodyKind::Empty,
            keep_alive: version == Version::Http11,
            expects_continue: false,
        }
    }
}

/// Applies RFC 9112 §6.1–6.3 and §9.3 to a parsed head.
pub(crate) fn decide(
    version: Version,
    headers: &Headers,
    limits: &Limits,
) -> Result<Decision, ParseError> {
    let body = body_kind(version, headers, limits)?;
    Ok(Decision {
        body,
        keep_alive: keep_alive(version, headers),
        // RFC 9110 §10.1.1: "A server that receives a 100-continue expectation
        // in an HTTP/1.0 request MUST ignore that expectation."
        expects_continue: version == Version::Http11
            && headers
                .get_all("expect")
                .any(|v| trim(v).eq_ignore_ascii_case(b"100-continue")),
    })
}

fn body_kind(version: Version, headers: &Headers, limits: &Limits) -> Result<BodyKind, ParseError> {
    let has_te = headers.contains("transfer-encoding");
    let has_cl = headers.contains("content-length");
    if has_te {
        // RFC 9112 §6.1: "A server MAY reject a request that contains both
        // Content-Length and Transfer-Encoding or process such a request in
        // accordance with the Transfer-Encoding alone. Regardless, the server
        // MUST close the connection after responding". We reject.
        if has_cl {
            return Err(ParseError::ContentLengthWithTransferEncoding);
        }
        // RFC 9112 §6.1: "A server or client that receives an HTTP/1.0 message
        // containing a Transfer-Encoding header field MUST treat the message as
        // if the framing is faulty".
        if version == Version::Http10 {
            return Err(ParseError::TransferEncodingInHttp10);
        }
        return transfer_coding(headers);
    }
    if has_cl {
        let n = content_length(headers)?;
        if n > limits.max_body_len {
            return Err(ParseError::BodyTooLarge);
        }
        return Ok(if n == 0 {
            BodyKind::Empty
        } else {
            BodyKind::Length(n)
        });
    }
    Ok(BodyKind::Empty)
}

/// Reads the transfer-coding list, which may span several field lines.
fn transfer_coding(headers: &Headers) -> Result<BodyKind, ParseError> {
    let codings: Vec<&[u8]> = headers
        .get_all("transfer-encoding")
        .flat_map(list)
        .collect();
    let chunked = |c: &&[u8]| c.eq_ignore_ascii_case(b"chunked");
    let last_is_chunked = codings.last().is_some_and(chunked);
    // RFC 9112 §6.3: "If a Transfer-Encoding header field is present in a
    // request and the chunked transfer coding is not the final encoding, the
    // message body length cannot be determined reliably; the server MUST
    // respond with the 400 (Bad Request) status code and then close the
    // connection." §7.1: "A sender MUST NOT apply the chunked transfer coding
    // more than once to a message body".
    if !last_is_chunked || codings.iter().filter(|c| chunked(c)).count() > 1 {
        return Err(ParseError::ChunkedNotFinal);
    }
    // RFC 9112 §6.1: "A server that receives a request message with a
    // transfer coding it does not understand SHOULD respond with 501 (Not
    // Implemented)." We decode chunked only, so `gzip, chunked` is refused.
    if codings.len() > 1 {
        return Err(ParseError::UnsupportedTransferCoding);
    }
    Ok(BodyKind::Chunked)
}

/// Reads `Content-Length`, accepting repeats only when every value is equal.
fn content_length(headers: &Headers) -> Result<u64, ParseError> {
    let mut found = None;
    for value in headers.get_all("content-length") {
        // RFC 9112 §6.3: "If a message is received without Transfer-Encoding
        // and with an invalid Content-Length header field, then the message
        // framing is invalid and the recipient MUST treat it as an
        // unrecoverable error ... the server MUST respond with a 400". A list
        // of identical values (`5, 5`) is allowed by RFC 9110 §8.6.
        for item in value.split(|&b| b == b',') {
            let n = parse_decimal(trim(item)).ok_or(ParseError::InvalidContentLength)?;
            match found {
                Some(m) if m != n => return Err(ParseError::InvalidContentLength),
                _ => found = Some(n),
            }
        }
    }
    found.ok_or(ParseError::InvalidContentLength)
}

/// `Content-Length = 1*DIGIT`, as a `u64`; `None` on anything else or overflow.
fn parse_decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |acc, &b| {
        let d = (b as char).to_digit(10)?;
        acc.checked_mul(10)?.checked_add(u64::from(d))
    })
}

/// RFC 9112 §9.3: "If the "close" connection option is present, the
/// connection will not persist ... Otherwise, if the received protocol is
/// HTTP/1.1 (or later), the connection will persist ... Otherwise, if the
/// received protocol is HTTP/1.0, the "keep-alive" connection option is
/// present, ... the connection will persist".
fn keep_alive(version: Version, headers: &Headers) -> bool {
    let mut close = false;
    let mut keep = false;
    for token in headers.get_all("connection").flat_map(list) {
        close |= token.eq_ignore_ascii_case(b"close");
        keep |= token.eq_ignore_ascii_case(b"keep-alive");
    }
    !close && (version == Version::Http11 || keep)
}

/// Splits a `#token` list (RFC 9110 §5.6.1), dropping empty elements.
fn list(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(trim)
        .filter(|t| !t.is_empty())
}

/// Removes optional whitespace (SP, HTAB) from both ends.
pub(crate) fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal() {
        assert_eq!(parse_decimal(b"0"), Some(0));
        assert_eq!(parse_decimal(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_decimal(b"18446744073709551616"), None);
        assert_eq!(parse_decimal(b"+1"), None);
        assert_eq!(parse_decimal(b""), None);
        assert_eq!(trim(b" \t a b\t "), b"a b");
    }
}
