//! The `greenline` command: an application's `main` in one line.
//!
//! ```no_run
//! use greenline::service::command::{self, Current};
//! use greenline::service::ServiceTree;
//!
//! greenline::settings! {
//!     /// The application's settings.
//!     #[derive(Debug, Clone)]
//!     pub struct AppSettings {
//!         /// The HTTP port.
//!         pub http_port: u16 = 8080,
//!     }
//! }
//!
//! fn build(settings: &Current<AppSettings>) -> std::io::Result<ServiceTree> {
//!     let _port = settings.get().http_port;
//!     Ok(ServiceTree::new("app"))
//! }
//!
//! fn main() {
//!     command::main(build)
//! }
//! ```
//!
//! gservice's command lines then work:
//!
//! ```text
//! app -C example.toml                        run in the foreground (INT stops)
//! app -C example.toml start                  daemon; exits 0 once ready
//! app -C example.toml restart | reload | stop | status
//! app -C example.toml -X 'http_port = 7070'  override a setting
//! app -C example.toml config show | check | template
//! app -C example.toml upgrade                a new process on the same
//!                                            ports; the old one stops once
//!                                            it is ready (see `upgrade.rs`)
//! ```
//!
//! # Exit statuses
//!
//! 0 done; 2 a settings error (syntax, unknown key, wrong type, missing
//! pidfile for `start`, unknown user) or a usage error; 1 a runtime error
//! (a port in use, an unwritable pidfile or log file, a daemon already
//! running); `status`: 3 when not running. Each error is one line on
//! standard error naming the cause and the place.
//!
//! # The daemon
//!
//! `start` forks while the process is still one thread (before any
//! greenlet or runtime thread exists: the fork refuses otherwise), the
//! child detaches from the terminal (setsid), sends standard output and
//! error to the `logfile`, takes the `pidfile` ([`crate::service::pidfile`]) and starts
//! the tree; the parent waits on a pipe and exits 0 only once the tree is
//! ready, or with the child's error. The daemon keeps a status file beside
//! the pidfile (`<pidfile>.status`) that `status`, `stop` and `reload`
//! read. Signals: TERM stops gracefully and a second TERM exits at once;
//! INT stops; HUP reloads; USR1 reopens the log file; USR2 upgrades.
//! Under systemd ([`crate::service::systemd`]) it sends `READY=1`,
//! `STATUS=`, `STOPPING=1`, `RELOADING=1` and watchdog pings.

mod args;
mod book;
mod control;
mod current;
mod daemonize;
mod options;
mod reload;
mod serve;
mod status;
mod upgrade;

pub use args::{Args, Command, ConfigCommand};
pub use control::{reload as reload_daemon, status as daemon_status, stop as stop_daemon, Outcome};
pub use current::Current;
pub use options::CommandSettings;
pub use serve::Build;
pub use status::{status_path, Status};

use std::ffi::OsString;
use std::io;

use clap::Parser;

use crate::service::settings::{template, Loaded, Settings, Sources};
use crate::service::ServiceTree;
use daemonize::{daemonize, Daemonized};
use serve::{serve, Detached};

/// Runs the command line of the process with `build` making the
/// application's tree, and exits with the command's status: an
/// application's whole `main`.
pub fn main<S, F>(build: F) -> !
where
    S: Settings + Clone + Send + Sync + 'static,
    F: Fn(&Current<S>) -> io::Result<ServiceTree> + 'static,
{
    std::process::exit(i32::from(run(std::env::args_os(), &build)))
}

/// Runs the command line `args` (the program's name first) and returns
/// the exit status; [`main`] without the exit, for tests and for programs
/// that do more around it.
pub fn run<S, I, T>(args: I, build: &Build<S>) -> u8
where
    S: Settings + Clone + Send + Sync + 'static,
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args = match Args::try_parse_from(args) {
        Ok(args) => args,
        Err(e) => {
            let _ = e.print();
            return e.exit_code().clamp(0, 255) as u8;
        }
    };
    let command = args.command();
    if command == Command::Config(ConfigCommand::Template) {
        print!("{}", template::<(CommandSettings, S)>());
        return 0;
    }
    let loaded = match load::<S>(&args) {
        Ok(loaded) => loaded,
        Err(why) => {
            // An upgrade's successor tells its predecessor why, too.
            if let (Command::Run, Some((_, mut pipe))) = (&command, upgrade::successor_pipe()) {
                pipe.fail(2, &why);
            }
            return 2;
        }
    };
    let settings = &loaded.settings().0;
    match command {
        Command::Config(ConfigCommand::Show) => {
            print!("{}", loaded.show());
            0
        }
        Command::Config(ConfigCommand::Check) | Command::Config(ConfigCommand::Template) => {
            println!("settings are valid");
            0
        }
        Command::Run => {
            // Started by a running daemon's upgrade: report to it.
            let detached = upgrade::successor_pipe().map(|(parent, pipe)| Detached {
                pipe,
                logfile: settings.logfile_path(),
                predecessor: Some(parent),
            });
            let successor = successor_args(&args);
            serve(loaded, build, detached, successor)
        }
        Command::Upgrade => control_command(settings, |p, s| {
            control::upgrade(p, s.reload_wait() + s.stop_wait())
        }),
        Command::Start => start(loaded, build, successor_args(&args)),
        Command::Stop => control_command(settings, |p, s| control::stop(p, s.stop_wait())),
        Command::Status => control_command(settings, |p, _| control::status(p)),
        Command::Reload => control_command(settings, |p, s| control::reload(p, s.reload_wait())),
        Command::Restart => {
            let code = control_command(settings, |p, s| control::stop(p, s.stop_wait()));
            if code != 0 {
                return code;
            }
            start(loaded, build, successor_args(&args))
        }
    }
}

/// The arguments an upgrade starts this binary with: the same settings
/// (file, `-X`, flags), command `run`.
fn successor_args(args: &Args) -> Vec<OsString> {
    let mut out: Vec<OsString> = Vec::new();
    if let Some(file) = &args.config {
        out.push("-C".into());
        out.push(
            std::path::absolute(file)
                .unwrap_or_else(|_| file.clone())
                .into(),
        );
    }
    for x in &args.overrides {
        out.push("-X".into());
        out.push(x.into());
    }
    for (key, value) in args.flags() {
        out.push(format!("--{key}").into());
        out.push(value.into());
    }
    out.push("run".into());
    out
}

/// Loads the settings of every layer, or prints each problem (exit
/// status 2) and returns them on one line.
fn load<S: Settings>(args: &Args) -> Result<Loaded<(CommandSettings, S)>, String> {
    let mut sources = Sources::new();
    if let Some(file) = &args.config {
        sources = sources.file(file);
    }
    for x in &args.overrides {
        sources = sources.override_arg(x);
    }
    for (key, value) in args.flags() {
        sources = sources.flag(key, value);
    }
    sources.load().map_err(|e| {
        for problem in e.problems() {
            eprintln!("greenline: {problem}");
        }
        let lines: Vec<String> = e.problems().iter().map(|p| p.to_string()).collect();
        lines.join("; ")
    })
}

/// Runs a command on the daemon its pidfile names, printing the outcome.
fn control_command(
    settings: &CommandSettings,
    act: impl FnOnce(&std::path::Path, &CommandSettings) -> io::Result<Outcome>,
) -> u8 {
    let Some(pidfile) = settings.pidfile_path() else {
        eprintln!(
            "greenline: no pidfile setting: set `pidfile` in the settings file or pass --pidfile"
        );
        return 2;
    };
    match act(&pidfile, settings) {
        Ok(outcome) => {
            if outcome.code == 0 || outcome.code == 3 {
                println!("{}", outcome.message);
            } else {
                eprintln!("greenline: {}", outcome.message);
            }
            outcome.code
        }
        Err(e) => {
            eprintln!("greenline: {e}");
            1
        }
    }
}

/// `start`: checks what can be checked before forking, forks, and returns
/// the daemon's verdict in the parent; the daemon serves and exits.
fn start<S>(loaded: Loaded<(CommandSettings, S)>, build: &Build<S>, successor: Vec<OsString>) -> u8
where
    S: Settings + Clone + Send + Sync + 'static,
{
    let settings = &loaded.settings().0;
    let Some(pidfile) = settings.pidfile_path() else {
        eprintln!("greenline: start needs a pidfile: set `pidfile` in the settings file or pass --pidfile");
        return 2;
    };
    let Some(logfile) = settings.logfile_path() else {
        eprintln!("greenline: start needs a logfile: set `logfile` in the settings file or pass --logfile");
        return 2;
    };
    // Refused here already, with the first one's pid, so the operator's
    // terminal gets the answer at once (the daemon checks again, locked).
    if let Ok(crate::service::pidfile::Holder::Running(pid)) =
        crate::service::pidfile::holder(&pidfile)
    {
        eprintln!(
            "greenline: already running as pid {pid} (pidfile {})",
            pidfile.display()
        );
        return 1;
    }
    match daemonize(&logfile) {
        Err(e) => {
            eprintln!("greenline: {e}");
            1
        }
        Ok(Daemonized::Parent { code, message }) => {
            if code == 0 {
                println!("{message}");
            } else {
                eprintln!("greenline: {message}");
            }
            code
        }
        Ok(Daemonized::Daemon(pipe)) => {
            let detached = Detached {
                pipe,
                logfile: Some(logfile),
                predecessor: None,
            };
            let code = serve(loaded, build, Some(detached), successor);
            std::process::exit(i32::from(code))
        }
    }
}
