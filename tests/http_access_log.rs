//! The access log off the connections' path: a slow or stuck log backend
//! does not hold up responses, lines it cannot take are dropped and
//! counted, lines are written a batch at a time, promptly, and `stop`
//! waits for them. Its own binary: it installs a global `log` logger,
//! whose access lines wait while the test holds its gate shut.

mod common;

use std::io::{Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use common::http::{app, quiet, serve, Client};
use greenline::http::{AccessLog, ServerConfig, ACCESS_TARGET};

/// Longest a held access line waits for the gate, so a test that fails
/// with the gate shut does not leave the logger stuck for good.
const GATE_LIMIT: Duration = Duration::from_secs(10);

/// A logger whose access lines wait while its gate is shut, as a backend
/// writing to a full pipe or a slow disk would.
struct Gated {
    open: Mutex<bool>,
    opened: Condvar,
    /// Access lines logged.
    lines: AtomicU64,
    logged: Condvar,
    counted: Mutex<()>,
}

static LOGGER: Gated = Gated {
    open: Mutex::new(true),
    opened: Condvar::new(),
    lines: AtomicU64::new(0),
    logged: Condvar::new(),
    counted: Mutex::new(()),
};

/// The tests that use the global logger run one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

impl log::Log for Gated {
    fn enabled(&self, meta: &log::Metadata) -> bool {
        meta.target().starts_with("greenline::http")
    }

    fn log(&self, record: &log::Record) {
        if record.target() != ACCESS_TARGET {
            return;
        }
        let open = self.open.lock().unwrap();
        let _ = self
            .opened
            .wait_timeout_while(open, GATE_LIMIT, |open| !*open)
            .unwrap();
        let _counted = self.counted.lock().unwrap();
        self.lines.fetch_add(1, Ordering::SeqCst);
        self.logged.notify_all();
    }

    fn flush(&self) {}
}

impl Gated {
    fn shut(&self) {
        *self.open.lock().unwrap() = false;
    }

    fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.opened.notify_all();
    }

    /// Waits until `n` access lines have been logged in all; fails the
    /// test after 5 s.
    fn wait_for_lines(&self, n: u64) {
        let deadline = Instant::now() + common::http::READ_LIMIT;
        let mut counted = self.counted.lock().unwrap();
        while self.lines.load(Ordering::SeqCst) < n {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "{} access lines logged, expected {n}",
                self.lines.load(Ordering::SeqCst)
            );
            counted = self.logged.wait_timeout(counted, left).unwrap().0;
        }
    }
}

/// Installs the logger (once) and takes the test's turn with it.
fn gated_logger() -> MutexGuard<'static, ()> {
    let turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(log::LevelFilter::Info);
    }
    LOGGER.open();
    turn
}

const GET: &[u8] = b"GET /logged HTTP/1.1\r\nHost: x\r\n\r\n";

#[test]
fn a_stuck_log_backend_does_not_hold_up_responses() {
    let _turn = gated_logger();
    let before = LOGGER.lines.load(Ordering::SeqCst);
    // The default config: access lines through `log`.
    let (handler, _) = app();
    let server = serve(handler, ServerConfig::new());
    LOGGER.shut();
    let mut c = Client::connect(server.local_addr());
    c.send(&GET.repeat(3));
    for _ in 0..3 {
        assert_eq!(c.response().text(), "/logged");
    }
    // A request after the batch is answered too.
    assert_eq!(c.send(GET).response().status, 200);
    LOGGER.open();
    LOGGER.wait_for_lines(before + 4);
    server.stop(Duration::from_secs(1));
}

/// Sends `n` pipelined `GET /logged` (the last with `Connection: close`)
/// from one thread while this one reads; returns how many were answered.
fn pipeline(addr: std::net::SocketAddr, n: usize) -> usize {
    let mut out = std::net::TcpStream::connect(addr).unwrap();
    out.set_read_timeout(Some(common::http::READ_LIMIT))
        .unwrap();
    let mut input = out.try_clone().unwrap();
    let sender = std::thread::spawn(move || {
        let mut all = GET.repeat(n - 1);
        all.extend_from_slice(b"GET /logged HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        out.write_all(&all).unwrap();
    });
    let mut answers = Vec::new();
    input.read_to_end(&mut answers).unwrap();
    sender.join().unwrap();
    answers
        .windows(b"HTTP/1.1 200 OK".len())
        .filter(|w| w == b"HTTP/1.1 200 OK")
        .count()
}

#[test]
fn lines_a_stuck_log_cannot_take_are_dropped_and_counted() {
    let _turn = gated_logger();
    let (logged, dropped) = (
        LOGGER.lines.load(Ordering::SeqCst),
        AccessLog::Log.dropped_lines(),
    );
    let (handler, _) = app();
    let server = serve(handler, ServerConfig::new());
    LOGGER.shut();
    // More lines than the log's queue holds (4 MiB, some 55,000 lines).
    let n = 80_000;
    assert_eq!(pipeline(server.local_addr(), n), n);
    let dropped = AccessLog::Log.dropped_lines() - dropped;
    assert!(dropped > 0, "no line was dropped while the log was stuck");
    LOGGER.open();
    AccessLog::Log.flush(common::http::READ_LIMIT).unwrap();
    let logged = LOGGER.lines.load(Ordering::SeqCst) - logged;
    assert_eq!(
        logged + dropped,
        n as u64,
        "{logged} logged, {dropped} dropped"
    );
    server.stop(Duration::from_secs(1));
}

/// A writer recording each write it is given.
struct Recorder {
    writes: Arc<Mutex<Vec<String>>>,
    each: mpsc::Sender<String>,
}

impl Write for Recorder {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf).into_owned();
        self.writes.lock().unwrap().push(text.clone());
        let _ = self.each.send(text);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn recorder() -> (AccessLog, Arc<Mutex<Vec<String>>>, mpsc::Receiver<String>) {
    let writes = Arc::new(Mutex::new(Vec::new()));
    let (each, rx) = mpsc::channel();
    let log = AccessLog::writer(Recorder {
        writes: writes.clone(),
        each,
    });
    (log, writes, rx)
}

#[test]
fn a_pipelined_batch_is_logged_in_a_few_writes_and_stop_waits_for_it() {
    let (log, writes, _) = recorder();
    let (handler, _) = app();
    let server = serve(handler, quiet().access_log(log));
    assert_eq!(pipeline(server.local_addr(), 100), 100);
    // No flush but stop's.
    server.stop(Duration::from_secs(1));
    let writes = writes.lock().unwrap();
    let lines: Vec<&str> = writes.iter().flat_map(|w| w.lines()).collect();
    assert_eq!(lines.len(), 100);
    assert!(
        lines
            .iter()
            .all(|l| l.contains("] \"GET /logged HTTP/1.1\" 200 7 ")),
        "{lines:?}"
    );
    assert!(
        writes.iter().all(|w| w.ends_with('\n')),
        "a write ended inside a line: {writes:?}"
    );
    // One write per batch of responses, not per line.
    assert!(writes.len() <= 10, "{} writes for 100 lines", writes.len());
}

#[test]
fn a_lone_request_is_logged_without_waiting_for_more() {
    let (log, _, each) = recorder();
    let (handler, _) = app();
    let server = serve(handler, quiet().access_log(log));
    let mut c = Client::connect(server.local_addr());
    assert_eq!(c.send(GET).response().status, 200);
    // The connection stays open and idle; its line is written anyway.
    let written = each
        .recv_timeout(common::http::READ_LIMIT)
        .expect("the line was not written");
    assert_eq!(written.lines().count(), 1, "{written:?}");
    assert!(
        written.contains("\"GET /logged HTTP/1.1\" 200 7 "),
        "{written:?}"
    );
    assert_eq!(c.send(GET).response().status, 200);
    server.stop(Duration::from_secs(1));
}
