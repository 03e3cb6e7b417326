//! Helpers for tests that run programs: the example binaries, the reference
//! originals in `compat/`, each bounded in time and killed if the test fails.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long any one program may run before the test fails.
pub const LIMIT: Duration = Duration::from_secs(20);

/// The directory holding the examples of the profile this test was built
/// with (this binary is `target/<profile>/deps/<test>-<hash>`). `cargo test`
/// builds the examples; `cargo test --test NAME` alone does not, so missing
/// ones are built once with `cargo build --examples`.
pub fn examples_dir(wanted: &[&str]) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let exe = std::env::current_exe().expect("current_exe");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("test binary is in target/<profile>/deps")
        .to_path_buf();
    let dir = profile_dir.join("examples");
    if wanted.iter().all(|name| dir.join(name).exists()) {
        return dir;
    }
    BUILT
        .get_or_init(|| {
            let profile = profile_dir.file_name().and_then(|n| n.to_str());
            assert_eq!(
                profile,
                Some("debug"),
                "examples missing in {}; run `cargo build --examples` with this profile",
                dir.display()
            );
            let target_dir = profile_dir.parent().expect("target dir");
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let status = Command::new(cargo)
                .args(["build", "--quiet", "--examples", "--target-dir"])
                .arg(target_dir)
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status()
                .expect("run cargo build --examples");
            assert!(status.success(), "cargo build --examples failed");
            dir.clone()
        })
        .clone()
}

/// The example binary `name`.
pub fn example(name: &str) -> Command {
    Command::new(examples_dir(&[name]).join(name))
}

/// A file under `compat/`.
pub fn compat(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("compat")
        .join(file)
}

/// Runs the original `compat/<file>` with the interpreter its extension
/// names (the venv's Python, `ruby`, `php`). Fails the test, naming the
/// fix, when the venv is missing.
pub fn original(file: &str) -> Command {
    let mut cmd = match file.rsplit('.').next() {
        Some("py") => {
            let python = compat(".venv/bin/python");
            assert!(
                python.exists(),
                "{} is missing: run `bash compat/setup.sh` first",
                python.display()
            );
            Command::new(python)
        }
        Some("rb") => Command::new("ruby"),
        Some("php") => Command::new("php"),
        _ => panic!("no interpreter for {file}"),
    };
    cmd.arg(compat(file));
    cmd
}

/// `tcp://127.0.0.1:PORT` on a port that was free a moment ago.
pub fn free_endpoint() -> String {
    format!(
        "tcp://127.0.0.1:{}",
        greenline::testing::free_port().expect("free port")
    )
}

/// A running program, killed when dropped (also when the test panics).
pub struct Running {
    name: String,
    child: Option<Child>,
}

impl Running {
    /// Starts `cmd` with stdout and stderr captured.
    pub fn start(name: &str, mut cmd: Command) -> Running {
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        Running {
            name: name.to_string(),
            child: Some(child),
        }
    }

    /// Kills the program (one that runs until killed) and returns what it
    /// printed.
    pub fn stop(mut self) -> Output {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
        }
        self.finish()
    }

    /// Waits (at most [`LIMIT`]) for the program to exit; returns what it
    /// printed. Fails the test if it is still running then.
    pub fn finish(mut self) -> Output {
        let mut child = self.child.take().expect("still running");
        // Drain the pipes in threads so a chatty program cannot block.
        let mut stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let out = std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = stdout.read_to_end(&mut v);
            v
        });
        let err = std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = stderr.read_to_end(&mut v);
            v
        });
        let deadline = Instant::now() + LIMIT;
        let status = loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{} still running after {LIMIT:?}", self.name);
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        Output {
            status,
            stdout: out.join().unwrap(),
            stderr: err.join().unwrap(),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs `cmd` to the end (bounded by [`LIMIT`]).
pub fn run(name: &str, cmd: Command) -> Output {
    Running::start(name, cmd).finish()
}

/// Asserts a clean exit and returns stdout as text.
pub fn success(name: &str, out: &Output) -> String {
    assert!(
        out.status.success(),
        "{name} failed: {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Lines a child prints, collected by a reader thread as they come, so a
/// test can wait for one with a deadline instead of sleeping.
#[derive(Default)]
pub struct Lines {
    lines: Mutex<Vec<String>>,
    /// The pipe reached its end (the child closed it, by exiting).
    ended: AtomicBool,
    grew: Condvar,
}

impl Lines {
    /// Starts a thread reading `pipe` line by line.
    pub fn collect(pipe: impl Read + Send + 'static) -> Arc<Lines> {
        let lines = Arc::new(Lines::default());
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                sink.lines.lock().unwrap().push(line);
                sink.grew.notify_all();
            }
            let _guard = sink.lines.lock().unwrap();
            sink.ended.store(true, Ordering::Release);
            sink.grew.notify_all();
        });
        lines
    }

    /// Every line so far.
    pub fn snapshot(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// Waits (at most [`LIMIT`]) until `line` was printed `n` times.
    pub fn wait_count(&self, line: &str, n: usize) -> Result<(), String> {
        let deadline = Instant::now() + LIMIT;
        let mut lines = self.lines.lock().unwrap();
        loop {
            if lines.iter().filter(|l| *l == line).count() >= n {
                return Ok(());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!("fewer than {n} lines {line:?} after {LIMIT:?}"));
            }
            lines = self.grew.wait_timeout(lines, left).unwrap().0;
        }
    }

    /// Waits (at most [`LIMIT`]) until `line` was printed.
    pub fn wait_line(&self, line: &str) -> Result<(), String> {
        self.wait_count(line, 1)
    }

    /// Waits (at most [`LIMIT`]) until a line starting with one of
    /// `prefixes` was printed; the index of the prefix the first such line
    /// starts with.
    pub fn wait_any_prefix(&self, prefixes: &[&str]) -> Result<usize, String> {
        let deadline = Instant::now() + LIMIT;
        let mut lines = self.lines.lock().unwrap();
        loop {
            let first = lines
                .iter()
                .find_map(|l| prefixes.iter().position(|p| l.starts_with(p)));
            if let Some(i) = first {
                return Ok(i);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!(
                    "no line starting with any of {prefixes:?} after {LIMIT:?}"
                ));
            }
            lines = self.grew.wait_timeout(lines, left).unwrap().0;
        }
    }

    /// Waits until the pipe ended or `deadline` passed.
    pub fn wait_end(&self, deadline: Instant) {
        let mut lines = self.lines.lock().unwrap();
        while !self.ended.load(Ordering::Acquire) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            lines = self.grew.wait_timeout(lines, left).unwrap().0;
        }
    }
}

/// The transport a server listens on, as `/proc/net` lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Tcp,
    Udp,
}

/// A server could not bind the port it was given: something else took it
/// after [`free_addr`] found it free.
#[derive(Debug)]
pub struct PortTaken;

/// A running program whose output lines are collected as they come; killed
/// when dropped (also when the test fails).
pub struct Watched {
    pub name: String,
    child: Child,
    pub stdout: Arc<Lines>,
    pub stderr: Arc<Lines>,
}

impl Watched {
    /// Starts `cmd` with stdin closed and both outputs collected.
    pub fn start(name: &str, mut cmd: Command) -> Watched {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        let stdout = Lines::collect(child.stdout.take().unwrap());
        let stderr = Lines::collect(child.stderr.take().unwrap());
        Watched {
            name: name.to_string(),
            child,
            stdout,
            stderr,
        }
    }

    /// The process id, to send it signals.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` to the program.
    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        let pid = nix::unistd::Pid::from_raw(self.pid() as i32);
        nix::sys::signal::kill(pid, signal).unwrap_or_else(|e| panic!("kill {}: {e}", self.name));
    }

    /// The exit status, polled until `deadline`; `None` while it runs.
    pub fn wait_exit(&mut self, deadline: Instant) -> Option<ExitStatus> {
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                _ => return None,
            }
        }
    }

    /// Waits (at most [`LIMIT`]) for the program to exit, and for its
    /// output to end; fails the test if it runs on.
    pub fn finish(&mut self) -> ExitStatus {
        let deadline = Instant::now() + LIMIT;
        let status = self
            .wait_exit(deadline)
            .unwrap_or_else(|| self.fail(&format!("still running after {LIMIT:?}")));
        self.stdout.wait_end(deadline);
        self.stderr.wait_end(deadline);
        status
    }

    /// `r`'s value, or the test fails with what the program printed.
    pub fn check<T>(&mut self, r: Result<T, String>) -> T {
        r.unwrap_or_else(|why| self.fail(&why))
    }

    /// Fails the test with what the program printed. One that is exiting
    /// (a failed bind, say) gets a moment to finish, so the message has
    /// its reason.
    pub fn fail(&mut self, why: &str) -> ! {
        let deadline = Instant::now() + Duration::from_secs(2);
        let exited = self.wait_exit(deadline);
        if exited.is_some() {
            self.stdout.wait_end(deadline);
            self.stderr.wait_end(deadline);
        }
        panic!(
            "{}: {why}{}\n--- stdout:\n{}\n--- stderr:\n{}",
            self.name,
            exited.map_or(String::new(), |s| format!(" (it then exited: {s})")),
            self.stdout.snapshot().join("\n"),
            self.stderr.snapshot().join("\n")
        )
    }

    /// Polls `/proc/net/tcp` or `/proc/net/udp` (at most [`LIMIT`]) until
    /// the program has a socket bound to 127.0.0.1:`port` (listening, for
    /// TCP). Opens no connection and sends nothing the program would see.
    /// `Err` when it exited saying the address was in use.
    pub fn wait_bound(&mut self, proto: Proto, port: u16) -> Result<(), PortTaken> {
        let deadline = Instant::now() + LIMIT;
        loop {
            if self.is_bound(proto, port) {
                return Ok(());
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                self.stderr
                    .wait_end(Instant::now() + Duration::from_secs(2));
                if self.said_address_in_use() {
                    return Err(PortTaken);
                }
                self.fail(&format!("exited ({status}) before binding {port}"));
            }
            if Instant::now() >= deadline {
                self.fail(&format!("not bound to 127.0.0.1:{port} after {LIMIT:?}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Polls (at most [`LIMIT`]) until the program no longer has a
    /// socket bound to 127.0.0.1:`port` (for TCP, listening): it closed
    /// its listener.
    pub fn wait_unbound(&mut self, proto: Proto, port: u16) {
        let deadline = Instant::now() + LIMIT;
        while self.is_bound(proto, port) {
            if Instant::now() >= deadline {
                self.fail(&format!("still bound to 127.0.0.1:{port} after {LIMIT:?}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the program has a socket bound to 127.0.0.1:`port`
    /// (listening, for TCP), as `/proc/net` shows.
    fn is_bound(&self, proto: Proto, port: u16) -> bool {
        let (table, state) = match proto {
            Proto::Tcp => ("/proc/net/tcp", "0A"),
            Proto::Udp => ("/proc/net/udp", "07"),
        };
        let want = format!("0100007F:{port:04X}");
        let rows = std::fs::read_to_string(table).expect("read /proc/net");
        rows.lines().skip(1).any(|row| {
            let fields: Vec<&str> = row.split_whitespace().collect();
            fields.get(1) == Some(&want.as_str())
                && fields.get(3) == Some(&state)
                && fields.get(9).is_some_and(|inode| self.owns_socket(inode))
        })
    }

    fn said_address_in_use(&self) -> bool {
        self.stderr
            .snapshot()
            .iter()
            .any(|l| l.contains("Address already in use"))
    }

    /// Whether socket `inode` is open in the program's process.
    fn owns_socket(&self, inode: &str) -> bool {
        let link = format!("socket:[{inode}]");
        let Ok(fds) = std::fs::read_dir(format!("/proc/{}/fd", self.child.id())) else {
            return false;
        };
        fds.flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|l| l.as_os_str() == link.as_str()))
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// 127.0.0.1 on a port that was free a moment ago.
pub fn free_addr() -> SocketAddr {
    (
        [127, 0, 0, 1],
        greenline::testing::free_port().expect("free port"),
    )
        .into()
}

/// Starts a server made by `make(addr)` on a free 127.0.0.1 port and waits
/// until it is bound there. A port can be taken between `free_addr` and
/// the server's bind; the server then says so and exits, and another port
/// is tried (three times at most).
pub fn start_server(
    name: &str,
    proto: Proto,
    make: impl Fn(SocketAddr) -> Command,
) -> (Watched, SocketAddr) {
    for _ in 0..3 {
        let addr = free_addr();
        let mut server = Watched::start(name, make(addr));
        if server.wait_bound(proto, addr.port()).is_ok() {
            return (server, addr);
        }
        eprintln!(
            "{name}: port {} was taken before it could bind; trying another",
            addr.port()
        );
    }
    panic!("{name}: three ports in a row were taken")
}
