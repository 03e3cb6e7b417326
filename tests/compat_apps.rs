//! The talk's "Building a Networking App" steps 1–4 and its gservice step
//! (`service_app`), each run side by side
//! with its Python original in `compat/`: the Rust example binary and
//! `compat/.venv/bin/python compat/appN_*.py`, on free ports, get the same
//! interactions and must give the same answers.
//!
//! * a raw TCP client reads the first two lines (`hello\n` twice);
//! * an HTTP client (`GET / HTTP/1.1` by hand) sees `200`,
//!   `Content-Type: text/html` and the body `hello world` (steps 2–4);
//! * both programs print the same stdout lines: `new tcp connection!` once
//!   per TCP client (the app's own client included, steps 3–4),
//!   `new http request!` once per request, and `<<< hello` (steps 3–4).
//!
//! Readiness is read from `/proc/net/tcp` (the port in LISTEN state), as
//! `compat/selftest.sh` does, so waiting opens no connection an app would
//! print about. The Python side needs `bash compat/setup.sh` first; without
//! its virtualenv these tests fail and say so.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;

use common::process::Lines;

/// Bound on every wait: a port to listen, a line to be printed, a read.
const LIMIT: Duration = Duration::from_secs(10);

const NEW_TCP: &str = "new tcp connection!";
const NEW_HTTP: &str = "new http request!";
const CLIENT_LINE: &str = "<<< hello";

/// One of the talk's four steps.
struct Step {
    /// The example's name; the Python original is `compat/<name>.py`.
    name: &'static str,
    http: bool,
    /// Whether the app runs its own TCP client greenlet.
    client: bool,
}

/// A running app, killed when dropped (also when the test fails).
struct App {
    what: String,
    child: Child,
    stdout: Arc<Lines>,
    stderr: Arc<Lines>,
}

impl App {
    fn start(what: String, mut cmd: Command) -> App {
        let mut child = cmd
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {what}: {e}"));
        let stdout = Lines::collect(child.stdout.take().unwrap());
        let stderr = Lines::collect(child.stderr.take().unwrap());
        App {
            what,
            child,
            stdout,
            stderr,
        }
    }

    /// Fails the test with what the app printed. An app that is exiting
    /// (a failed bind, say) prints why on its way out: it gets a moment to
    /// finish, and its pipes to drain, so the message has its reason.
    fn fail(&mut self, why: &str) -> ! {
        let deadline = Instant::now() + Duration::from_secs(2);
        let exited = self.wait_exit(deadline);
        if exited.is_some() {
            self.stdout.wait_end(deadline);
            self.stderr.wait_end(deadline);
        }
        panic!(
            "{}: {why}{}\n--- stdout:\n{}\n--- stderr:\n{}",
            self.what,
            exited.map_or(String::new(), |s| format!(" (the app then exited: {s})")),
            self.stdout.snapshot().join("\n"),
            self.stderr.snapshot().join("\n")
        )
    }

    /// The app's exit status, polled until `deadline`; `None` while it runs.
    fn wait_exit(&mut self, deadline: Instant) -> Option<std::process::ExitStatus> {
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => return None,
            }
        }
    }

    /// `r`'s value; on an error, `PortTaken` if the app exited because a
    /// port it was given was taken (its other port, say, after the first
    /// was checked), else the test fails.
    fn check<T>(&mut self, r: Result<T, String>) -> Result<T, PortTaken> {
        match r {
            Ok(v) => Ok(v),
            Err(_) if self.exited_for_a_taken_port() => Err(PortTaken),
            Err(why) => self.fail(&why),
        }
    }

    /// Whether the app has exited (waiting up to 2 s for it) saying that an
    /// address was in use.
    fn exited_for_a_taken_port(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(2);
        if self.wait_exit(deadline).is_none() {
            return false;
        }
        self.stderr.wait_end(deadline);
        self.stderr
            .snapshot()
            .iter()
            .any(|l| l.contains("Address already in use"))
    }

    /// Polls `/proc/net/tcp` (at most `LIMIT`) until the app listens on
    /// 127.0.0.1:`port`: a listening socket there that is one of the app's
    /// own descriptors (another process on the port would otherwise pass
    /// for the app). Opens no connection. `Err` when the app exited
    /// without listening because the port was taken: the caller tries
    /// other ports.
    fn wait_listen(&mut self, port: u16) -> Result<(), PortTaken> {
        let want = format!("0100007F:{port:04X}");
        let deadline = Instant::now() + LIMIT;
        loop {
            let table = std::fs::read_to_string("/proc/net/tcp").expect("read /proc/net/tcp");
            let listening = table.lines().skip(1).any(|row| {
                let fields: Vec<&str> = row.split_whitespace().collect();
                fields.get(1) == Some(&want.as_str())
                    && fields.get(3) == Some(&"0A")
                    && fields.get(9).is_some_and(|inode| self.owns_socket(inode))
            });
            if listening {
                return Ok(());
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                if self.exited_for_a_taken_port() {
                    return Err(PortTaken);
                }
                self.fail(&format!("exited ({status}) before listening on {port}"));
            }
            if Instant::now() >= deadline {
                self.fail(&format!(
                    "not listening on 127.0.0.1:{port} after {LIMIT:?}"
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether socket `inode` is open in the app's process.
    fn owns_socket(&self, inode: &str) -> bool {
        let link = format!("socket:[{inode}]");
        let Ok(fds) = std::fs::read_dir(format!("/proc/{}/fd", self.child.id())) else {
            return false;
        };
        fds.flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|l| l.as_os_str() == link.as_str()))
    }
}

/// An app could not bind a port it was given: something else took the
/// port after `free_port` found it free.
#[derive(Debug)]
struct PortTaken;

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads the first two lines a TCP client gets.
fn read_two_lines(addr: SocketAddr) -> Result<Vec<String>, String> {
    let stream = TcpStream::connect(addr).map_err(|e| format!("connect {addr}: {e}"))?;
    stream.set_read_timeout(Some(LIMIT)).unwrap();
    let mut reader = BufReader::new(stream);
    (0..2)
        .map(|_| {
            let mut line = String::new();
            reader
                .read_line(&mut line)
                .map_err(|e| format!("read a line from {addr}: {e}"))?;
            Ok(line)
        })
        .collect()
}

/// What an HTTP client sees of `GET /`.
#[derive(Debug, PartialEq)]
struct Seen {
    status: u16,
    content_type: Option<String>,
    body: String,
}

/// `GET / HTTP/1.1` by hand, with `Connection: close`, read to the end.
fn http_get(addr: SocketAddr) -> Result<Seen, String> {
    let mut stream = TcpStream::connect(addr).map_err(|e| format!("connect {addr}: {e}"))?;
    stream.set_read_timeout(Some(LIMIT)).unwrap();
    write!(
        stream,
        "GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| format!("read the response: {e}"))?;
    let mut fields = [httparse::EMPTY_HEADER; 32];
    let mut head = httparse::Response::new(&mut fields);
    let used = match head.parse(&raw) {
        Ok(httparse::Status::Complete(used)) => used,
        other => return Err(format!("bad response {other:?}: {raw:?}")),
    };
    let header = |name: &str| {
        head.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).into_owned())
    };
    if header("transfer-encoding").is_some() {
        return Err(format!("unexpected chunked response: {raw:?}"));
    }
    Ok(Seen {
        status: head.code.unwrap_or(0),
        content_type: header("content-type"),
        body: String::from_utf8_lossy(&raw[used..]).into_owned(),
    })
}

/// What one run of an app showed.
#[derive(Debug, PartialEq)]
struct Observed {
    tcp: Vec<String>,
    http: Option<Seen>,
    /// How often each distinct stdout line was printed; `<<< hello` is
    /// counted as 1, since it repeats once a second for as long as the app
    /// runs.
    stdout: BTreeMap<String, usize>,
}

/// Runs `cmd` (the app listening on `tcp` and `http`), talks to it the same
/// way whichever language it is in, and returns what it saw.
fn observe(
    step: &Step,
    what: String,
    cmd: Command,
    tcp: SocketAddr,
    http: SocketAddr,
) -> Result<Observed, PortTaken> {
    let mut app = App::start(what, cmd);
    app.wait_listen(tcp.port())?;
    let mut tcp_clients = 1;
    if step.client {
        // The app's own client greenlet connects and prints what it reads.
        app.check(app.stdout.wait_count(CLIENT_LINE, 1))?;
        tcp_clients += 1;
    }
    let tcp_lines = app.check(read_two_lines(tcp))?;
    app.check(app.stdout.wait_count(NEW_TCP, tcp_clients))?;
    let seen = if step.http {
        app.wait_listen(http.port())?;
        let seen = app.check(http_get(http))?;
        app.check(app.stdout.wait_count(NEW_HTTP, 1))?;
        Some(seen)
    } else {
        None
    };
    let mut stdout = BTreeMap::new();
    for line in app.stdout.snapshot() {
        *stdout.entry(line).or_insert(0) += 1;
    }
    if let Some(n) = stdout.get_mut(CLIENT_LINE) {
        *n = 1;
    }
    Ok(Observed {
        tcp: tcp_lines,
        http: seen,
        stdout,
    })
}

fn two_free_ports() -> (SocketAddr, SocketAddr) {
    let tcp = greenline::testing::free_port().unwrap();
    let mut http = greenline::testing::free_port().unwrap();
    while http == tcp {
        http = greenline::testing::free_port().unwrap();
    }
    (([127, 0, 0, 1], tcp).into(), ([127, 0, 0, 1], http).into())
}

/// Runs the Rust example and the Python original of `step`, and checks
/// that both match the contract, hence each other.
fn side_by_side(step: Step) {
    let run = |rust: bool| {
        let what = format!("{} ({})", step.name, if rust { "Rust" } else { "Python" });
        // A port free a moment ago can be taken before the app binds it;
        // the app then says so and exits, and the run starts again on
        // other ports (a few times at most).
        for _ in 0..3 {
            let (tcp, http) = two_free_ports();
            let mut cmd = if rust {
                common::process::example(step.name)
            } else {
                common::process::original(&format!("{}.py", step.name))
            };
            cmd.arg(tcp.to_string());
            if step.http {
                cmd.arg(http.to_string());
            }
            if let Ok(observed) = observe(&step, what.clone(), cmd, tcp, http) {
                return observed;
            }
            eprintln!("{what}: a port was taken before the app could bind it; trying others");
        }
        panic!("{what}: three runs in a row found a port taken")
    };
    // Both at once: each waits a second for its second hello line.
    let (original, port) = std::thread::scope(|s| {
        let original = s.spawn(|| run(false));
        let port = run(true);
        (original.join(), port)
    });
    let original = original.unwrap_or_else(|e| std::panic::resume_unwind(e));

    let mut stdout = BTreeMap::from([(NEW_TCP.to_string(), 1 + step.client as usize)]);
    if step.http {
        stdout.insert(NEW_HTTP.to_string(), 1);
    }
    if step.client {
        stdout.insert(CLIENT_LINE.to_string(), 1);
    }
    let expected = Observed {
        tcp: vec!["hello\n".to_string(), "hello\n".to_string()],
        http: step.http.then(|| Seen {
            status: 200,
            content_type: Some("text/html".to_string()),
            body: "hello world".to_string(),
        }),
        stdout,
    };
    assert_eq!(original, expected, "the Python original broke the contract");
    assert_eq!(port, original, "the Rust port differs from the original");
}

#[test]
fn app1_tcp_server() {
    side_by_side(Step {
        name: "app1_tcp_server",
        http: false,
        client: false,
    });
}

#[test]
fn app2_tcp_http() {
    side_by_side(Step {
        name: "app2_tcp_http",
        http: true,
        client: false,
    });
}

#[test]
fn app3_tcp_http_client() {
    side_by_side(Step {
        name: "app3_tcp_http_client",
        http: true,
        client: true,
    });
}

#[test]
fn app4_joinall() {
    side_by_side(Step {
        name: "app4_joinall",
        http: true,
        client: true,
    });
}

/// The talk's gservice step: the Rust example builds the tree with
/// `greenline::service` (`add_service`, `serve_forever`); the original
/// runs the same three parts with plain gevent.
#[test]
fn service_app() {
    side_by_side(Step {
        name: "service_app",
        http: true,
        client: true,
    });
}

/// The harness itself: an app whose port is already taken is not mistaken
/// for listening (the listener there is not its socket), and its failure to
/// bind comes back as `PortTaken`, which `side_by_side` retries.
#[test]
fn a_taken_port_is_not_mistaken_for_the_app_listening() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let mut cmd = common::process::example("app1_tcp_server");
    cmd.arg(addr.to_string());
    let mut app = App::start("app1_tcp_server (port taken)".into(), cmd);
    assert!(app.wait_listen(addr.port()).is_err());
}
