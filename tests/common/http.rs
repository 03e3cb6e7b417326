//! Helpers for the HTTP server tests: a test application, a server on a
//! loopback port, and a raw-bytes client that reads responses exactly.
#![allow(dead_code)]

use std::io::{self, Cursor, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use greenline::http::{AccessLog, Handler, HttpServer, Request, Response, ServerConfig};

/// How long any single read in a test may wait before the test fails.
pub const READ_LIMIT: Duration = Duration::from_secs(5);

/// The calls the test application saw, as `METHOD path`.
pub type Calls = Arc<Mutex<Vec<String>>>;

/// A reader handing out its data in several small pieces, so a streamed
/// response has several chunks.
pub struct Pieces(pub Vec<&'static [u8]>);

impl Read for Pieces {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.0.is_empty() {
            return Ok(0);
        }
        let piece = self.0.remove(0);
        out[..piece.len()].copy_from_slice(piece);
        Ok(piece.len())
    }
}

/// The application the tests talk to, routing on the path.
pub fn app() -> (impl Handler, Calls) {
    let calls: Calls = Arc::default();
    let seen = calls.clone();
    let handler = move |req: &mut Request| -> io::Result<Response> {
        seen.lock()
            .unwrap()
            .push(format!("{} {}", req.method(), req.path()));
        Ok(match req.path() {
            "/echo" => {
                let body = req.read_body_to_end()?;
                Response::text(200, body)
            }
            "/ignore" => Response::text(200, "ignored"),
            "/panic" => panic!("secret panic text"),
            "/err" => return Err(io::Error::other("secret error text")),
            "/headers40" => (0..40).fold(Response::text(200, "many"), |r, i| {
                r.header(&format!("X-H-{i}"), format!("value-{i}"))
            }),
            "/stream" => Response::stream(200, Pieces(vec![b"hello ", b"streamed ", b"world"]))
                .header("Content-Type", "text/plain"),
            "/no-content" => Response::text(204, "must not be sent"),
            "/not-modified" => Response::text(304, "must not be sent"),
            "/inject" => Response::text(200, "x").header("X-Evil", "a\r\nSet-Cookie: pwned=1"),
            "/reason" => Response::text(200, "fine").reason("Fine Thanks"),
            "/sized" => Response::new(200).body(greenline::http::Body::Stream {
                reader: Box::new(Cursor::new(b"12345".to_vec())),
                len: Some(5),
            }),
            path => Response::text(200, path.to_string()),
        })
    };
    (handler, calls)
}

/// The default config without the access log.
pub fn quiet() -> ServerConfig {
    ServerConfig::new().access_log(AccessLog::Off)
}

/// Starts `handler` on 127.0.0.1:0 with `config`.
pub fn serve<H: Handler>(handler: H, config: ServerConfig) -> HttpServer<H> {
    let server = HttpServer::bind_with("127.0.0.1:0", config, handler).unwrap();
    server.start().unwrap();
    server
}

/// A parsed response.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Whether the body came chunked.
    pub chunked: bool,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A raw client connection that reads responses one at a time.
pub struct Client {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(READ_LIMIT)).unwrap();
        Client {
            stream,
            buf: Vec::new(),
        }
    }

    pub fn send(&mut self, raw: &[u8]) -> &mut Client {
        self.stream.write_all(raw).unwrap();
        self
    }

    /// Reads more into the buffer; returns the count (0 at end of file).
    fn more(&mut self) -> usize {
        let mut chunk = [0; 16 * 1024];
        let n = self.stream.read(&mut chunk).expect("read within the limit");
        self.buf.extend_from_slice(&chunk[..n]);
        n
    }

    /// Reads `n` raw bytes.
    pub fn raw(&mut self, n: usize) -> Vec<u8> {
        while self.buf.len() < n {
            assert!(self.more() > 0, "end of file after {:?}", self.buf);
        }
        self.buf.drain(..n).collect()
    }

    /// Reads one response to a request of method `method`.
    pub fn response_to(&mut self, method: &str) -> Resp {
        let (status, reason, headers, used) = loop {
            let mut fields = [httparse::EMPTY_HEADER; 128];
            let mut parsed = httparse::Response::new(&mut fields);
            if let httparse::Status::Complete(used) = parsed.parse(&self.buf).unwrap() {
                let headers = parsed
                    .headers
                    .iter()
                    .map(|h| (h.name.to_string(), String::from_utf8_lossy(h.value).into()))
                    .collect::<Vec<(String, String)>>();
                break (
                    parsed.code.unwrap(),
                    parsed.reason.unwrap().to_string(),
                    headers,
                    used,
                );
            }
            assert!(self.more() > 0, "end of file inside a head: {:?}", self.buf);
        };
        self.buf.drain(..used);
        let mut resp = Resp {
            status,
            reason,
            headers,
            body: Vec::new(),
            chunked: false,
        };
        if method == "HEAD" || status == 204 || status == 304 || status < 200 {
            return resp;
        }
        if let Some(len) = resp.header("content-length") {
            resp.body = self.raw(len.parse().unwrap());
        } else if resp.header("transfer-encoding") == Some("chunked") {
            resp.chunked = true;
            resp.body = self.chunked_body();
        } else {
            while self.more() > 0 {}
            resp.body = std::mem::take(&mut self.buf);
        }
        resp
    }

    /// Reads one response to a GET.
    pub fn response(&mut self) -> Resp {
        self.response_to("GET")
    }

    fn line(&mut self) -> String {
        loop {
            if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8(self.buf[..i].to_vec()).unwrap();
                self.buf.drain(..i + 2);
                return line;
            }
            assert!(self.more() > 0, "end of file inside a chunked body");
        }
    }

    fn chunked_body(&mut self) -> Vec<u8> {
        let mut body = Vec::new();
        loop {
            let size = usize::from_str_radix(&self.line(), 16).unwrap();
            if size == 0 {
                while !self.line().is_empty() {}
                return body;
            }
            body.extend(self.raw(size));
            assert_eq!(self.raw(2), b"\r\n");
        }
    }

    /// Asserts the server closes the connection with nothing more to say.
    pub fn expect_eof(&mut self) {
        let n = match self.stream.read(&mut [0; 1024]) {
            Ok(n) => n,
            // A reset after the last response also ends the connection.
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => 0,
            Err(e) => panic!("expected end of file, got {e}"),
        };
        assert_eq!(n, 0, "expected end of file");
        assert!(self.buf.is_empty(), "unread bytes: {:?}", self.buf);
    }
}
