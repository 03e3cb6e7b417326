//! greenline's HTTP client (`greenline::http::client`, feature `client`)
//! against greenline's own `HttpServer` on 127.0.0.1:0: requests with
//! bodies and headers, a chunked response, redirects and their limit,
//! keep-alive reuse, timeouts and kills against a server that never
//! answers, https refused, name resolution off the worker, and many
//! downloads at once; chunked bodies and keep-alive against gevent's
//! pywsgi too; then `examples/concurrent_download.rs` side by side with its
//! original, `compat/concurrent_download.py`. The Python parts need
//! `bash compat/setup.sh` first.
//!
//! Every test runs on one worker thread (configured before the runtime
//! starts), so a call that blocked the worker instead of yielding would
//! stall the server the test talks to, and the test would fail on its
//! deadline.
#![cfg(feature = "client")]

use std::collections::HashSet;
use std::io::{self, ErrorKind, Read};
use std::net::{SocketAddr, TcpListener};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use greenline::http::client::{self, Config, Error};
use greenline::http::{HttpServer, Request, Response};
use greenline::sync::Event;

mod common;

use common::http::{quiet, serve, Pieces};

/// Bound on anything a test waits for that should come at once.
const LIMIT: Duration = Duration::from_secs(10);

/// The timeout a test waits out on purpose.
const SHORT: Duration = Duration::from_millis(100);

/// Configures one worker before anything in this binary starts the
/// runtime; every test calls it first. Returns whether it took effect.
fn one_worker() -> bool {
    static CONFIGURED: OnceLock<bool> = OnceLock::new();
    *CONFIGURED.get_or_init(|| {
        greenline::config::configure(greenline::config::Config::from_env().workers(1)).is_ok()
    })
}

/// The peers the test server has seen: one per connection.
type Peers = Arc<Mutex<HashSet<SocketAddr>>>;

/// The server the client tests talk to, routing on the path, recording
/// each connection's peer address.
fn server() -> (HttpServer<impl greenline::http::Handler>, String, Peers) {
    one_worker();
    let peers: Peers = Arc::default();
    let seen = peers.clone();
    let handler = move |req: &mut Request| -> io::Result<Response> {
        seen.lock().unwrap().insert(req.peer_addr());
        let path = req.path().to_string();
        Ok(match path.as_str() {
            "/echo" => {
                Response::text(200, req.read_body_to_end()?).header("X-Method", req.method())
            }
            "/greeting" => Response::text(200, req.header("X-Greeting").unwrap_or("").to_string()),
            "/stream" => Response::stream(200, Pieces(vec![b"hello ", b"streamed ", b"world"])),
            "/missing" => Response::text(404, "no such page"),
            "/loop" => Response::new(302).header("Location", "/loop"),
            _ => match path
                .strip_prefix("/hops/")
                .and_then(|n| n.parse::<u32>().ok())
            {
                Some(0) => Response::text(200, "landed"),
                Some(n) => Response::new(302).header("Location", format!("/hops/{}", n - 1)),
                None => Response::text(200, path),
            },
        })
    };
    let server = serve(handler, quiet());
    let base = format!("http://{}", server.local_addr());
    (server, base, peers)
}

fn text(response: Result<client::ureq::http::Response<client::Body>, Error>) -> String {
    response.unwrap().body_mut().read_to_string().unwrap()
}

#[test]
fn get_and_post_with_bodies_and_headers() {
    let (_server, base, _) = server();
    let greeting = client::get(format!("{base}/greeting"))
        .header("X-Greeting", "hello from greenline")
        .call();
    assert_eq!(text(greeting), "hello from greenline");

    let mut echoed = client::post(format!("{base}/echo"))
        .send("a small body")
        .unwrap();
    assert_eq!(echoed.status(), 200);
    assert_eq!(echoed.headers()["x-method"], "POST");
    assert_eq!(echoed.body_mut().read_to_string().unwrap(), "a small body");

    // Larger than the socket buffers: written and read in many waits.
    let big: Vec<u8> = (0..2_000_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let back = client::put(format!("{base}/echo"))
        .send(&big[..])
        .unwrap()
        .body_mut()
        .with_config()
        .limit(big.len() as u64)
        .read_to_vec()
        .unwrap();
    assert!(back == big, "the 2 MB body came back changed");

    // A status of 400 and above is an error by default, or the response.
    let missing = client::get(format!("{base}/missing")).call().unwrap_err();
    assert!(matches!(missing, Error::StatusCode(404)), "{missing:?}");
    let page = client::agent(Config::builder().http_status_as_error(false).build())
        .get(format!("{base}/missing"))
        .call();
    assert_eq!(text(page), "no such page");
}

#[test]
fn a_chunked_response_is_decoded() {
    let (_server, base, _) = server();
    let mut response = client::get(format!("{base}/stream")).call().unwrap();
    assert_eq!(response.headers()["transfer-encoding"], "chunked");
    assert_eq!(
        response.body_mut().read_to_string().unwrap(),
        "hello streamed world"
    );
}

#[test]
fn redirects_are_followed_up_to_the_limit() {
    let (_server, base, _) = server();
    assert_eq!(text(client::get(format!("{base}/hops/3")).call()), "landed");

    let agent = |max| client::agent(Config::builder().max_redirects(max).build());
    assert_eq!(
        text(agent(3).get(format!("{base}/hops/3")).call()),
        "landed"
    );
    let err = agent(2).get(format!("{base}/hops/3")).call().unwrap_err();
    assert!(matches!(err, Error::TooManyRedirects), "{err:?}");
    let err = client::get(format!("{base}/loop")).call().unwrap_err();
    assert!(matches!(err, Error::TooManyRedirects), "{err:?}");
}

#[test]
fn keep_alive_reuses_one_connection() {
    let (_server, base, peers) = server();
    // In a greenlet, on its 128 KiB stack, as a download runs.
    let requests = greenline::spawn(move || -> Result<(), Error> {
        let agent = client::agent(Config::default());
        for path in ["/a", "/b", "/stream", "/hops/2", "/c"] {
            let url = format!("{base}{path}");
            agent.get(&url).call()?.body_mut().read_to_string()?;
        }
        let url = format!("{base}/echo");
        agent
            .post(&url)
            .send("one more")?
            .body_mut()
            .read_to_vec()?;
        Ok(())
    });
    requests.get().unwrap();
    // Eight requests (two of them redirects), one connection.
    assert_eq!(peers.lock().unwrap().len(), 1);
}

#[test]
fn a_server_that_never_answers_times_out() {
    one_worker();
    // Connections queue in the backlog, and requests in their buffers;
    // nothing ever answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", silent.local_addr().unwrap());

    // ureq's own timeout for the response.
    let agent = client::agent(Config::builder().timeout_recv_response(Some(SHORT)).build());
    let err = agent.get(&url).call().unwrap_err();
    assert!(
        matches!(err, Error::Timeout(client::ureq::Timeout::RecvResponse)),
        "{err:?}"
    );
    assert_eq!(client::io_error(err).kind(), ErrorKind::TimedOut);

    // A greenline Timeout in force bounds the same wait, in a greenlet...
    let url2 = url.clone();
    let waited = greenline::spawn(move || {
        greenline::with_timeout(SHORT, || client::get(&url2).call().map(drop))
    });
    let err = waited.join().unwrap().unwrap_err();
    assert_eq!(client::io_error(err).kind(), ErrorKind::TimedOut);
    // ... and on a plain thread.
    let err = greenline::with_timeout(SHORT, || client::get(&url).call()).unwrap_err();
    assert_eq!(client::io_error(err).kind(), ErrorKind::TimedOut);
}

#[test]
fn killing_a_greenlet_in_a_call_closes_its_connection() {
    one_worker();
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", silent.local_addr().unwrap());
    let started = Arc::new(Event::new());
    let sent = started.clone();
    let call = greenline::spawn(move || {
        sent.set();
        client::get(&url).call().map(drop)
    });
    started.wait_timeout(LIMIT).unwrap();
    // Accepting does not wake the client; reading its request proves the
    // client is waiting for the response.
    let (mut conn, _) = silent.accept().unwrap();
    conn.set_read_timeout(Some(LIMIT)).unwrap();
    let mut request = Vec::new();
    let mut buf = [0; 1024];
    while !request.ends_with(b"\r\n\r\n") {
        let n = conn.read(&mut buf).unwrap();
        assert!(n > 0, "end of file before the request's end: {request:?}");
        request.extend_from_slice(&buf[..n]);
    }
    call.kill();
    assert!(matches!(
        call.join(),
        Err(greenline::GreenletError::Killed { .. })
    ));
    // Closed, not pooled: the server reads end of file.
    assert_eq!(conn.read(&mut buf).unwrap(), 0);
}

#[test]
fn https_is_refused_without_connecting() {
    one_worker();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let err = client::get(format!("https://{addr}/")).call().unwrap_err();
    let err = client::io_error(err);
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(err.to_string().contains("TLS"), "{err}");
    // The first connection in the backlog is this one: the client made none.
    let mine = std::net::TcpStream::connect(addr).unwrap();
    let (_, peer) = listener.accept().unwrap();
    assert_eq!(peer, mine.local_addr().unwrap());
}

/// Resolving `localhost` waits for a thread of the blocking pool; the one
/// worker meanwhile runs other greenlets. The pool's only thread is held
/// busy, so the lookup cannot start until the test lets it: were it done
/// on the worker, the download would not wait for the pool at all. (No
/// other test here uses the pool: every other URL has an IP address, so
/// the pool has no idle thread that could take the lookup.)
#[test]
fn name_resolution_does_not_block_the_worker() {
    assert!(one_worker(), "the runtime started before configure");
    let (_server, base, _) = server();
    let port = base.rsplit(':').next().unwrap().to_string();
    greenline::threadpool::set_max_threads(1);
    let (release, held) = std::sync::mpsc::channel::<()>();
    let busy = greenline::threadpool::spawn_blocking(move || held.recv());
    let by_name = greenline::spawn(move || {
        client::get(format!("http://localhost:{port}/by-name"))
            .call()?
            .body_mut()
            .read_to_string()
    });
    // Another greenlet on the only worker downloads by address meanwhile.
    let by_address = greenline::spawn(move || {
        client::get(format!("{base}/by-address"))
            .call()?
            .body_mut()
            .read_to_string()
    });
    let result = by_address.join_timeout(LIMIT);
    let waiting = !by_name.is_ready();
    release.send(()).unwrap();
    let by_name = by_name.join_timeout(LIMIT);
    greenline::threadpool::set_max_threads(64);
    busy.join().unwrap().unwrap();
    assert_eq!(result.unwrap().unwrap(), "/by-address");
    assert!(waiting, "the lookup did not wait for the blocking pool");
    assert_eq!(by_name.unwrap().unwrap(), "/by-name");
}

/// Fifty downloads in fifty greenlets, on one worker: the server answers
/// none until all fifty requests have arrived, so they can only finish if
/// they all run at once.
#[test]
fn many_downloads_run_at_once() {
    const N: usize = 50;
    one_worker();
    let arrived = Arc::new(AtomicUsize::new(0));
    let all_in = Arc::new(Event::new());
    let (count, all) = (arrived.clone(), all_in.clone());
    let handler = move |req: &mut Request| -> io::Result<Response> {
        if count.fetch_add(1, Ordering::SeqCst) + 1 == N {
            all.set();
        }
        all.wait_timeout(LIMIT)?;
        Ok(Response::text(200, req.path().to_string()))
    };
    let server = serve(handler, quiet());
    let base = format!("http://{}", server.local_addr());
    let agent = client::agent(Config::builder().timeout_global(Some(LIMIT)).build());
    let jobs: Vec<_> = (0..N)
        .map(|i| {
            let (agent, url) = (agent.clone(), format!("{base}/{i}"));
            greenline::spawn(move || agent.get(&url).call()?.body_mut().read_to_string())
        })
        .collect();
    assert!(
        greenline::joinall(&jobs, Some(LIMIT)),
        "downloads still running"
    );
    for (i, job) in jobs.into_iter().enumerate() {
        assert_eq!(job.get().unwrap(), format!("/{i}"));
    }
    assert!(all_in.is_set());
    assert_eq!(arrived.load(Ordering::SeqCst), N);
}

/// gevent's pywsgi, for a server other than greenline's: an app whose body
/// is a generator (so pywsgi sends it chunked) naming the client's port.
const PYWSGI_APP: &str = r#"
import sys
from gevent.pywsgi import WSGIServer

def app(env, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return (part.encode() for part in ['port ', env['REMOTE_PORT'], ' from pywsgi'])

server = WSGIServer(('127.0.0.1', 0), app, log=None)
server.start()
print(server.server_port, flush=True)
server.serve_forever()
"#;

/// A child process killed when dropped, also when the test fails.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn chunked_bodies_and_keep_alive_against_gevent_pywsgi() {
    one_worker();
    let python = common::process::compat(".venv/bin/python");
    assert!(python.exists(), "run `bash compat/setup.sh` first");
    let mut child = Command::new(python)
        .args(["-c", PYWSGI_APP])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _child = Killed(child);
    // The port, printed once the server listens (end of file if it failed).
    let mut port = String::new();
    io::BufRead::read_line(&mut io::BufReader::new(stdout), &mut port).unwrap();
    let url = format!("http://127.0.0.1:{}/", port.trim());
    let agent = client::agent(Config::builder().timeout_global(Some(LIMIT)).build());
    let bodies: Vec<String> = (0..3)
        .map(|_| {
            let mut response = agent.get(&url).call().unwrap();
            assert_eq!(response.headers()["transfer-encoding"], "chunked");
            response.body_mut().read_to_string().unwrap()
        })
        .collect();
    assert!(bodies[0].starts_with("port ") && bodies[0].ends_with(" from pywsgi"));
    // One connection: the same client port every time.
    assert_eq!(bodies, vec![bodies[0].clone(); 3]);
}

#[cfg(feature = "client-json")]
#[test]
fn json_bodies() {
    let (_server, base, _) = server();
    let sent = vec![1u32, 2, 3];
    let back: Vec<u32> = client::post(format!("{base}/echo"))
        .send_json(&sent)
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap();
    assert_eq!(back, sent);
}

/// What the side-by-side run serves at `path`: ASCII, with an apostrophe
/// and no double quote in its first 50 characters, so that Python's `%r`
/// and Rust's `{:?}` print them alike (both in double quotes).
fn page(path: &str) -> String {
    format!("<p>greenline's page at {path}</p>\n").repeat(20)
}

/// `examples/concurrent_download.rs` and `compat/concurrent_download.py`,
/// run at once on the same three URLs, print the same lines: each URL's
/// `Starting` line, and later its length and first 50 characters. Their
/// order across URLs depends on the downloads, so the lines are compared
/// as sets, and each URL's two lines in order.
#[test]
fn concurrent_download_side_by_side_with_the_original() {
    one_worker();
    let handler = |req: &mut Request| {
        Response::new(200)
            .header("Content-Type", "text/html; charset=utf-8")
            .body(page(req.path()))
    };
    let server = serve(handler, quiet());
    let paths = ["/one", "/two", "/three"];
    let urls: Vec<String> = paths
        .iter()
        .map(|path| format!("http://{}{path}", server.local_addr()))
        .collect();
    let run = |name: &str, mut cmd: Command| {
        cmd.args(&urls);
        common::process::success(name, &common::process::run(name, cmd))
    };
    let (python, rust) = std::thread::scope(|s| {
        let python = s.spawn(|| {
            let original = common::process::original("concurrent_download.py");
            run("concurrent_download.py", original)
        });
        let example = common::process::example("concurrent_download");
        let rust = run("concurrent_download", example);
        (python.join().unwrap(), rust)
    });

    let mut expected: Vec<String> = Vec::new();
    for (url, path) in urls.iter().zip(paths) {
        let body = page(path);
        let head: String = body.chars().take(50).collect();
        expected.push(format!("Starting {url}"));
        expected.push(format!("{url}: {} bytes: {head:?}", body.len()));
    }
    for (name, out) in [("Python", &python), ("Rust", &rust)] {
        let lines: Vec<&str> = out.lines().collect();
        let mut sorted = lines.clone();
        sorted.sort_unstable();
        let mut want: Vec<&str> = expected.iter().map(String::as_str).collect();
        want.sort_unstable();
        assert_eq!(sorted, want, "{name} printed:\n{out}");
        for pair in expected.chunks(2) {
            let at = |l: &String| lines.iter().position(|x| x == l).unwrap();
            assert!(
                at(&pair[0]) < at(&pair[1]),
                "{name}: {pair:?} out of order:\n{out}"
            );
        }
    }
}
