//! gevent's own examples, each run side by side with its port: the Python
//! original in `compat/` (on the venv's gevent) and the Rust example get the
//! same inputs and must give the same outputs.
//!
//! * `echoserver`: two clients at once; the welcome, the echoes, `quit`,
//!   a client going away, and the exact lines the server prints.
//! * `portforwarder`: gevent's own test of it: data before and after
//!   SIGTERM reaches the destination, the listener closes, the program exits
//!   0 once the connection ends; a second signal aborts with status 1; and
//!   the one place the two differ, pinned (a connection ending).
//! * `udp_server` / `udp_client`: every client against every server.
//! * `processes`, `threadpool`: their exact output (the time, within bounds).
//! * `geventsendfile`: two clients at once get the whole file.
//!
//! Servers are waited for through `/proc/net` (bound, owned by the
//! program), so waiting sends nothing a server would print about. The
//! Python side needs `bash compat/setup.sh` first; without its virtualenv
//! these tests fail and say so.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;

use nix::sys::signal::Signal;

mod common;

use common::process::{example, original, start_server, Proto, LIMIT};

/// The two sides of a port: the Rust example and the Python original.
const SIDES: [Side; 2] = [Side::Rust, Side::Python];

#[derive(Clone, Copy, Debug)]
enum Side {
    Rust,
    Python,
}

impl Side {
    /// The program `name` on this side, with `args`.
    fn command(self, name: &str, args: &[&str]) -> Command {
        let mut cmd = match self {
            Side::Rust => example(name),
            Side::Python => original(&format!("{name}.py")),
        };
        cmd.args(args);
        cmd
    }

    fn label(self, name: &str) -> String {
        format!("{name} ({self:?})")
    }
}

/// A client connection with reads bounded by `LIMIT`.
fn connect(addr: SocketAddr) -> BufReader<TcpStream> {
    let stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    stream.set_read_timeout(Some(LIMIT)).unwrap();
    BufReader::new(stream)
}

fn read_line(conn: &mut BufReader<TcpStream>) -> String {
    let mut line = String::new();
    conn.read_line(&mut line).unwrap();
    line
}

fn send(conn: &mut BufReader<TcpStream>, data: &str) {
    conn.get_mut().write_all(data.as_bytes()).unwrap();
}

/// A temporary directory of the test's own, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("greenline-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const WELCOME: &str = "Welcome to the echo server! Type quit to exit.\r\n";

#[test]
fn echoserver_side_by_side() {
    for side in SIDES {
        let name = side.label("echoserver");
        let (mut server, addr) = start_server(&name, Proto::Tcp, |addr| {
            side.command("echoserver", &[&addr.to_string()])
        });
        // Two clients at once: each is welcomed before the other leaves.
        let mut first = connect(addr);
        assert_eq!(read_line(&mut first), WELCOME, "{name}");
        let mut second = connect(addr);
        assert_eq!(read_line(&mut second), WELCOME, "{name}");

        send(&mut first, "hello\r\n");
        assert_eq!(read_line(&mut first), "hello\r\n", "{name}");
        send(&mut first, " Quit \r\n");
        assert_eq!(
            read_line(&mut first),
            "",
            "{name}: quit ends the connection"
        );
        let r = server.stdout.wait_line("client quit");
        server.check(r);

        send(&mut second, "world\r\n");
        assert_eq!(read_line(&mut second), "world\r\n", "{name}");
        let (a, b) = (
            first.get_ref().local_addr().unwrap(),
            second.get_ref().local_addr().unwrap(),
        );
        drop(second);
        let r = server.stdout.wait_line("client disconnected");
        server.check(r);

        let expected = [
            format!("Starting echo server on port {}", addr.port()),
            format!("New connection from {a}"),
            format!("New connection from {b}"),
            r"echoed b'hello\r\n'".to_string(),
            "client quit".to_string(),
            r"echoed b'world\r\n'".to_string(),
            "client disconnected".to_string(),
        ];
        assert_eq!(server.stdout.snapshot(), expected, "{name}");
    }
}

/// The destination of a port forwarder: records what each connection sent
/// and reports it when the connection ends.
struct Backend {
    addr: SocketAddr,
    data: mpsc::Receiver<(SocketAddr, Vec<u8>)>,
    /// Every chunk as it arrives, to wait for one before going on.
    chunks: mpsc::Receiver<Vec<u8>>,
}

impl Backend {
    fn start() -> Backend {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (data_tx, data) = mpsc::channel();
        let (chunk_tx, chunks) = mpsc::channel();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { return };
                let (data_tx, chunk_tx) = (data_tx.clone(), chunk_tx.clone());
                std::thread::spawn(move || {
                    let peer = conn.peer_addr().unwrap();
                    let mut all = Vec::new();
                    let mut buf = [0; 1024];
                    while let Ok(n @ 1..) = conn.read(&mut buf) {
                        all.extend_from_slice(&buf[..n]);
                        let _ = chunk_tx.send(buf[..n].to_vec());
                    }
                    let _ = data_tx.send((peer, all));
                });
            }
        });
        Backend { addr, data, chunks }
    }

    /// Waits (at most `LIMIT`) for `n` more bytes to arrive.
    fn wait_bytes(&self, n: usize) -> Vec<u8> {
        let mut got = Vec::new();
        while got.len() < n {
            got.extend(
                self.chunks
                    .recv_timeout(LIMIT)
                    .expect("data at the backend"),
            );
        }
        got
    }

    /// What the next connection to end sent, and the forwarder's address.
    fn finished(&self) -> (SocketAddr, Vec<u8>) {
        self.data
            .recv_timeout(LIMIT)
            .expect("a backend connection to end")
    }
}

/// gevent's own test of its portforwarder: `msg1`, SIGTERM, `msg2`, close;
/// both messages arrive, new connections are refused once the listener is
/// closed, and the program exits 0 when the connection is over.
#[test]
fn portforwarder_side_by_side() {
    for side in SIDES {
        let name = side.label("portforwarder");
        let backend = Backend::start();
        let dest = backend.addr.to_string();
        let (mut forwarder, addr) = start_server(&name, Proto::Tcp, |addr| {
            side.command("portforwarder", &[&addr.to_string(), &dest])
        });
        let mut client = connect(addr);
        let c = client.get_ref().local_addr().unwrap();
        send(&mut client, "msg1");
        assert_eq!(backend.wait_bytes(4), b"msg1", "{name}");

        forwarder.signal(Signal::SIGTERM);
        let r = forwarder.stderr.wait_line("Closing listener socket");
        forwarder.check(r);
        forwarder.wait_unbound(Proto::Tcp, addr.port());
        let refused = TcpStream::connect(addr).map(|_| ()).unwrap_err();
        assert_eq!(
            refused.kind(),
            std::io::ErrorKind::ConnectionRefused,
            "{name}"
        );

        send(&mut client, "msg2");
        assert_eq!(backend.wait_bytes(4), b"msg2", "{name}");
        drop(client);
        assert_eq!(backend.finished().1, b"msg1msg2", "{name}");
        assert!(forwarder.finish().success(), "{name}: exit status");

        let b = backend.addr;
        let mut expected = vec![
            format!("Starting port forwarder {addr} -> {b}"),
            format!("{c} accepted"),
            format!("{c}->{b}: b'msg1'"),
            "Closing listener socket".to_string(),
            format!("{c}->{b}: b'msg2'"),
            format!("{c}->{b}: b''"),
        ];
        if let Side::Rust = side {
            // The port shuts the other direction down, which reads the end
            // of file and says so; gevent's greenlet is woken with an error
            // (the socket was closed under it) and says nothing.
            expected.push(format!("{b}->{c}: b''"));
        }
        let mut logged = forwarder.stderr.snapshot();
        logged.sort();
        expected.sort();
        assert_eq!(logged, expected, "{name}: what it logged");
    }
}

/// A second SIGTERM while a connection keeps the forwarder alive aborts it:
/// exit status 1 and gevent's message.
#[test]
fn portforwarder_aborts_on_a_second_signal() {
    for side in SIDES {
        let name = side.label("portforwarder");
        let backend = Backend::start();
        let dest = backend.addr.to_string();
        let (mut forwarder, addr) = start_server(&name, Proto::Tcp, |addr| {
            side.command("portforwarder", &[&addr.to_string(), &dest])
        });
        let mut client = connect(addr);
        send(&mut client, "x");
        backend.wait_bytes(1);
        forwarder.signal(Signal::SIGTERM);
        let r = forwarder.stderr.wait_line("Closing listener socket");
        forwarder.check(r);
        forwarder.signal(Signal::SIGTERM);
        assert_eq!(forwarder.finish().code(), Some(1), "{name}");
        let r = forwarder
            .stderr
            .wait_line("Multiple exit signals received - aborting.");
        forwarder.check(r);
    }
}

/// Where the two differ. The port serves until it is signalled, as the
/// original's docstring says. gevent's original, on Python 3, closes its
/// listener when its first connection ends: one forwarder greenlet closes
/// both sockets, the other is woken with `EBADF` ("closed in another
/// greenlet"), a `socket.error`, which the example treats as a reason to
/// close the server; with nothing left to wait for, it exits 0. This pins
/// today's behaviour of the reference, so a gevent that changes it shows up
/// here (see compat/README.md, "Differences").
#[test]
fn portforwarder_after_a_connection_ends() {
    for side in SIDES {
        let name = side.label("portforwarder");
        let backend = Backend::start();
        let dest = backend.addr.to_string();
        let (mut forwarder, addr) = start_server(&name, Proto::Tcp, |addr| {
            side.command("portforwarder", &[&addr.to_string(), &dest])
        });
        let mut client = connect(addr);
        send(&mut client, "one");
        backend.wait_bytes(3);
        drop(client);
        assert_eq!(backend.finished().1, b"one", "{name}");
        match side {
            Side::Rust => {
                let mut client = connect(addr);
                send(&mut client, "two");
                assert_eq!(backend.wait_bytes(3), b"two", "{name}");
                forwarder.signal(Signal::SIGTERM);
                drop(client);
                assert!(forwarder.finish().success(), "{name}");
            }
            Side::Python => {
                // gevent's example races itself: when a connection's second
                // forward greenlet first runs after the first one has closed
                // both sockets, it logs "Failed to get all peer names" and
                // returns without closing the server, which then serves on
                // until signalled (1 run in 25 under load). Either ending is
                // the original's own.
                let r = forwarder
                    .stderr
                    .wait_any_prefix(&["Closing listener socket", "Failed to get all peer names"]);
                if forwarder.check(r) == 1 {
                    forwarder.signal(Signal::SIGTERM);
                }
                assert!(forwarder.finish().success(), "{name}");
                let r = forwarder.stderr.wait_line("Closing listener socket");
                forwarder.check(r);
            }
        }
    }
}

/// Runs a UDP client to the end and returns its stdout.
fn udp_client(side: Side, server: SocketAddr) -> String {
    let out = common::process::run(
        &side.label("udp_client"),
        side.command("udp_client", &[&server.to_string(), "hello", "world"]),
    );
    common::process::success(&side.label("udp_client"), &out)
}

#[test]
fn udp_server_and_client_side_by_side() {
    for server_side in SIDES {
        let name = server_side.label("udp_server");
        let (mut server, addr) = start_server(&name, Proto::Udp, |addr| {
            server_side.command("udp_server", &[&addr.to_string()])
        });
        for client_side in SIDES {
            assert_eq!(
                udp_client(client_side, addr),
                format!("Sending 11 bytes to {addr}\n{addr}: got b'Received 11 bytes'\n"),
                "{client_side:?} client, {server_side:?} server"
            );
        }
        let r = server.stdout.wait_count("127.0.0.1: got b'hello world'", 2);
        server.check(r);
        assert_eq!(
            server.stdout.snapshot(),
            [
                format!("Receiving datagrams on {addr}"),
                "127.0.0.1: got b'hello world'".to_string(),
                "127.0.0.1: got b'hello world'".to_string(),
            ],
            "{name}"
        );
    }
}

/// With nobody on the port the client ends by itself, with status 1.
#[test]
fn udp_client_without_a_server_exits_1() {
    let nobody = common::process::free_addr();
    for side in SIDES {
        let name = side.label("udp_client");
        let out = common::process::run(
            &name,
            side.command("udp_client", &[&nobody.to_string(), "anyone?"]),
        );
        assert_eq!(out.status.code(), Some(1), "{name}");
    }
}

#[test]
fn processes_side_by_side() {
    let dir = TempDir::new("processes");
    for file in ["alpha", "beta"] {
        std::fs::write(dir.path().join(file), b"").unwrap();
    }
    let uname = Command::new("uname").output().unwrap().stdout;
    let expected = format!(
        "uname: b'{}'\nls: b'alpha\\nbeta\\n'\n",
        uname.escape_ascii()
    );
    for side in SIDES {
        let name = side.label("processes");
        let mut cmd = side.command("processes", &[]);
        cmd.current_dir(dir.path());
        let out = common::process::run(&name, cmd);
        assert_eq!(common::process::success(&name, &out), expected, "{name}");
    }
}

/// Four one-second sleeps on three threads: two rounds, so at least 2 s,
/// and less than the 4 s one thread would take.
#[test]
fn threadpool_side_by_side() {
    let prefix = "Running \"time.sleep(1)\" 4 times with 3 threads. Should take about 2 seconds: ";
    let runs: Vec<_> = SIDES
        .iter()
        .map(|&side| {
            let name = side.label("threadpool");
            let running = common::process::Running::start(&name, side.command("threadpool", &[]));
            (name, running)
        })
        .collect();
    for (name, running) in runs {
        let out = running.finish();
        let stdout = common::process::success(&name, &out);
        let seconds = stdout
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix("s\n"))
            .unwrap_or_else(|| panic!("{name}: unexpected output {stdout:?}"));
        assert_eq!(
            seconds.split_once('.').map(|(_, ms)| ms.len()),
            Some(3),
            "{name}"
        );
        let seconds: f64 = seconds.parse().unwrap();
        assert!((2.0..4.0).contains(&seconds), "{name}: {seconds} s");
    }
}

#[test]
fn geventsendfile_side_by_side() {
    let dir = TempDir::new("sendfile");
    let path = dir.path().join("payload");
    let content: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 253) as u8).collect();
    std::fs::write(&path, &content).unwrap();
    let file = path.to_str().unwrap();
    for side in SIDES {
        let name = side.label("geventsendfile");
        let (mut server, addr) = start_server(&name, Proto::Tcp, |addr| {
            side.command("geventsendfile", &[file, &addr.to_string()])
        });
        // Two clients at once; 3 MB is more than the socket buffers hold,
        // so sendfile comes back short and the server waits for room.
        let clients: Vec<_> = (0..2)
            .map(|_| {
                std::thread::spawn(move || {
                    let mut conn = connect(addr).into_inner();
                    let mut got = Vec::new();
                    let mut buf = [0; 4096];
                    while let Ok(n @ 1..) = conn.read(&mut buf) {
                        got.extend_from_slice(&buf[..n]);
                    }
                    got
                })
            })
            .collect();
        for client in clients {
            let got = client.join().unwrap();
            if got != content {
                server.fail(&format!("a client got {} bytes, not the file", got.len()));
            }
        }
    }
}
