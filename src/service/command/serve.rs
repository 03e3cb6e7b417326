//! Running the service tree in this process, in the foreground (`run`) or
//! as the daemon `start` forked: pidfile, signals, readiness, the wait,
//! the stop.
//!
//! ```text
//!  pidfile ─▶ build the tree ─▶ signals ─▶ start ─▶ drop privileges
//!     │ taken: exit 1              │         │ fails: stop what started,
//!     │                            │         │ remove the pidfile, exit 1
//!     │                            │         ▼
//!     │                            │       ready: READY=1, the parent of
//!     │                            │       `start` exits 0, watchdog
//!     │                            ▼         │
//!     │      TERM / INT ─▶ stop ◀────────────┘  (HUP: reload; USR1:
//!     │      second TERM ─▶ exit 1 at once        reopen the log file)
//!     ▼                     │
//!  removed ◀── STOPPING=1, tree stopped in reverse, exit 0
//! ```

use std::ffi::OsString;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::book::Book;
use super::current::Current;
use super::daemonize::{open_log, ReadyPipe};
use super::options::CommandSettings;
use super::reload::Reloader;
use super::status::status_path;
use super::upgrade::Upgrader;
use crate::service::pidfile::Pidfile;
use crate::service::settings::{Loaded, Settings};
use crate::service::systemd::{spawn_watchdog, watchdog_interval, Notifier};
use crate::service::{Admin, ServiceTree, State};
use crate::signal::signal_handler;
use crate::sync::Event;
use crate::sys::daemon::{account, become_user, redirect_stdio};

/// How the application makes its tree from its settings.
pub type Build<S> = dyn Fn(&Current<S>) -> io::Result<ServiceTree>;

/// The daemon's side of `start`: the pipe to the waiting parent and the
/// log file to reopen on USR1.
pub(crate) struct Detached {
    pub(crate) pipe: ReadyPipe,
    pub(crate) logfile: Option<PathBuf>,
    /// In an upgrade's successor: the predecessor's pid, whose pidfile
    /// this process takes over once ready.
    pub(crate) predecessor: Option<u32>,
}

/// Runs the tree until it is stopped; returns the exit status. Every
/// failure before the tree is ready is told to `detached`'s parent too,
/// and leaves neither a running service nor a pidfile behind.
pub(crate) fn serve<S>(
    loaded: Loaded<(CommandSettings, S)>,
    build: &Build<S>,
    mut detached: Option<Detached>,
    successor_args: Vec<OsString>,
) -> u8
where
    S: Settings + Clone + Send + Sync + 'static,
{
    let (command, app) = loaded.settings().clone();
    let user = match &command.user {
        Some(name) => match account(name) {
            Ok(a) => Some(a),
            Err(e) => return fail(&mut detached, 2, format!("setting user: {e}")),
        },
        None => None,
    };
    let predecessor = detached.as_ref().and_then(|d| d.predecessor);
    // An upgrade's successor leaves the pidfile to its predecessor until
    // it is ready (a failed successor must not remove it).
    let create = command.pidfile_path().filter(|_| predecessor.is_none());
    let pidfile = match create.map(Pidfile::create).transpose() {
        Ok(p) => p,
        Err(e) => return fail(&mut detached, 1, e.to_string()),
    };
    if let Some(pid) = pidfile.as_ref().and_then(Pidfile::replaced_stale) {
        eprintln!("greenline: replaced a stale pidfile left by pid {pid}");
    }
    // From here on the pidfile goes with `pidfile` (dropping removes it).
    let notifier = match Notifier::from_env() {
        Ok(n) => n.map(Arc::new),
        Err(e) => {
            drop(pidfile);
            return fail(&mut detached, 1, e.to_string());
        }
    };
    let book = Book::new(
        command.pidfile_path().map(|p| status_path(&p)),
        notifier.clone(),
    );
    let pidfile = Arc::new(Mutex::new(pidfile));
    let current = Current::new(app);
    // Listeners the application takes by name are kept for an upgrade.
    crate::service::systemd::listen::keep_for_upgrade();
    let tree = match build(&current) {
        Ok(tree) => tree,
        Err(e) => {
            release(&book, &pidfile);
            return fail(&mut detached, 1, format!("building the services: {e}"));
        }
    };
    if let Some(addr) = &command.admin {
        // The last child: it listens once the application's services do.
        if let Err(e) = tree.add_service(Admin::new(addr.clone(), &tree)) {
            release(&book, &pidfile);
            return fail(&mut detached, 1, format!("the admin listener: {e}"));
        }
    }
    book.follow(&tree);
    let reloader = Arc::new(Reloader::new(loaded, current, tree.clone(), book.clone()));
    let stop = Event::new();
    let logfile = detached.as_ref().and_then(|d| d.logfile.clone());
    let upgrader = Arc::new(Upgrader::new(successor_args, book.clone(), stop.clone()));
    let handlers = Handlers {
        stop: &stop,
        reloader: &reloader,
        upgrader: &upgrader,
        book: &book,
        pidfile: &pidfile,
    };
    if let Err(e) = install_signals(handlers, logfile) {
        release(&book, &pidfile);
        return fail(&mut detached, 1, format!("signal handlers: {e}"));
    }
    if let Err(e) = tree.start() {
        release(&book, &pidfile);
        return fail(&mut detached, 1, e.to_string());
    }
    if let Some(account) = &user {
        if let Err(e) = become_user(account) {
            let _ = tree.stop();
            release(&book, &pidfile);
            return fail(
                &mut detached,
                1,
                format!("running as user {:?}: {e}", account.name),
            );
        }
    }
    if let (Some(from), Some(path)) = (predecessor, command.pidfile_path()) {
        match Pidfile::take_over(&path, from) {
            Ok(p) => *pidfile.lock().unwrap_or_else(|p| p.into_inner()) = Some(p),
            Err(e) => {
                let _ = tree.stop();
                release(&book, &pidfile);
                return fail(&mut detached, 1, e.to_string());
            }
        }
    }
    book.update(|s| s.state = State::Ready.as_str().to_string());
    if let Some(n) = &notifier {
        // An upgrade's successor tells the manager it is the main process
        // now (the unit needs NotifyAccess=all for a message from it), in
        // the same datagram as READY=1, before its predecessor exits.
        let ready = match predecessor {
            Some(_) => n.notify(&format!("MAINPID={}\nREADY=1", std::process::id())),
            None => n.ready(),
        };
        if let Err(e) = ready {
            eprintln!("greenline: {e}");
        }
    }
    println!("greenline: ready (pid {})", std::process::id());
    if let Some(d) = &mut detached {
        d.pipe.ready();
    }
    let watchdog = match (&notifier, watchdog_interval()) {
        (Some(n), Ok(Some(interval))) => Some(spawn_watchdog(n.clone(), interval)),
        (_, Err(e)) => {
            eprintln!("greenline: {e}; no watchdog pings");
            None
        }
        _ => None,
    };
    // A tree may also stop on its own (a service's `stop_tree`).
    let on_own = {
        let (tree, stop) = (tree.clone(), stop.clone());
        crate::greenlet::spawn(move || {
            if tree.wait_state(State::Stopping, Duration::MAX).is_ok() {
                stop.set();
            }
        })
    };
    // Woken by TERM or INT (their handlers set it) or by the tree's own
    // stop; it has no timeout.
    let _ = stop.wait();
    if let Some(n) = &notifier {
        let _ = n.stopping();
    }
    book.update(|s| s.state = State::Stopping.as_str().to_string());
    let report = tree.stop();
    if report.is_clean() {
        println!("greenline: stopped");
    } else {
        eprintln!("greenline: stopped: {report}");
    }
    on_own.kill();
    if let Some(w) = watchdog {
        w.kill();
    }
    release(&book, &pidfile);
    0
}

/// Removes the status file and the pidfile. Called before a failure is
/// told to the parent of `start`, so that once it exits nothing is left;
/// the signal handlers hold the pidfile's `Arc` too, so dropping ours
/// alone would not remove it.
fn release(book: &Book, pidfile: &Mutex<Option<Pidfile>>) {
    book.remove();
    drop(pidfile.lock().unwrap_or_else(|p| p.into_inner()).take());
}

/// Reports a failure before the tree is ready: on stderr, and to the
/// parent `start` waits in. Returns the exit status.
fn fail(detached: &mut Option<Detached>, code: u8, why: String) -> u8 {
    eprintln!("greenline: {why}");
    if let Some(d) = detached {
        d.pipe.fail(code, &why);
    }
    code
}

/// What the signal handlers act on.
struct Handlers<'a, S> {
    stop: &'a Event,
    reloader: &'a Arc<Reloader<S>>,
    upgrader: &'a Arc<Upgrader>,
    book: &'a Arc<Book>,
    pidfile: &'a Arc<Mutex<Option<Pidfile>>>,
}

/// TERM and INT stop (a second TERM exits at once), HUP reloads, USR1
/// reopens the log file of a daemon, USR2 upgrades.
fn install_signals<S>(h: Handlers<'_, S>, logfile: Option<PathBuf>) -> io::Result<()>
where
    S: Settings + Clone + Send + Sync + 'static,
{
    let Handlers {
        stop,
        reloader,
        upgrader,
        book,
        pidfile,
    } = h;
    let terms = Arc::new(AtomicUsize::new(0));
    {
        let (stop, book, pidfile) = (stop.clone(), book.clone(), pidfile.clone());
        signal_handler(libc::SIGTERM, move || {
            if terms.fetch_add(1, Ordering::SeqCst) == 0 {
                println!("greenline: TERM: stopping");
                stop.set();
                return;
            }
            eprintln!("greenline: second TERM: exiting now, without a graceful stop");
            book.remove();
            drop(pidfile.lock().unwrap_or_else(|p| p.into_inner()).take());
            std::process::exit(1);
        })?;
    }
    {
        let stop = stop.clone();
        signal_handler(libc::SIGINT, move || {
            println!("greenline: INT: stopping");
            stop.set();
        })?;
    }
    {
        let reloader = reloader.clone();
        signal_handler(libc::SIGHUP, move || reloader.reload())?;
    }
    {
        let upgrader = upgrader.clone();
        signal_handler(libc::SIGUSR2, move || upgrader.upgrade())?;
    }
    if let Some(path) = logfile {
        signal_handler(libc::SIGUSR1, move || {
            match open_log(&path).and_then(|log| redirect_stdio(&log, false)) {
                Ok(()) => println!("greenline: USR1: log file reopened"),
                Err(e) => eprintln!("greenline: USR1: {e}; logging to the old file"),
            }
        })?;
    }
    Ok(())
}
