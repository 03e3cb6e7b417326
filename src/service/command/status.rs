//! The status file a daemon keeps beside its pidfile (`<pidfile>.status`),
//! rewritten on each state change, so that `status`, `stop` and `reload`
//! can tell the operator what the process is doing without a control
//! socket: the state of each service, which service a stop is waiting
//! for, and the outcome of the last reload.
//!
//! The file is small line-oriented text, written to a temporary file and
//! renamed over the old one, so a reader sees one whole version:
//!
//! ```text
//! pid 4242
//! started 1764790000
//! state ready
//! service http ready
//! service tcp ready
//! stopping tcp
//! reload 2 ok changed greeting
//! reload 3 error settings file example.toml line 4: unknown key "htp_port"
//! ```

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What a daemon last wrote about itself.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Status {
    /// The daemon's pid.
    pub pid: u32,
    /// When it started, in seconds since the Unix epoch.
    pub started: u64,
    /// The tree's state (`starting`, `ready`, `reloading`, `stopping`,
    /// `stopped`).
    pub state: String,
    /// Each service's name and state, in tree order.
    pub services: Vec<(String, String)>,
    /// The service a stop is waiting for, while one is.
    pub stopping: Option<String>,
    /// The number of reloads finished so far, and the last one's error
    /// (`None`: it was applied, or none happened yet).
    pub reloads: u64,
    /// Why the last reload was refused.
    pub reload_error: Option<String>,
    /// What the last applied reload changed (`changed http_port`).
    pub reload_summary: String,
    /// The number of upgrades that failed so far.
    pub upgrades: u64,
    /// Why the last upgrade failed.
    pub upgrade_error: Option<String>,
}

impl Status {
    /// A status for this process, started now, in state `starting`.
    pub fn new() -> Status {
        Status {
            pid: std::process::id(),
            started: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            state: "starting".into(),
            ..Status::default()
        }
    }

    /// How long the daemon has run.
    pub fn uptime(&self) -> Duration {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Duration::from_secs(now.saturating_sub(self.started))
    }

    /// The file's text.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "pid {}", self.pid);
        let _ = writeln!(s, "started {}", self.started);
        let _ = writeln!(s, "state {}", one_line(&self.state));
        for (name, state) in &self.services {
            let _ = writeln!(s, "service {} {}", one_word(name), one_line(state));
        }
        if let Some(name) = &self.stopping {
            let _ = writeln!(s, "stopping {}", one_line(name));
        }
        match &self.reload_error {
            None if self.reload_summary.is_empty() => {
                let _ = writeln!(s, "reload {} ok", self.reloads);
            }
            None => {
                let _ = writeln!(
                    s,
                    "reload {} ok {}",
                    self.reloads,
                    one_line(&self.reload_summary)
                );
            }
            Some(e) => {
                let _ = writeln!(s, "reload {} error {}", self.reloads, one_line(e));
            }
        }
        if let Some(e) = &self.upgrade_error {
            let _ = writeln!(s, "upgrade {} error {}", self.upgrades, one_line(e));
        }
        s
    }

    /// Reads [`render`](Status::render)'s text back; lines it does not
    /// know are skipped, so an older reader reads a newer file.
    pub fn parse(text: &str) -> Status {
        let mut status = Status::default();
        for line in text.lines() {
            let (key, rest) = line.split_once(' ').unwrap_or((line, ""));
            match key {
                "pid" => status.pid = rest.trim().parse().unwrap_or(0),
                "started" => status.started = rest.trim().parse().unwrap_or(0),
                "state" => status.state = rest.to_string(),
                "service" => {
                    let (name, state) = rest.split_once(' ').unwrap_or((rest, ""));
                    status.services.push((name.to_string(), state.to_string()));
                }
                "stopping" => status.stopping = Some(rest.to_string()),
                "reload" => {
                    let mut parts = rest.splitn(3, ' ');
                    status.reloads = parts.next().and_then(|n| n.parse().ok()).unwrap_or(0);
                    let outcome = parts.next();
                    let rest = parts.next().unwrap_or("").to_string();
                    match outcome {
                        Some("error") => status.reload_error = Some(rest),
                        _ => status.reload_summary = rest,
                    }
                }
                "upgrade" => {
                    let mut parts = rest.splitn(3, ' ');
                    status.upgrades = parts.next().and_then(|n| n.parse().ok()).unwrap_or(0);
                    parts.next();
                    status.upgrade_error = parts.next().map(str::to_string);
                }
                _ => {}
            }
        }
        status
    }

    /// Writes the status to `path` atomically (a temporary file renamed
    /// over it).
    ///
    /// # Errors
    ///
    /// The system's error, naming the file.
    pub fn write(&self, path: &Path) -> io::Result<()> {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(format!(".{}.tmp", std::process::id()));
        let tmp = PathBuf::from(tmp);
        let named =
            |e: io::Error, p: &Path| io::Error::new(e.kind(), format!("{}: {e}", p.display()));
        std::fs::write(&tmp, self.render()).map_err(|e| named(e, &tmp))?;
        std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            named(e, path)
        })
    }

    /// Reads the status file at `path`; `None` when there is none.
    ///
    /// # Errors
    ///
    /// The system's error when it exists but cannot be read.
    pub fn read(path: &Path) -> io::Result<Option<Status>> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(Some(Status::parse(&text))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
        }
    }
}

/// The status file that goes with `pidfile`.
pub fn status_path(pidfile: &Path) -> PathBuf {
    let mut name = pidfile.as_os_str().to_owned();
    name.push(".status");
    PathBuf::from(name)
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

fn one_word(s: &str) -> String {
    s.replace(char::is_whitespace, "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_and_parse_round_trip() {
        let status = Status {
            pid: 42,
            started: 1000,
            state: "stopping".into(),
            services: vec![
                ("http".into(), "ready".into()),
                ("tcp".into(), "stopping".into()),
            ],
            stopping: Some("tcp".into()),
            reloads: 3,
            reload_error: Some("example.toml line 4: unknown key \"htp_port\"".into()),
            reload_summary: String::new(),
            upgrades: 2,
            upgrade_error: Some("the new process ended before it was ready".into()),
        };
        assert_eq!(Status::parse(&status.render()), status);
        let ok = Status {
            reload_error: None,
            reload_summary: "changed greeting, http_port".into(),
            ..status
        };
        assert_eq!(Status::parse(&ok.render()), ok);
    }

    #[test]
    fn a_message_with_line_breaks_stays_on_its_line() {
        let status = Status {
            reloads: 1,
            reload_error: Some("first\nsecond".into()),
            ..Status::default()
        };
        let back = Status::parse(&status.render());
        assert_eq!(back.reload_error.as_deref(), Some("first second"));
    }
}
