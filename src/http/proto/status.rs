//! Reason phrases for status codes (RFC 9110 §15).

/// One table makes both the phrases and the whole status lines, so they
/// cannot disagree.
macro_rules! statuses {
    ($($code:literal $reason:literal,)*) => {
        /// The standard reason phrase for `status`, or `None` for an unregistered
        /// code. The phrase is informational: clients act on the code alone.
        ///
        /// # Examples
        ///
        /// ```
        /// assert_eq!(greenline::http::proto::reason_phrase(404), Some("Not Found"));
        /// assert_eq!(greenline::http::proto::reason_phrase(599), None);
        /// ```
        pub fn reason_phrase(status: u16) -> Option<&'static str> {
            Some(match status {
                $($code => $reason,)*
                _ => return None,
            })
        }

        /// `HTTP/1.1 <code> <phrase>\r\n` for a registered code: the
        /// status line a response with the standard phrase starts with,
        /// appended in one piece.
        pub(crate) fn status_line(status: u16) -> Option<&'static [u8]> {
            Some(match status {
                $($code => concat!("HTTP/1.1 ", $code, " ", $reason, "\r\n").as_bytes(),)*
                _ => return None,
            })
        }
    };
}

statuses! {
    100 "Continue",
    101 "Switching Protocols",
    103 "Early Hints",
    200 "OK",
    201 "Created",
    202 "Accepted",
    203 "Non-Authoritative Information",
    204 "No Content",
    205 "Reset Content",
    206 "Partial Content",
    300 "Multiple Choices",
    301 "Moved Permanently",
    302 "Found",
    303 "See Other",
    304 "Not Modified",
    307 "Temporary Redirect",
    308 "Permanent Redirect",
    400 "Bad Request",
    401 "Unauthorized",
    402 "Payment Required",
    403 "Forbidden",
    404 "Not Found",
    405 "Method Not Allowed",
    406 "Not Acceptable",
    407 "Proxy Authentication Required",
    408 "Request Timeout",
    409 "Conflict",
    410 "Gone",
    411 "Length Required",
    412 "Precondition Failed",
    413 "Content Too Large",
    414 "URI Too Long",
    415 "Unsupported Media Type",
    416 "Range Not Satisfiable",
    417 "Expectation Failed",
    421 "Misdirected Request",
    422 "Unprocessable Content",
    426 "Upgrade Required",
    428 "Precondition Required",
    429 "Too Many Requests",
    431 "Request Header Fields Too Large",
    500 "Internal Server Error",
    501 "Not Implemented",
    502 "Bad Gateway",
    503 "Service Unavailable",
    504 "Gateway Timeout",
    505 "HTTP Version Not Supported",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_match_the_phrases() {
        for code in 100..600 {
            let line = status_line(code).map(|l| String::from_utf8(l.to_vec()).unwrap());
            let want = reason_phrase(code).map(|r| format!("HTTP/1.1 {code} {r}\r\n"));
            assert_eq!(line, want);
        }
    }
}
