//! The `greenline` command under a service manager, played by the test:
//! a `NOTIFY_SOCKET` the test binds (a path and an abstract name) gets
//! `READY=1` once the whole tree is ready, `STATUS=` on state changes,
//! `RELOADING=1` with `MONOTONIC_USEC=` then `READY=1` on HUP,
//! `STOPPING=1`, and watchdog pings, which stop while a worker is stuck.
//! Socket activation hands the servers their listeners by name.
#![cfg(feature = "service")]

mod common;

use std::os::fd::AsRawFd;
use std::os::unix::net::UnixDatagram;
use std::os::unix::process::CommandExt;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use common::process::{Watched, LIMIT};
use common::service::{http_get, tcp_line, Site};
use greenline::service::systemd::{spawn_watchdog, Notifier};
use nix::sys::signal::Signal;

/// Datagrams received on a notification socket, collected by a thread.
struct Manager {
    got: Mutex<Vec<String>>,
    grew: Condvar,
}

impl Manager {
    fn listen(socket: UnixDatagram) -> Arc<Manager> {
        let manager = Arc::new(Manager {
            got: Mutex::new(Vec::new()),
            grew: Condvar::new(),
        });
        let sink = manager.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = socket.recv(&mut buf) {
                let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                sink.got.lock().unwrap().push(text);
                sink.grew.notify_all();
            }
        });
        manager
    }

    /// Every message so far.
    fn messages(&self) -> Vec<String> {
        self.got.lock().unwrap().clone()
    }

    /// Waits (at most [`LIMIT`]) until `n` messages satisfy `pred`.
    fn wait_count(&self, n: usize, pred: impl Fn(&str) -> bool) -> Result<Vec<String>, String> {
        let deadline = Instant::now() + LIMIT;
        let mut got = self.got.lock().unwrap();
        loop {
            if got.iter().filter(|m| pred(m)).count() >= n {
                return Ok(got.clone());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!("fewer than {n} matching messages: {got:?}"));
            }
            got = self.grew.wait_timeout(got, left).unwrap().0;
        }
    }
}

/// CLOCK_MONOTONIC now, in microseconds.
fn monotonic_usec() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the call.
    assert_eq!(
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) },
        0
    );
    ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1_000
}

fn count(messages: &[String], exact: &str) -> usize {
    messages.iter().filter(|m| *m == exact).count()
}

#[test]
fn ready_once_status_reloading_and_stopping() {
    let site = Site::new("notify");
    let path = site.dir.join("notify.sock");
    let manager = Manager::listen(UnixDatagram::bind(&path).unwrap());
    let mut cmd = site.greenline(&[]);
    cmd.env("NOTIFY_SOCKET", &path);
    let mut app = Watched::start("greenline under systemd", cmd);

    let r = manager.wait_count(1, |m| m == "READY=1");
    let got = app.check(r);
    // READY=1 came after every service was ready: they answer now.
    assert_eq!(http_get(site.http_port).unwrap(), "hello world");
    assert_eq!(tcp_line(site.tcp_port).unwrap(), "hello\n");
    for service in ["app/http", "app/tcp", "app/client"] {
        let status = format!("STATUS={service}: ready");
        let at = got.iter().position(|m| *m == status);
        let ready = got.iter().position(|m| m == "READY=1");
        assert!(
            at.is_some() && at < ready,
            "{status} before READY=1: {got:?}"
        );
    }

    let before = monotonic_usec();
    app.signal(Signal::SIGHUP);
    let r = manager.wait_count(2, |m| m == "READY=1");
    let got = app.check(r);
    let reloading: Vec<&String> = got
        .iter()
        .filter(|m| m.starts_with("RELOADING=1"))
        .collect();
    assert_eq!(reloading.len(), 1, "{got:?}");
    let usec: u64 = reloading[0]
        .strip_prefix("RELOADING=1\nMONOTONIC_USEC=")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no MONOTONIC_USEC in {:?}", reloading[0]));
    assert!(
        usec >= before && usec <= monotonic_usec(),
        "{usec} not between HUP and now"
    );
    // Exactly once for the start, and once after the reload, not before it.
    let first_reload = got
        .iter()
        .position(|m| m.starts_with("RELOADING=1"))
        .unwrap();
    assert_eq!(count(&got[..first_reload], "READY=1"), 1, "{got:?}");

    app.signal(Signal::SIGTERM);
    let r = manager.wait_count(1, |m| m == "STOPPING=1");
    app.check(r);
    assert!(app.finish().success());
    let got = manager.messages();
    assert_eq!(count(&got, "READY=1"), 2, "{got:?}");
    assert_eq!(count(&got, "STOPPING=1"), 1, "{got:?}");
    assert!(
        got.iter().any(|m| m == "STATUS=app/http: stopped"),
        "{got:?}"
    );
}

#[test]
fn an_abstract_notify_socket_and_watchdog_pings() {
    use std::os::linux::net::SocketAddrExt;
    let site = Site::new("abstract");
    let name = format!("greenline-test-{}", std::process::id());
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let manager = Manager::listen(UnixDatagram::bind_addr(&addr).unwrap());
    let mut cmd = site.greenline(&[]);
    cmd.env("NOTIFY_SOCKET", format!("@{name}"))
        .env("WATCHDOG_USEC", "100000");
    let mut app = Watched::start("greenline with a watchdog", cmd);
    let r = manager.wait_count(1, |m| m == "READY=1");
    app.check(r);
    let r = manager.wait_count(3, |m| m == "WATCHDOG=1");
    app.check(r);
    app.signal(Signal::SIGINT);
    assert!(app.finish().success());
}

#[test]
fn watchdog_pings_stop_while_a_worker_is_stuck() {
    let dir = std::env::temp_dir().join(format!("greenline-watchdog-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("notify.sock");
    let manager = Manager::listen(UnixDatagram::bind(&path).unwrap());
    greenline::monitor::start(Duration::from_millis(50));
    let notifier = Arc::new(Notifier::connect(path.to_str().unwrap()).unwrap());
    let watchdog = spawn_watchdog(notifier, Duration::from_millis(100));
    manager.wait_count(2, |m| m == "WATCHDOG=1").unwrap();

    // A greenlet that blocks its worker with a std sleep: the monitor
    // reports it stuck for most of a second.
    let stuck = greenline::spawn(|| std::thread::sleep(Duration::from_millis(1500)));
    let deadline = Instant::now() + LIMIT;
    while greenline::monitor::stuck().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the monitor never saw the stuck worker"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let seen = count(&manager.messages(), "WATCHDOG=1");
    // While it stays stuck (watched for 600 ms, 12 periods of 50 ms), at
    // most one ping that was already on its way arrives.
    let watch_until = Instant::now() + Duration::from_millis(600);
    while Instant::now() < watch_until {
        assert!(
            !greenline::monitor::stuck().is_empty(),
            "unstuck too early for this test"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let during = count(&manager.messages(), "WATCHDOG=1") - seen;
    assert!(during <= 1, "{during} pings while a worker was stuck");

    stuck.join().unwrap();
    manager
        .wait_count(seen + during + 2, |m| m == "WATCHDOG=1")
        .unwrap();
    watchdog.kill();
    greenline::monitor::stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn socket_activation_hands_listeners_over_by_name() {
    let site = Site::new("activation");
    let http = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let http_port = http.local_addr().unwrap().port();
    let tcp_port = tcp.local_addr().unwrap().port();
    // The file's ports stay unbound; the client connects to the passed
    // TCP listener.
    std::fs::write(
        site.config(),
        format!(
            "http_port = {}\ntcp_port = {}\nconnect_address = \"127.0.0.1:{tcp_port}\"\n",
            site.http_port, site.tcp_port
        ),
    )
    .unwrap();
    // A shell plays the manager's part after its fork: LISTEN_PID is the
    // pid that execs greenline, and the listeners are descriptors 3 and 4.
    let mut cmd = std::process::Command::new("sh");
    cmd.current_dir(&site.dir)
        .arg("-c")
        .arg("LISTEN_PID=$$ LISTEN_FDS=2 LISTEN_FDNAMES=http:tcp exec \"$0\" \"$@\"")
        .arg(site.greenline(&[]).get_program())
        .arg("-C")
        .arg(site.config());
    let (h, t) = (http.as_raw_fd(), tcp.as_raw_fd());
    // SAFETY: between fork and exec the closure only calls fcntl(2) and
    // dup2(2), which are async-signal-safe; first out of the way of 3
    // and 4, then onto them (dup2 clears close-on-exec).
    unsafe {
        cmd.pre_exec(move || {
            let a = libc::fcntl(h, libc::F_DUPFD, 100);
            let b = libc::fcntl(t, libc::F_DUPFD, 100);
            if a < 0 || b < 0 || libc::dup2(a, 3) < 0 || libc::dup2(b, 4) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut app = Watched::start("greenline socket-activated", cmd);
    let ready = format!("greenline: ready (pid {})", app.pid());
    let r = app.stdout.wait_line(&ready);
    app.check(r);
    drop((http, tcp));
    assert_eq!(http_get(http_port).unwrap(), "hello world");
    assert_eq!(tcp_line(tcp_port).unwrap(), "hello\n");
    let r = app.stdout.wait_line("<<< hello");
    app.check(r);
    assert!(
        http_get(site.http_port).is_err(),
        "the file's port was bound"
    );
    app.signal(Signal::SIGTERM);
    assert!(app.finish().success());
}

/// After `greenline upgrade`, the successor tells the manager it is the
/// main process (`MAINPID=` with `READY=1`, one datagram) before its
/// predecessor exits, so a `Type=notify-reload` unit (with
/// `NotifyAccess=all`) follows the hand-over instead of seeing its main
/// process die.
#[test]
fn an_upgrade_names_the_new_main_process() {
    let site = Site::new("notify-upgrade");
    let path = site.dir.join("notify.sock");
    let manager = Manager::listen(UnixDatagram::bind(&path).unwrap());
    let out = site
        .greenline(&["start"])
        .env("NOTIFY_SOCKET", &path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    manager.wait_count(1, |m| m == "READY=1").unwrap();
    let old = site.pid().unwrap();

    let out = site.run(&["upgrade"]);
    assert!(out.status.success(), "{out:?}");
    let new = site.pid().unwrap();
    assert_ne!(old, new);
    let got = manager
        .wait_count(1, |m| m.starts_with("MAINPID="))
        .unwrap();
    assert!(
        got.iter().any(|m| *m == format!("MAINPID={new}\nREADY=1")),
        "{got:?}"
    );
    assert_eq!(http_get(site.http_port).unwrap(), "hello world");
    assert!(site.run(&["stop"]).status.success());
}
