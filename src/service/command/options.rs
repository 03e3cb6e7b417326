//! The command's own settings, read from the same file and layers as the
//! application's (`pidfile = 'example.pid'` sits beside `http_port`, as in
//! the talk's `example.conf.py`).

use std::path::{Path, PathBuf};
use std::time::Duration;

crate::settings! {
    /// What the `greenline` command itself reads from the settings.
    #[derive(Debug, Clone)]
    pub struct CommandSettings {
        /// The pidfile: written and locked while the service runs; `start`,
        /// `stop`, `reload` and `status` find the daemon through it.
        pub pidfile: Option<String> = None,
        /// The daemon's log file: its standard output and error go there
        /// (reopened on USR1, for logrotate).
        pub logfile: Option<String> = None,
        /// Run as this user once every service is ready (privileged ports
        /// are bound first).
        pub user: Option<String> = None,
        /// Seconds `stop` waits after TERM before it sends KILL.
        pub stop_timeout: f64 = 10.0,
        /// Seconds `reload` waits for the daemon's answer.
        pub reload_timeout: f64 = 10.0,
        /// An admin listener (`host:port`) answering `/livez` and `/readyz`
        /// from the services' states, for orchestrators' probes; none when
        /// unset.
        pub admin: Option<String> = None,
    }
}

impl CommandSettings {
    /// The pidfile as an absolute path (a daemon's working directory is
    /// not the operator's).
    pub fn pidfile_path(&self) -> Option<PathBuf> {
        self.pidfile.as_deref().map(absolute)
    }

    /// The log file as an absolute path.
    pub fn logfile_path(&self) -> Option<PathBuf> {
        self.logfile.as_deref().map(absolute)
    }

    /// [`stop_timeout`](CommandSettings::stop_timeout) as a duration
    /// (a negative or NaN value is zero).
    pub fn stop_wait(&self) -> Duration {
        seconds(self.stop_timeout)
    }

    /// [`reload_timeout`](CommandSettings::reload_timeout) as a duration.
    pub fn reload_wait(&self) -> Duration {
        seconds(self.reload_timeout)
    }
}

fn seconds(s: f64) -> Duration {
    Duration::try_from_secs_f64(s).unwrap_or(Duration::ZERO)
}

fn absolute(path: &str) -> PathBuf {
    let path = Path::new(path);
    if path.is_absolute() {
        return path.to_path_buf();
    }
    std::env::current_dir().map_or_else(|_| path.to_path_buf(), |dir| dir.join(path))
}
