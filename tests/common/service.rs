//! Helpers for the tests of the `greenline` command: a directory with a
//! settings file on free ports, the command run in it, and waits with
//! deadlines on what a daemon writes (its pidfile, its log).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use super::process::{run, LIMIT};

/// A directory holding `example.toml`, the pidfile and the log file of
/// one test's application, on ports picked for it. Dropping it kills a
/// daemon its pidfile still names and removes the directory.
pub struct Site {
    pub dir: PathBuf,
    pub http_port: u16,
    pub tcp_port: u16,
}

impl Site {
    /// A fresh site for test `name`, with `example.toml` written.
    pub fn new(name: &str) -> Site {
        let dir = std::env::temp_dir().join(format!("greenline-svc-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let site = Site {
            dir,
            http_port: greenline::testing::free_port().unwrap(),
            tcp_port: greenline::testing::free_port().unwrap(),
        };
        site.write_config("");
        site
    }

    /// Writes `example.toml`: the talk's keys on this site's ports, the
    /// pidfile and the log file in the directory, then `extra` lines.
    pub fn write_config(&self, extra: &str) {
        let text = format!(
            "pidfile = \"example.pid\"\nlogfile = \"example.log\"\nhttp_port = {}\ntcp_port = {}\nconnect_address = \"127.0.0.1:{}\"\n{extra}",
            self.http_port, self.tcp_port, self.tcp_port
        );
        std::fs::write(self.config(), text).unwrap();
    }

    pub fn config(&self) -> PathBuf {
        self.dir.join("example.toml")
    }

    pub fn pidfile(&self) -> PathBuf {
        self.dir.join("example.pid")
    }

    pub fn status_file(&self) -> PathBuf {
        self.dir.join("example.pid.status")
    }

    pub fn logfile(&self) -> PathBuf {
        self.dir.join("example.log")
    }

    /// `greenline -C example.toml ARGS…`, run in the site's directory.
    pub fn greenline(&self, args: &[&str]) -> Command {
        // option_env!: every test binary compiles this file, also those
        // built without the `service` feature (and so without the binary).
        let Some(exe) = option_env!("CARGO_BIN_EXE_greenline") else {
            panic!("the greenline binary needs the `service` feature");
        };
        let mut cmd = Command::new(exe);
        cmd.current_dir(&self.dir)
            .arg("-C")
            .arg(self.config())
            .args(args);
        cmd
    }

    /// Runs `greenline -C example.toml ARGS…` to its end.
    pub fn run(&self, args: &[&str]) -> Output {
        run(
            &format!("greenline {}", args.join(" ")),
            self.greenline(args),
        )
    }

    /// The pid in the pidfile, if there is one.
    pub fn pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.pidfile())
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    /// The log file's text so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.logfile()).unwrap_or_default()
    }

    /// Waits (at most [`LIMIT`]) until the log file holds `needle`.
    pub fn wait_log(&self, needle: &str) -> Result<(), String> {
        wait_until(|| self.log().contains(needle))
            .map_err(|_| format!("log has no {needle:?} after {LIMIT:?}:\n{}", self.log()))
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        if let Some(pid) = self.pid() {
            if alive(pid) {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid as i32),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Polls `cond` every 10 ms until it holds or [`LIMIT`] passes.
pub fn wait_until(mut cond: impl FnMut() -> bool) -> Result<(), ()> {
    let deadline = Instant::now() + LIMIT;
    loop {
        if cond() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Whether process `pid` exists (and is not a zombie).
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name in parentheses.
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

/// Waits (at most [`LIMIT`]) until process `pid` is gone.
pub fn wait_gone(pid: u32) -> Result<(), String> {
    wait_until(|| !alive(pid)).map_err(|_| format!("pid {pid} still runs after {LIMIT:?}"))
}

/// `GET /` on 127.0.0.1:`port`; the response's body.
pub fn http_get(port: u16) -> std::io::Result<String> {
    Ok(http_get_path(port, "/")?.1)
}

/// `GET path` on 127.0.0.1:`port`; the status line and the body.
pub fn http_get_path(port: u16, path: &str) -> std::io::Result<(String, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(LIMIT))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
    )?;
    let mut text = String::new();
    s.read_to_string(&mut text)?;
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.lines().next().unwrap_or_default().to_string();
    Ok((status, body.to_string()))
}

/// The first line the TCP server on 127.0.0.1:`port` sends.
pub fn tcp_line(port: u16) -> std::io::Result<String> {
    let s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(LIMIT))?;
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line)?;
    Ok(line)
}

/// Standard output and error of `out`, for assertion messages.
pub fn both(out: &Output) -> String {
    format!(
        "status {}\n--- stdout:\n{}--- stderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Standard error as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Standard output as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whether `path` exists.
pub fn exists(path: &Path) -> bool {
    path.exists()
}
