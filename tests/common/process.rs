//! Helpers for tests that run programs: the example binaries, the reference
//! originals in `compat/`, each bounded in time and killed if the test fails.
#![allow(dead_code)]

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
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
