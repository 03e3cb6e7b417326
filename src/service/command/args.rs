//! The command line, as clap reads it: gservice's
//! `gservice -C example.conf.py [-X 'key = value'] [start|stop|…]`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// A greenline application: run its service tree in the foreground, or
/// start, stop, reload and query it as a daemon.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Args {
    /// The settings file (TOML).
    #[arg(short = 'C', long = "config", value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,

    /// Overrides settings: a TOML snippet (`-X 'http_port = 7070'`) or the
    /// path of a TOML file. Repeatable; a later one wins.
    #[arg(short = 'X', value_name = "TOML", global = true)]
    pub overrides: Vec<String>,

    /// The pidfile (the `pidfile` setting).
    #[arg(long, value_name = "FILE", global = true)]
    pub pidfile: Option<String>,

    /// The log file a daemon writes its output to (the `logfile` setting).
    #[arg(long, value_name = "FILE", global = true)]
    pub logfile: Option<String>,

    /// Runs as this user once the services are ready, so privileged ports
    /// are bound first (the `user` setting).
    #[arg(short = 'u', long, value_name = "USER", global = true)]
    pub user: Option<String>,

    /// What to do; `run` when left out.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The commands.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Runs the services in the foreground until INT or TERM (the default).
    Run,
    /// Starts the services as a daemon; returns once they are ready.
    Start,
    /// Stops the daemon: TERM, then KILL after `stop_timeout`.
    Stop,
    /// Stops the daemon if it runs, then starts it.
    Restart,
    /// Makes the daemon re-read its settings (HUP); fails, and the old
    /// settings stay, when the new ones are not valid.
    Reload,
    /// Replaces the daemon by a new process of this binary without closing
    /// its ports (USR2): the old one stops once the new one is ready.
    Upgrade,
    /// Says whether the daemon runs: pid, uptime, each service's state.
    Status,
    /// Shows, checks or writes out the settings.
    #[command(subcommand)]
    Config(ConfigCommand),
}

/// `config` commands.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum ConfigCommand {
    /// Prints every setting with its value and where it came from.
    Show,
    /// Checks the settings: exit status 0 when valid, 2 when not.
    Check,
    /// Prints a commented settings file of every setting and its default.
    Template,
}

impl Args {
    /// The command, `run` when none was given.
    pub fn command(&self) -> Command {
        self.command.clone().unwrap_or(Command::Run)
    }

    /// The flags that set settings, as `(key, value)` pairs.
    pub fn flags(&self) -> Vec<(&'static str, String)> {
        let mut flags = Vec::new();
        if let Some(v) = &self.pidfile {
            flags.push(("pidfile", v.clone()));
        }
        if let Some(v) = &self.logfile {
            flags.push(("logfile", v.clone()));
        }
        if let Some(v) = &self.user {
            flags.push(("user", v.clone()));
        }
        flags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Args {
        Args::try_parse_from(std::iter::once("greenline").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn the_talks_command_lines() {
        let a = parse(&["-C", "example.toml"]);
        assert_eq!(a.config, Some(PathBuf::from("example.toml")));
        assert_eq!(a.command(), Command::Run);
        assert_eq!(
            parse(&["-C", "example.toml", "start"]).command(),
            Command::Start
        );
        assert_eq!(
            parse(&["-C", "example.toml", "reload"]).command(),
            Command::Reload
        );
        let x = parse(&["-C", "example.toml", "-X", "http_port = 7070"]);
        assert_eq!(x.overrides, ["http_port = 7070"]);
    }

    #[test]
    fn options_after_the_command_and_config_subcommands() {
        let a = parse(&[
            "start", "-C", "a.toml", "-X", "a = 1", "-X", "b = 2", "-u", "nobody",
        ]);
        assert_eq!(a.command(), Command::Start);
        assert_eq!(a.overrides, ["a = 1", "b = 2"]);
        assert_eq!(a.flags(), [("user", "nobody".to_string())]);
        assert_eq!(
            parse(&["config", "template"]).command(),
            Command::Config(ConfigCommand::Template)
        );
    }

    #[test]
    fn an_unknown_command_is_a_usage_error() {
        let e = Args::try_parse_from(["greenline", "strat"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
    }
}
