//! The `greenline` command as an operator uses it: the talk's gservice
//! command lines (run in the foreground, `start`, `status`, `reload`,
//! `restart`, `stop`, `-X`) against the talk's application, as real
//! processes, checked with TCP and HTTP clients, through the pidfile and
//! the log file. Also what goes wrong: settings errors (exit 2), a port in
//! use (exit 1, no pidfile), a second start, a stale pidfile, a process
//! that ignores TERM.
#![cfg(feature = "service")]

mod common;

use std::time::Instant;

use common::process::{Watched, LIMIT};
use common::service::{
    alive, both, http_get, http_get_path, stderr, stdout, tcp_line, wait_gone, Site,
};
use nix::sys::signal::Signal;

#[test]
fn runs_in_the_foreground_until_int() {
    let site = Site::new("foreground");
    let mut app = Watched::start("greenline run", site.greenline(&[]));
    let ready = format!("greenline: ready (pid {})", app.pid());
    let r = app.stdout.wait_line(&ready);
    app.check(r);
    assert_eq!(tcp_line(site.tcp_port).unwrap(), "hello\n");
    assert_eq!(http_get(site.http_port).unwrap(), "hello world");
    // The client service prints what the TCP server sends it.
    let r = app.stdout.wait_line("<<< hello");
    app.check(r);
    // A foreground run with a pidfile setting holds it too.
    assert_eq!(site.pid(), Some(app.pid()));

    app.signal(Signal::SIGINT);
    let status = app.finish();
    assert!(status.success(), "exit {status}");
    assert!(app
        .stdout
        .snapshot()
        .iter()
        .any(|l| l == "greenline: stopped"));
    assert!(!site.pidfile().exists(), "pidfile left behind");
    assert!(!site.status_file().exists(), "status file left behind");
}

#[test]
fn start_status_stop_with_pidfile_and_logfile() {
    let site = Site::new("daemon");
    let out = site.run(&["start"]);
    assert!(out.status.success(), "{}", both(&out));
    // `start` returns once the tree is ready: the servers answer at once.
    let pid = site.pid().expect("pidfile written");
    assert!(
        stdout(&out).contains(&format!("started (pid {pid}")),
        "{}",
        both(&out)
    );
    assert!(alive(pid));
    assert_eq!(http_get(site.http_port).unwrap(), "hello world");
    assert_eq!(tcp_line(site.tcp_port).unwrap(), "hello\n");
    site.wait_log(&format!("greenline: ready (pid {pid})"))
        .unwrap();
    site.wait_log("<<< hello").unwrap();

    let out = site.run(&["status"]);
    assert!(out.status.success(), "{}", both(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with(&format!("running (pid {pid}), up ")),
        "{text}"
    );
    for service in ["app/http: ready", "app/tcp: ready", "app/client: ready"] {
        assert!(text.contains(service), "{text}");
    }

    // A second start is refused, naming the first one's pid.
    let out = site.run(&["start"]);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    assert!(
        stderr(&out).contains(&format!("already running as pid {pid}")),
        "{}",
        both(&out)
    );
    assert_eq!(site.pid(), Some(pid));

    let out = site.run(&["stop"]);
    assert!(out.status.success(), "{}", both(&out));
    assert!(
        stdout(&out).contains(&format!("stopped (pid {pid})")),
        "{}",
        both(&out)
    );
    wait_gone(pid).unwrap();
    assert!(!site.pidfile().exists(), "pidfile left behind");
    site.wait_log("greenline: TERM: stopping").unwrap();
    site.wait_log("greenline: stopped").unwrap();

    let out = site.run(&["status"]);
    assert_eq!(out.status.code(), Some(3), "{}", both(&out));
    assert!(stdout(&out).starts_with("not running"), "{}", both(&out));
}

#[test]
fn restart_gives_a_new_process() {
    let site = Site::new("restart");
    let out = site.run(&["start"]);
    assert!(out.status.success(), "{}", both(&out));
    let first = site.pid().unwrap();
    let out = site.run(&["restart"]);
    assert!(out.status.success(), "{}", both(&out));
    let second = site.pid().unwrap();
    assert_ne!(first, second);
    assert!(!alive(first));
    assert_eq!(http_get(site.http_port).unwrap(), "hello world");
    assert!(site.run(&["stop"]).status.success());
    wait_gone(second).unwrap();
}

#[test]
fn a_stale_pidfile_is_replaced() {
    let site = Site::new("stale");
    // A pid that existed and is gone: a child that ran and was reaped.
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let dead = gone.id();
    gone.wait().unwrap();
    std::fs::write(site.pidfile(), format!("{dead}\n")).unwrap();

    let out = site.run(&["status"]);
    assert_eq!(out.status.code(), Some(3), "{}", both(&out));
    assert!(stdout(&out).contains("stale pidfile"), "{}", both(&out));

    let out = site.run(&["start"]);
    assert!(out.status.success(), "{}", both(&out));
    let pid = site.pid().unwrap();
    assert_ne!(pid, dead);
    site.wait_log(&format!("replaced a stale pidfile left by pid {dead}"))
        .unwrap();
    assert!(site.run(&["stop"]).status.success());
    wait_gone(pid).unwrap();
}

#[test]
fn stop_kills_a_process_that_ignores_term_and_says_so() {
    let site = Site::new("ignores-term");
    site.write_config("stop_timeout = 0.3\n");
    // A stand-in daemon: it ignores TERM (an ignored signal stays ignored
    // across exec), holds the pidfile's lock on descriptor 9, writes its
    // pid and a status file saying which service its stop waits for.
    let script = "trap '' TERM; exec 9>>example.pid; flock -n 9 || exit 9; \
                  echo $$ > example.pid; \
                  printf 'pid %s\\nstate stopping\\nservice app/tcp stopping\\nstopping app/tcp\\n' $$ > example.pid.status; \
                  echo locked; exec sleep 60";
    let mut fake = std::process::Command::new("sh");
    fake.current_dir(&site.dir).args(["-c", script]);
    let mut fake = Watched::start("fake daemon", fake);
    let r = fake.stdout.wait_line("locked");
    fake.check(r);

    let started = Instant::now();
    let out = site.run(&["stop"]);
    assert!(out.status.success(), "{}", both(&out));
    let said = stdout(&out);
    assert!(said.contains("did not stop within 300ms of TERM"), "{said}");
    assert!(said.contains("waiting for service \"app/tcp\""), "{said}");
    assert!(said.contains("killed it (KILL)"), "{said}");
    let status = fake.finish();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(libc::SIGKILL)
    );
    assert!(started.elapsed() < LIMIT);
    assert!(!site.pidfile().exists(), "the stale pidfile is removed");
}

#[test]
fn reload_applies_valid_settings_and_refuses_broken_ones() {
    let site = Site::new("reload");
    let extra = site.dir.join("extra.toml");
    std::fs::write(&extra, "greeting = \"hello from -X\"\n").unwrap();
    let extra = extra.to_str().unwrap();
    let out = site.run(&["-X", extra, "start"]);
    assert!(out.status.success(), "{}", both(&out));
    let pid = site.pid().unwrap();
    assert_eq!(http_get(site.http_port).unwrap(), "hello from -X");

    // A valid change: applied in place, the diff printed, same process.
    std::fs::write(site.dir.join("extra.toml"), "greeting = \"hello again\"\n").unwrap();
    let out = site.run(&["reload"]);
    assert!(out.status.success(), "{}", both(&out));
    assert!(
        stdout(&out).contains(&format!("reloaded (pid {pid}): changed greeting")),
        "{}",
        both(&out)
    );
    assert_eq!(http_get(site.http_port).unwrap(), "hello again");
    site.wait_log("greenline: reload: greeting: \"hello from -X\" -> \"hello again\"")
        .unwrap();
    assert_eq!(site.pid(), Some(pid));

    // The daemon's -X file broken: `reload` (which reads only the main
    // file, valid) hears the daemon's refusal and exits 1 with it; the
    // old settings keep serving.
    std::fs::write(site.dir.join("extra.toml"), "greeting = \n").unwrap();
    let out = site.run(&["reload"]);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    let why = stderr(&out);
    assert!(why.contains("reload refused, old settings kept"), "{why}");
    assert!(why.contains("extra.toml"), "{why}");
    assert_eq!(http_get(site.http_port).unwrap(), "hello again");
    let status = stdout(&site.run(&["status"]));
    assert!(status.contains("last reload refused"), "{status}");

    // A port change the running servers cannot take: refused by the
    // application, exit 1, the old port and greeting still serving.
    std::fs::write(
        site.dir.join("extra.toml"),
        format!("greeting = \"moved\"\nhttp_port = {}\n", site.http_port + 1),
    )
    .unwrap();
    let out = site.run(&["reload"]);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    assert!(
        stderr(&out).contains("http_port cannot change while the servers run"),
        "{}",
        both(&out)
    );
    assert_eq!(http_get(site.http_port).unwrap(), "hello again");
    std::fs::write(site.dir.join("extra.toml"), "greeting = \"hello again\"\n").unwrap();

    // A broken main file: the command itself refuses, exit 2, and the
    // daemon is not touched.
    site.write_config("bogus_key = 1\n");
    let out = site.run(&["reload"]);
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
    assert!(
        stderr(&out).contains("unknown setting `bogus_key`"),
        "{}",
        both(&out)
    );
    assert_eq!(http_get(site.http_port).unwrap(), "hello again");

    site.write_config("");
    assert!(site.run(&["stop"]).status.success());
    wait_gone(pid).unwrap();
}

#[test]
fn x_overrides_the_file() {
    let site = Site::new("override");
    let other = greenline::testing::free_port().unwrap();
    let x = format!("http_port = {other}");
    let mut app = Watched::start("greenline -X", site.greenline(&["-X", &x]));
    let ready = format!("greenline: ready (pid {})", app.pid());
    let r = app.stdout.wait_line(&ready);
    app.check(r);
    assert_eq!(http_get(other).unwrap(), "hello world");
    assert!(
        http_get(site.http_port).is_err(),
        "the file's port is not served"
    );
    assert_eq!(tcp_line(site.tcp_port).unwrap(), "hello\n");

    let out = site.run(&["-X", &x, "config", "show"]);
    assert!(out.status.success(), "{}", both(&out));
    let shown = stdout(&out);
    let line = shown.lines().find(|l| l.starts_with("http_port")).unwrap();
    assert!(
        line.contains(&other.to_string()) && line.contains("-X #1"),
        "{shown}"
    );

    app.signal(Signal::SIGTERM);
    assert!(app.finish().success());
}

#[test]
fn settings_errors_exit_2_with_one_line_each() {
    let site = Site::new("config-errors");
    let cases = [
        ("http_port = \n", "example.toml"),
        ("htp_port = 1\n", "unknown setting `htp_port`"),
        (
            "stop_timeout = \"soon\"\n",
            "expected f64, found string \"soon\"",
        ),
    ];
    for (extra, expected) in cases {
        site.write_config(extra);
        for args in [&["config", "check"][..], &[][..], &["start"][..]] {
            let out = site.run(args);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{args:?} with {extra:?}: {}",
                both(&out)
            );
            let why = stderr(&out);
            assert!(why.contains(expected), "{args:?} with {extra:?}: {why}");
            assert!(why.lines().all(|l| l.starts_with("greenline: ")), "{why}");
            assert!(!site.pidfile().exists(), "pidfile after {args:?}");
        }
    }
    site.write_config("");
    let out = site.run(&["config", "check"]);
    assert!(out.status.success(), "{}", both(&out));
}

#[test]
fn a_port_in_use_exits_1_and_leaves_no_pidfile() {
    let site = Site::new("port-in-use");
    let _taken = std::net::TcpListener::bind(("127.0.0.1", site.http_port)).unwrap();
    for args in [&["start"][..], &[][..]] {
        let out = site.run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", both(&out));
        let why = stderr(&out);
        assert!(
            why.contains(&format!("127.0.0.1:{}", site.http_port)),
            "{why}"
        );
        assert!(why.contains("in use"), "{why}");
        assert!(!site.pidfile().exists(), "pidfile left after {args:?}");
        assert!(
            !site.status_file().exists(),
            "status file left after {args:?}"
        );
        // Nothing else of the tree was left serving.
        assert!(tcp_line(site.tcp_port).is_err());
    }
}

#[test]
fn an_unwritable_logfile_or_pidfile_exits_1() {
    let site = Site::new("unwritable");
    site.write_config("");
    let out = site.run(&["--logfile", "/nonexistent/dir/example.log", "start"]);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    assert!(
        stderr(&out).contains("logfile /nonexistent/dir/example.log"),
        "{}",
        both(&out)
    );
    let out = site.run(&["--pidfile", "/nonexistent/dir/example.pid", "start"]);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    assert!(
        stderr(&out).contains("pidfile /nonexistent/dir/example.pid"),
        "{}",
        both(&out)
    );
    assert!(
        tcp_line(site.tcp_port).is_err(),
        "no partial start left running"
    );
}

#[test]
fn usr1_reopens_the_logfile() {
    let site = Site::new("logrotate");
    assert!(site.run(&["start"]).status.success());
    let pid = site.pid().unwrap();
    site.wait_log("greenline: ready").unwrap();
    let rotated = site.dir.join("example.log.1");
    std::fs::rename(site.logfile(), &rotated).unwrap();
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), Signal::SIGUSR1).unwrap();
    site.wait_log("greenline: USR1: log file reopened").unwrap();
    http_get(site.http_port).unwrap();
    site.wait_log("new http request!").unwrap();
    assert!(!std::fs::read_to_string(&rotated)
        .unwrap()
        .contains("new http request!"));
    assert!(site.run(&["stop"]).status.success());
    wait_gone(pid).unwrap();
}

#[test]
fn config_template_lists_every_setting() {
    let site = Site::new("template");
    let out = site.run(&["config", "template"]);
    assert!(out.status.success(), "{}", both(&out));
    let text = stdout(&out);
    for key in [
        "pidfile",
        "logfile",
        "user",
        "stop_timeout",
        "http_port = 8080",
        "tcp_port = 1234",
    ] {
        assert!(text.contains(key), "{key} missing:\n{text}");
    }
}

#[test]
fn a_second_term_exits_at_once() {
    let site = Site::new("second-term");
    let mut app = Watched::start("greenline run", site.greenline(&[]));
    let ready = format!("greenline: ready (pid {})", app.pid());
    let r = app.stdout.wait_line(&ready);
    app.check(r);
    // A connection the TCP handler keeps writing to holds the graceful
    // stop up for the TCP service's stop timeout (1 s).
    let held = std::net::TcpStream::connect(("127.0.0.1", site.tcp_port)).unwrap();
    let r = app.stdout.wait_line("new tcp connection!");
    app.check(r);
    app.signal(Signal::SIGTERM);
    let r = app.stdout.wait_line("greenline: TERM: stopping");
    app.check(r);
    app.signal(Signal::SIGTERM);
    let status = app.finish();
    assert_eq!(status.code(), Some(1), "{status}");
    let said = app.stderr.snapshot().join("\n");
    assert!(said.contains("second TERM: exiting now"), "{said}");
    assert!(!app
        .stdout
        .snapshot()
        .iter()
        .any(|l| l == "greenline: stopped"));
    assert!(!site.pidfile().exists(), "pidfile left behind");
    drop(held);
}

#[test]
fn u_drops_privileges_once_ready() {
    // SAFETY: geteuid takes nothing and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: dropping privileges needs root");
        return;
    }
    let site = Site::new("user");
    // The unprivileged daemon removes its pidfile on exit: let it.
    std::fs::set_permissions(
        &site.dir,
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let out = site.run(&["-u", "nobody", "start"]);
    assert!(out.status.success(), "{}", both(&out));
    let pid = site.pid().unwrap();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let uid = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    let nobody = uid.split_whitespace().nth(1).unwrap();
    assert_ne!(nobody, "0", "{uid}");
    assert!(uid.split_whitespace().skip(1).all(|u| u == nobody), "{uid}");
    assert_eq!(http_get(site.http_port).unwrap(), "hello world");
    let out = site.run(&["stop"]);
    assert!(out.status.success(), "{}", both(&out));
    wait_gone(pid).unwrap();
    assert!(!site.pidfile().exists(), "pidfile left behind");

    let out = site.run(&["-u", "no-such-user-greenline", "start"]);
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
    assert!(
        stderr(&out).contains("no-such-user-greenline"),
        "{}",
        both(&out)
    );
}

#[test]
fn upgrade_hands_the_ports_over_without_a_failed_request() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;
    let site = Site::new("upgrade");
    let out = site.run(&["start"]);
    assert!(out.status.success(), "{}", both(&out));
    let old = site.pid().unwrap();

    // A load loop: a new connection per request, counting failures,
    // running across the whole hand-over.
    let done = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let port = site.http_port;
    let load = {
        let (done, ok, failed) = (done.clone(), ok.clone(), failed.clone());
        std::thread::spawn(move || {
            let mut errors = Vec::new();
            while !done.load(Ordering::SeqCst) {
                match http_get(port) {
                    Ok(body) if body == "hello world" => ok.fetch_add(1, Ordering::SeqCst),
                    other => {
                        errors.push(format!("{other:?}"));
                        failed.fetch_add(1, Ordering::SeqCst)
                    }
                };
            }
            errors
        })
    };
    common::service::wait_until(|| ok.load(Ordering::SeqCst) >= 20).unwrap();
    let out = site.run(&["upgrade"]);
    assert!(out.status.success(), "{}", both(&out));
    let new = site.pid().unwrap();
    assert_ne!(new, old);
    assert!(
        stdout(&out).contains(&format!("pid {old} replaced by pid {new}")),
        "{}",
        both(&out)
    );
    assert!(!alive(old));
    let served = ok.load(Ordering::SeqCst);
    common::service::wait_until(|| ok.load(Ordering::SeqCst) >= served + 20).unwrap();
    done.store(true, Ordering::SeqCst);
    let errors = load.join().unwrap();
    assert_eq!(
        failed.load(Ordering::SeqCst),
        0,
        "failed requests: {errors:?}"
    );
    site.wait_log(&format!("greenline: upgrade: pid {new} is ready"))
        .unwrap();
    assert_eq!(tcp_line(site.tcp_port).unwrap(), "hello\n");

    // A successor that cannot start (its settings broken): the running
    // one keeps serving, and the command says why with status 1.
    let good = site.dir.join("good.toml");
    std::fs::copy(site.config(), &good).unwrap();
    site.write_config("bogus_key = 1\n");
    let mut cmd = std::process::Command::new(site.greenline(&[]).get_program());
    cmd.current_dir(&site.dir)
        .args(["-C", good.to_str().unwrap(), "upgrade"]);
    let out = common::process::run("greenline upgrade", cmd);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    let why = stderr(&out);
    assert!(
        why.contains(&format!("upgrade failed, pid {new} keeps serving")),
        "{why}"
    );
    assert!(why.contains("unknown setting `bogus_key`"), "{why}");
    assert_eq!(site.pid(), Some(new));
    assert_eq!(http_get(site.http_port).unwrap(), "hello world");

    site.write_config("");
    assert!(site.run(&["stop"]).status.success());
    wait_gone(new).unwrap();
}

/// `admin = "host:port"`: an admin listener whose `/livez` and `/readyz`
/// answer 200 once the daemon is ready; a stop takes it down with the rest.
#[test]
fn the_admin_setting_serves_health_probes() {
    let site = Site::new("admin");
    let admin = greenline::testing::free_port().unwrap();
    site.write_config(&format!("admin = \"127.0.0.1:{admin}\"\n"));
    let out = site.run(&["start"]);
    assert!(out.status.success(), "{}", both(&out));
    let (status, _) = http_get_path(admin, "/livez").unwrap();
    assert!(status.contains(" 200 "), "{status}");
    let (status, body) = http_get_path(admin, "/readyz").unwrap();
    assert!(status.contains(" 200 "), "{status} {body}");
    let listing = stdout(&site.run(&["status"]));
    assert!(listing.contains("app/admin: ready"), "{listing}");
    assert!(site.run(&["stop"]).status.success());
    assert!(
        http_get_path(admin, "/livez").is_err(),
        "the admin port is closed"
    );
}
