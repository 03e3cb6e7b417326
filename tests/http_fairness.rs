//! Fairness between HTTP connections that share a worker: clients that
//! pipeline without pause do not keep another client waiting. Its own
//! binary: it configures the runtime with one worker, so every connection
//! is served by the same thread and fairness is the server's doing alone.
//!
//! A latency assertion, which timing goals usually are not (they live in
//! the benchmarks): starvation is a correctness defect, and the bound is
//! loose enough (tens of times what a fair server needs) to hold on a
//! loaded two-core machine.

mod common;

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use common::http::{quiet, serve, Client};
use greenline::config::{self, Config};
use greenline::http::{Request, Response};

const GET: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
/// Pipelining clients.
const HOGS: usize = 4;
/// Requests in each of a pipelining client's writes.
const BATCH: usize = 2_000;
/// The longest the pipelining clients send; the other client must be done
/// well before.
const LOAD_LIMIT: Duration = Duration::from_secs(4);
/// Sequential keep-alive requests of the client measured.
const PROBES: usize = 200;
/// The bound on the measured client's 99th percentile latency.
const P99_LIMIT: Duration = Duration::from_millis(50);

fn one_worker() {
    let _ = config::configure(Config::from_env().workers(1));
    assert_eq!(
        config::current().get_workers(),
        1,
        "this binary needs one worker"
    );
}

/// A client pipelining `GET /` without pause: one thread writes batches of
/// [`BATCH`] requests until told to stop (or [`LOAD_LIMIT`]), so the
/// server always finds input; another discards the responses, so the
/// server's writes never wait either. (A client that never read would fill
/// the socket buffers within a second and leave the server's write
/// waiting, which yields the worker and would hide the defect.)
struct Hog {
    stream: TcpStream,
    writer: JoinHandle<()>,
    reader: JoinHandle<u64>,
}

impl Hog {
    fn start(addr: SocketAddr, stop: Arc<AtomicBool>, answered: mpsc::Sender<()>) -> Hog {
        let stream = TcpStream::connect(addr).unwrap();
        // Short waits, so the writer sees `stop` even when the server is
        // not reading this connection.
        stream
            .set_write_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        stream
            .set_read_timeout(Some(LOAD_LIMIT + common::http::READ_LIMIT))
            .unwrap();
        let mut out = stream.try_clone().unwrap();
        let started = Instant::now();
        let writer = thread::spawn(move || {
            let batch = GET.repeat(BATCH);
            // Where the next write starts in `batch`: a write cut short by
            // its timeout is resumed, so the stream stays whole requests.
            let mut at = 0;
            while !stop.load(Ordering::SeqCst) && started.elapsed() < LOAD_LIMIT {
                match out.write(&batch[at..]) {
                    Ok(n) => at = (at + n) % batch.len(),
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                        ) => {}
                    Err(_) => return,
                }
            }
            let _ = out.shutdown(Shutdown::Write);
        });
        let mut input = stream.try_clone().unwrap();
        let reader = thread::spawn(move || {
            let mut buf = vec![0; 64 * 1024];
            let mut got = 0u64;
            while let Ok(n @ 1..) = input.read(&mut buf) {
                if got == 0 {
                    let _ = answered.send(());
                }
                got += n as u64;
            }
            got
        });
        Hog {
            stream,
            writer,
            reader,
        }
    }

    /// Ends the client; returns how many response bytes it received.
    fn finish(self) -> u64 {
        self.writer.join().unwrap();
        // The rest of its pipeline is not waited for.
        let _ = self.stream.shutdown(Shutdown::Both);
        self.reader.join().unwrap()
    }
}

#[test]
fn pipelining_clients_do_not_starve_another_client() {
    one_worker();
    let server = serve(|_: &mut Request| Response::text(200, "ok"), quiet());
    let addr = server.local_addr();
    // The client measured, connected and served before the load starts.
    let mut probe = Client::connect(addr);
    probe
        .stream
        .set_read_timeout(Some(LOAD_LIMIT + common::http::READ_LIMIT))
        .unwrap();
    assert_eq!(probe.send(GET).response().status, 200);

    let stop = Arc::new(AtomicBool::new(false));
    let (answered, first_answers) = mpsc::channel();
    let load_started = Instant::now();
    let hogs: Vec<Hog> = (0..HOGS)
        .map(|_| Hog::start(addr, stop.clone(), answered.clone()))
        .collect();
    // The load is on once the server answers a pipelining client.
    first_answers
        .recv_timeout(common::http::READ_LIMIT)
        .expect("no pipelining client was answered");

    let mut latencies = Vec::with_capacity(PROBES);
    for _ in 0..PROBES {
        let sent = Instant::now();
        let r = probe.send(GET).response();
        latencies.push(sent.elapsed());
        assert_eq!(r.status, 200);
    }
    let probes_done = load_started.elapsed();
    stop.store(true, Ordering::SeqCst);
    let received: Vec<u64> = hogs.into_iter().map(Hog::finish).collect();

    latencies.sort();
    let p99 = latencies[PROBES * 99 / 100 - 1];
    let max = latencies[PROBES - 1];
    eprintln!("p99 {p99:?}, slowest {max:?}; response bytes per pipelining client {received:?}");
    assert!(
        probes_done < LOAD_LIMIT,
        "the {PROBES} requests took until {probes_done:?}, after the load stopped \
         (slowest {max:?}): the pipelining clients held the worker"
    );
    assert!(
        p99 <= P99_LIMIT,
        "p99 latency {p99:?} beside {HOGS} pipelining clients (slowest {max:?})"
    );
    // The pipelining clients were served too, every one of them.
    assert!(
        received.iter().all(|&n| n > 0),
        "response bytes per pipelining client: {received:?}"
    );
    server.stop(Duration::from_secs(1));
}
