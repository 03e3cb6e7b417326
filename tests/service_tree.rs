//! greenline::service: the order of starts and stops, readiness and its
//! timeout, the rollback of a failed start (an error, a panic, a port in
//! use), the grace period and the kill reported, a stop from the tree's own
//! greenlets, reload, the waits on states, the health endpoints, and the
//! talk's tree of a TCP server, an HTTP server and a client.

use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use greenline::http::{HttpServer, Request, Response};
use greenline::net::TcpStream;
use greenline::server::StreamServer;
use greenline::service::{
    connect_and_retry, Admin, Bound, Hook, Ready, RetryPolicy, Service, ServiceContext,
    ServiceError, ServiceTree, State, TcpClient,
};
use greenline::sync::{Event, Queue};
use greenline::testing::run;
use greenline::GreenletError;

const LIMIT: Duration = Duration::from_secs(20);

/// What the probes saw, in order: `name.hook`.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn push(&self, entry: String) {
        self.0.lock().unwrap().push(entry);
    }
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// What a probe does in one hook.
#[derive(Clone, Copy, PartialEq)]
enum Act {
    Fail,
    Panic,
}

/// A service that logs each hook it runs, and fails or panics in one.
struct Probe {
    name: String,
    log: Log,
    bad: Option<(Hook, Act)>,
    ready: Ready,
}

impl Probe {
    fn new(name: &str, log: &Log) -> Probe {
        Probe {
            name: name.into(),
            log: log.clone(),
            bad: None,
            ready: Ready::Now,
        }
    }
    fn bad(mut self, hook: Hook, act: Act) -> Probe {
        self.bad = Some((hook, act));
        self
    }
    fn later(mut self) -> Probe {
        self.ready = Ready::Later;
        self
    }
    fn hook(&self, hook: Hook) -> io::Result<()> {
        self.log.push(format!("{}.{hook}", self.name));
        match self.bad {
            Some((h, Act::Fail)) if h == hook => {
                Err(io::Error::other(format!("{} refuses", self.name)))
            }
            Some((h, Act::Panic)) if h == hook => panic!("{} exploded", self.name),
            _ => Ok(()),
        }
    }
}

impl Service for Probe {
    fn name(&self) -> String {
        self.name.clone()
    }
    fn pre_start(&self, _: &ServiceContext) -> io::Result<()> {
        self.hook(Hook::PreStart)
    }
    fn do_start(&self, _: &ServiceContext) -> io::Result<Ready> {
        self.hook(Hook::DoStart).map(|()| self.ready)
    }
    fn post_start(&self, _: &ServiceContext) -> io::Result<()> {
        self.hook(Hook::PostStart)
    }
    fn pre_stop(&self, _: &ServiceContext) -> io::Result<()> {
        self.hook(Hook::PreStop)
    }
    fn do_stop(&self, _: &ServiceContext) -> io::Result<()> {
        self.hook(Hook::DoStop)
    }
    fn post_stop(&self, _: &ServiceContext) -> io::Result<()> {
        self.hook(Hook::PostStop)
    }
    fn do_reload(&self, _: &ServiceContext, changed: &[String]) -> io::Result<()> {
        self.log
            .push(format!("{}.do_reload {}", self.name, changed.join(",")));
        self.hook(Hook::DoReload)
    }
}

fn hooks(name: &str, which: &[&str]) -> Vec<String> {
    which.iter().map(|h| format!("{name}.{h}")).collect()
}

fn started(name: &str) -> Vec<String> {
    hooks(name, &["pre_start", "do_start", "post_start"])
}

fn stopped(name: &str) -> Vec<String> {
    hooks(name, &["pre_stop", "do_stop", "post_stop"])
}

/// app ─ a, b ─ b1, c; every node a probe.
fn tree(log: &Log) -> ServiceTree {
    let app = ServiceTree::with_service(Probe::new("app", log));
    app.add_service(Probe::new("a", log)).unwrap();
    let b = app.add_service(Probe::new("b", log)).unwrap();
    b.add_service(Probe::new("b1", log)).unwrap();
    app.add_service(Probe::new("c", log)).unwrap();
    app
}

#[test]
fn children_start_first_in_order_and_stop_in_reverse() {
    run(LIMIT, || {
        let log = Log::default();
        let app = tree(&log);
        app.start().unwrap();
        let want: Vec<String> = [
            hooks("app", &["pre_start"]),
            started("a"),
            hooks("b", &["pre_start"]),
            started("b1"),
            hooks("b", &["do_start", "post_start"]),
            started("c"),
            hooks("app", &["do_start", "post_start"]),
        ]
        .concat();
        assert_eq!(log.take(), want);
        assert!(app.is_ready());
        let paths: Vec<(String, State)> = ["app", "app/a", "app/b", "app/b/b1", "app/c"]
            .iter()
            .map(|p| (p.to_string(), State::Ready))
            .collect();
        assert_eq!(app.states(), paths);

        let report = app.stop();
        assert!(report.is_clean(), "{report}");
        let want: Vec<String> = [
            hooks("app", &["pre_stop", "do_stop"]),
            stopped("c"),
            hooks("b", &["pre_stop", "do_stop"]),
            stopped("b1"),
            hooks("b", &["post_stop"]),
            stopped("a"),
            hooks("app", &["post_stop"]),
        ]
        .concat();
        assert_eq!(log.take(), want);
        assert!(app.states().iter().all(|(_, s)| *s == State::Stopped));

        // A stopped tree starts again, and a second stop does nothing.
        app.start().unwrap();
        assert!(app.is_ready());
        app.stop();
        log.take();
        assert!(app.stop().is_clean());
        assert!(log.take().is_empty());
    });
}

#[test]
fn a_service_not_ready_in_time_fails_the_start_naming_it() {
    run(LIMIT, || {
        let log = Log::default();
        let app = ServiceTree::new("app");
        app.add_service(Probe::new("a", &log)).unwrap();
        let slow = app.add_service(Probe::new("slow", &log).later()).unwrap();
        app.add_service(Probe::new("never", &log)).unwrap();
        slow.set_ready_timeout(Duration::from_millis(50));
        let began = Instant::now();
        let err = app.start().unwrap_err();
        assert!(began.elapsed() >= Duration::from_millis(50));
        assert!(
            matches!(&err, ServiceError::NotReady { path, timeout } if path == "app/slow" && *timeout == Duration::from_millis(50)),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "service 'app/slow' did not become ready within 50ms"
        );
        assert_eq!(io::Error::from(err).kind(), ErrorKind::TimedOut);
        // The slow service's own part is stopped (its do_start ran), then
        // what started before it; `never` never started.
        let want: Vec<String> = [
            started("a"),
            hooks("slow", &["pre_start", "do_start"]),
            stopped("slow"),
            stopped("a"),
        ]
        .concat();
        assert_eq!(log.take(), want);
        let states: Vec<State> = app.states().into_iter().map(|(_, s)| s).collect();
        assert_eq!(
            states,
            [State::Stopped, State::Stopped, State::Failed, State::Init]
        );
    });
}

#[test]
fn a_failed_hook_rolls_back_what_started_in_reverse() {
    run(LIMIT, || {
        let log = Log::default();
        let app = ServiceTree::new("app");
        app.add_service(Probe::new("a", &log)).unwrap();
        app.add_service(Probe::new("b", &log)).unwrap();
        app.add_service(Probe::new("c", &log).bad(Hook::DoStart, Act::Fail))
            .unwrap();
        app.add_service(Probe::new("d", &log)).unwrap();
        let err = app.start().unwrap_err();
        assert_eq!(err.path(), "app/c");
        assert_eq!(err.hook(), Some(Hook::DoStart));
        assert_eq!(
            err.to_string(),
            "service 'app/c': do_start failed: c refuses"
        );
        let want: Vec<String> = [
            started("a"),
            started("b"),
            hooks("c", &["pre_start", "do_start"]),
            stopped("c"),
            stopped("b"),
            stopped("a"),
        ]
        .concat();
        assert_eq!(log.take(), want);
        assert_eq!(app.child("c").unwrap().state(), State::Failed);
        assert_eq!(app.child("d").unwrap().state(), State::Init);
        assert_eq!(app.state(), State::Stopped);
    });
}

#[test]
fn a_panicking_hook_is_a_start_failure_naming_service_and_hook() {
    run(LIMIT, || {
        let log = Log::default();
        let app = ServiceTree::new("app");
        app.add_service(Probe::new("a", &log)).unwrap();
        let b = app.add_service(Probe::new("b", &log)).unwrap();
        b.add_service(Probe::new("deep", &log).bad(Hook::PostStart, Act::Panic))
            .unwrap();
        let err = app.start().unwrap_err();
        assert!(
            matches!(&err, ServiceError::Panicked { path, hook: Hook::PostStart, message }
                if path == "app/b/deep" && message == "deep exploded"),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "service 'app/b/deep': post_start panicked: deep exploded"
        );
        let want: Vec<String> = [
            started("a"),
            hooks("b", &["pre_start"]),
            started("deep"),
            stopped("deep"),
            stopped("a"),
        ]
        .concat();
        assert_eq!(log.take(), want);

        // A panic in pre_start: the service's stop hooks do not run.
        let log = Log::default();
        let app = ServiceTree::new("app");
        app.add_service(Probe::new("a", &log)).unwrap();
        app.add_service(Probe::new("b", &log).bad(Hook::PreStart, Act::Panic))
            .unwrap();
        let err = app.start().unwrap_err();
        assert_eq!((err.path(), err.hook()), ("app/b", Some(Hook::PreStart)));
        assert_eq!(
            log.take(),
            [started("a"), hooks("b", &["pre_start"]), stopped("a")].concat()
        );
    });
}

/// Ready when the test says so.
struct Gate {
    open: Event,
}

impl Service for Gate {
    fn name(&self) -> String {
        "gate".into()
    }
    fn do_start(&self, ctx: &ServiceContext) -> io::Result<Ready> {
        let (open, me) = (self.open.clone(), ctx.clone());
        ctx.spawn(move || {
            open.wait().unwrap();
            me.set_ready();
        });
        Ok(Ready::Later)
    }
}

#[test]
fn a_service_reports_ready_later_through_its_context() {
    run(LIMIT, || {
        let open = Event::new();
        let app = ServiceTree::new("app");
        let gate = app.add_service(Gate { open: open.clone() }).unwrap();
        let starter = {
            let app = app.clone();
            greenline::spawn(move || app.start())
        };
        assert_eq!(
            gate.wait_state(State::Starting, LIMIT).unwrap(),
            State::Starting
        );
        // Not ready while the gate is shut.
        let err = app
            .wait_state(State::Ready, Duration::from_millis(30))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TimedOut);
        assert_eq!(
            err.to_string(),
            "service 'app' still starting after 30ms, waiting for ready"
        );
        assert!(!app.is_ready());
        open.set();
        starter.join().unwrap().unwrap();
        assert_eq!(app.wait_state(State::Ready, LIMIT).unwrap(), State::Ready);
        assert!(app.is_ready());
        assert!(app.stop().is_clean());
    });
}

#[test]
fn a_stop_during_a_start_aborts_it_without_waiting_for_the_ready_timeout() {
    run(LIMIT, || {
        let app = ServiceTree::new("app");
        let gate = app.add_service(Gate { open: Event::new() }).unwrap();
        gate.set_ready_timeout(Duration::from_secs(60));
        let starter = {
            let app = app.clone();
            greenline::spawn(move || app.start())
        };
        gate.wait_state(State::Starting, LIMIT).unwrap();
        let report = app.stop();
        let err = starter.join().unwrap().unwrap_err();
        assert!(
            matches!(&err, ServiceError::Aborted { path } if path == "app/gate"),
            "{err:?}"
        );
        // The gate's greenlet waited on a shut gate: killed by the roll-back.
        assert!(report.is_clean(), "{report}");
        assert!(app.state().is_at_rest());
    });
}

/// A service with a greenlet that never ends by itself.
struct Stubborn {
    running: Queue<greenline::Greenlet<io::Result<()>>>,
}

impl Service for Stubborn {
    fn name(&self) -> String {
        "stubborn".into()
    }
    fn do_start(&self, ctx: &ServiceContext) -> io::Result<Ready> {
        let g = ctx.spawn(|| loop {
            greenline::sleep(Duration::from_secs(3600))?;
        });
        self.running.put(g).unwrap();
        Ok(Ready::Now)
    }
}

#[test]
fn a_stop_kills_greenlets_after_the_stop_timeout_and_reports_who_held_it_up() {
    run(LIMIT, || {
        let running = Queue::new();
        let app = ServiceTree::new("app");
        let s = app
            .add_service(Stubborn {
                running: running.clone(),
            })
            .unwrap();
        s.set_stop_timeout(Duration::from_millis(50));
        app.start().unwrap();
        let g = running.get().unwrap();
        let began = Instant::now();
        let report = app.stop();
        assert!(began.elapsed() >= Duration::from_millis(50));
        assert!(!report.is_clean());
        assert_eq!(report.killed.len(), 1, "{report}");
        let held = &report.killed[0];
        assert_eq!((held.path.as_str(), held.greenlets), ("app/stubborn", 1));
        assert_eq!(held.names, ["app/stubborn#0"]);
        assert_eq!(
            report.to_string(),
            "service 'app/stubborn' held the stop up: 1 greenlet(s) killed after 50ms (app/stubborn#0)"
        );
        assert!(matches!(g.join(), Err(GreenletError::Killed { .. })));
    });
}

/// A service whose greenlet stops the tree, then carries on.
struct Quitter {
    done: Queue<&'static str>,
}

impl Service for Quitter {
    fn name(&self) -> String {
        "quitter".into()
    }
    fn do_start(&self, ctx: &ServiceContext) -> io::Result<Ready> {
        let (me, done) = (ctx.clone(), self.done.clone());
        // A second greenlet of the same service, that ends when asked.
        let sibling = ctx.clone();
        ctx.spawn(move || {
            while sibling.state() == State::Ready {
                if greenline::sleep(Duration::from_millis(5)).is_err() {
                    return;
                }
            }
        });
        ctx.spawn(move || {
            let report = me.stop_tree();
            assert!(report.is_clean(), "{report}");
            // Still alive: the stop neither waited for nor killed this one.
            done.put("survived the stop").unwrap();
        });
        Ok(Ready::Now)
    }
}

#[test]
fn a_stop_from_a_greenlet_of_the_tree_spares_its_caller() {
    run(LIMIT, || {
        let done = Queue::new();
        let app = ServiceTree::new("app");
        let q = app.add_service(Quitter { done: done.clone() }).unwrap();
        q.set_stop_timeout(Duration::from_secs(30));
        let report = app.serve_forever().unwrap();
        assert!(report.is_clean(), "{report}");
        assert_eq!(done.get().unwrap(), "survived the stop");
        assert_eq!(app.state(), State::Stopped);
    });
}

#[test]
fn a_port_in_use_fails_the_start_naming_the_service_and_the_address() {
    run(LIMIT, || {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = taken.local_addr().unwrap().to_string();
        let log = Log::default();
        let app = ServiceTree::new("app");
        app.add_service(Probe::new("first", &log)).unwrap();
        let http = Bound::new("http", "127.0.0.1:0", |a| {
            HttpServer::bind(a, |_: &mut Request| Response::text(200, "hi"))
        });
        app.add_service(http.clone()).unwrap();
        app.add_service(Bound::new("tcp", addr.clone(), |a| {
            StreamServer::bind(a, |_, _| {})
        }))
        .unwrap();
        let err = app.start().unwrap_err();
        assert_eq!((err.path(), err.hook()), ("app/tcp", Some(Hook::DoStart)));
        let text = err.to_string();
        assert!(
            text.starts_with(&format!(
                "service 'app/tcp': do_start failed: cannot bind {addr}: "
            )),
            "{text}"
        );
        assert_eq!(io::Error::from(err).kind(), ErrorKind::AddrInUse);
        // The HTTP server that had started was stopped: its port is free.
        assert!(http.local_addr().is_none());
        assert_eq!(log.take(), [started("first"), stopped("first")].concat());
    });
}

/// `GET path` over HTTP/1.0: (status, body).
fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.write_all(format!("GET {path} HTTP/1.0\r\n\r\n").as_bytes())
        .unwrap();
    let mut text = String::new();
    conn.read_to_string(&mut text).unwrap();
    let status = text[9..12].parse().unwrap();
    let body = text.split_once("\r\n\r\n").unwrap().1.to_string();
    (status, body)
}

/// Holds its stop in `pre_stop` until the test opens the gate.
struct SlowStop {
    stopping: Event,
    go: Event,
}

impl Service for SlowStop {
    fn name(&self) -> String {
        "slowstop".into()
    }
    fn pre_stop(&self, _: &ServiceContext) -> io::Result<()> {
        self.stopping.set();
        self.go.wait()
    }
}

#[test]
fn readyz_answers_503_as_soon_as_a_stop_begins() {
    run(LIMIT, || {
        let app = ServiceTree::new("app");
        let admin = Admin::new("127.0.0.1:0", &app);
        app.add_service(admin.clone()).unwrap();
        let (stopping, go) = (Event::new(), Event::new());
        app.add_service(SlowStop {
            stopping: stopping.clone(),
            go: go.clone(),
        })
        .unwrap();
        app.start().unwrap();
        let addr = admin.local_addr().unwrap();
        assert_eq!(get(addr, "/livez"), (200, "ok\n".into()));
        assert_eq!(get(addr, "/readyz"), (200, "ready\n".into()));
        assert_eq!(get(addr, "/nope").0, 404);

        let stopper = {
            let app = app.clone();
            greenline::spawn(move || app.stop())
        };
        stopping.wait().unwrap();
        // The stop has begun (the root is stopping, slowstop is in
        // pre_stop); the admin service, added first, stops last.
        let (status, body) = get(addr, "/readyz");
        assert_eq!(status, 503);
        assert_eq!(body, "app stopping\napp/slowstop stopping\n");
        assert_eq!(get(addr, "/livez").0, 200);
        go.set();
        assert!(stopper.join().unwrap().is_clean());
        assert!(admin.local_addr().is_none());
        assert_eq!(
            TcpStream::connect(addr).unwrap_err().kind(),
            ErrorKind::ConnectionRefused
        );
    });
}

#[test]
fn reload_tells_every_ready_service_the_changed_keys() {
    run(LIMIT, || {
        let log = Log::default();
        let app = tree(&log);
        let keys = vec!["http_port".to_string(), "tcp_port".to_string()];
        let err = app.reload(&keys).unwrap_err();
        assert!(
            matches!(&err, ServiceError::WrongState { path, operation: "reload", state: State::Init } if path == "app")
        );
        assert_eq!(err.to_string(), "service 'app': cannot reload while init");
        app.start().unwrap();
        log.take();
        app.reload(&keys).unwrap();
        let want: Vec<String> = ["app", "a", "b", "b1", "c"]
            .iter()
            .flat_map(|n| {
                [
                    format!("{n}.do_reload http_port,tcp_port"),
                    format!("{n}.do_reload"),
                ]
            })
            .collect();
        assert_eq!(log.take(), want);
        app.stop();

        // A failing do_reload is returned, naming the service; the others
        // are still told.
        let log = Log::default();
        let app = ServiceTree::new("app");
        app.add_service(Probe::new("a", &log).bad(Hook::DoReload, Act::Fail))
            .unwrap();
        app.add_service(Probe::new("b", &log)).unwrap();
        app.start().unwrap();
        log.take();
        let err = app.reload(&["x".to_string()]).unwrap_err();
        assert_eq!((err.path(), err.hook()), ("app/a", Some(Hook::DoReload)));
        assert_eq!(
            log.take(),
            [
                "a.do_reload x",
                "a.do_reload",
                "b.do_reload x",
                "b.do_reload"
            ]
        );
        assert!(app.is_ready(), "a failed reload leaves the tree running");
        app.stop();
    });
}

#[test]
fn states_are_announced_and_waited_for_with_timeouts() {
    run(LIMIT, || {
        let log = Log::default();
        let app = ServiceTree::new("app");
        let a = app.add_service(Probe::new("a", &log)).unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        app.on_state_change(move |path, state| {
            record.lock().unwrap().push(format!("{path} {state}"))
        });

        let err = a
            .wait_state(State::Ready, Duration::from_millis(20))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TimedOut);
        assert_eq!(
            err.to_string(),
            "service 'app/a' still init after 20ms, waiting for ready"
        );

        let waiter = {
            let a = a.clone();
            greenline::spawn(move || a.wait_state(State::Stopped, LIMIT))
        };
        app.start().unwrap();
        assert_eq!(
            a.wait_state(State::Ready, Duration::from_millis(1))
                .unwrap(),
            State::Ready
        );
        assert!(!waiter.is_ready());
        app.stop();
        assert_eq!(waiter.join().unwrap().unwrap(), State::Stopped);
        assert_eq!(
            *seen.lock().unwrap(),
            [
                "app starting",
                "app/a starting",
                "app/a ready",
                "app ready",
                "app stopping",
                "app/a stopping",
                "app/a stopped",
                "app stopped",
            ]
        );
        // Waiting for a state already passed returns at once.
        assert_eq!(
            app.wait_state(State::Ready, Duration::ZERO).unwrap(),
            State::Stopped
        );
    });
}

#[test]
fn the_tree_refuses_bad_names_and_changes_while_running() {
    run(LIMIT, || {
        let log = Log::default();
        let app = ServiceTree::new("app");
        app.add_service(Probe::new("a", &log)).unwrap();
        let cases = [
            ("a", "a sibling has that name"),
            ("", "the name is empty"),
            ("x/y", "a name may not hold '/', the path separator"),
        ];
        for (name, reason) in cases {
            let err = app.add_service(Probe::new(name, &log)).unwrap_err();
            assert!(
                matches!(&err, ServiceError::BadName { reason: r, .. } if *r == reason),
                "{err:?}"
            );
            assert_eq!(io::Error::from(err).kind(), ErrorKind::InvalidInput);
        }
        let err = app.add_service(Probe::new("a", &log)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "service 'app': cannot add a child named \"a\": a sibling has that name"
        );
        let other = ServiceTree::new("other");
        let b = other.add_service(Probe::new("b", &log)).unwrap();
        assert!(app.add_service(b).is_err(), "a node in a tree already");

        app.start().unwrap();
        let err = app.add_service(Probe::new("late", &log)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "service 'app': cannot add_service while ready"
        );
        let err = app.start().unwrap_err();
        assert_eq!(err.to_string(), "service 'app': cannot start while ready");

        // remove_service stops the child it removes.
        log.take();
        assert!(app.remove_service("nobody").is_none());
        assert!(app.remove_service("a").unwrap().is_clean());
        assert_eq!(log.take(), stopped("a"));
        assert_eq!(app.states(), [("app".to_string(), State::Ready)]);
        app.stop();
    });
}

#[test]
fn the_talks_tree_a_tcp_server_an_http_server_and_a_client() {
    run(LIMIT, || {
        let tcp_addr = format!("127.0.0.1:{}", greenline::testing::free_port().unwrap());
        let app = ServiceTree::new("app");
        app.add_service(Bound::new("tcp", tcp_addr.clone(), |a| {
            StreamServer::bind(a, |mut conn, _| {
                while conn.write_all(b"hello\n").is_ok() {
                    if greenline::sleep(Duration::from_millis(10)).is_err() {
                        break;
                    }
                }
            })
        }))
        .unwrap();
        let http = Bound::new("http", "127.0.0.1:0", |a| {
            HttpServer::bind(a, |_: &mut Request| Response::text(200, "hello world"))
        });
        app.add_service(http.clone()).unwrap();
        let lines = Queue::new();
        let got = lines.clone();
        app.add_service(TcpClient::new("client", tcp_addr, move |stream| {
            let mut file = stream.makefile()?;
            while let Some(line) = file.readline()? {
                got.put(format!("<<< {line}")).unwrap();
            }
            Ok(())
        }))
        .unwrap();
        app.start().unwrap();
        assert_eq!(lines.get().unwrap(), "<<< hello\n");
        assert_eq!(lines.get().unwrap(), "<<< hello\n");
        let (status, body) = get(http.local_addr().unwrap(), "/");
        assert_eq!((status, body.as_str()), (200, "hello world"));
        // The client's connection is shut down by its do_stop, so its
        // handler ends within the grace period: nothing is killed.
        let report = app.stop();
        assert!(report.is_clean(), "{report}");
    });
}

#[test]
fn a_client_that_cannot_connect_fails_the_start_naming_the_address() {
    run(LIMIT, || {
        let addr = format!("127.0.0.1:{}", greenline::testing::free_port().unwrap());
        let app = ServiceTree::new("app");
        app.add_service(TcpClient::new("client", addr.clone(), |_| Ok(())))
            .unwrap();
        let err = app.start().unwrap_err();
        assert_eq!(
            (err.path(), err.hook()),
            ("app/client", Some(Hook::DoStart))
        );
        assert!(
            err.to_string()
                .contains(&format!("cannot connect to {addr}")),
            "{err}"
        );
        assert_eq!(io::Error::from(err).kind(), ErrorKind::ConnectionRefused);
    });
}

#[test]
fn connect_and_retry_gives_up_naming_the_address_and_the_attempts() {
    run(LIMIT, || {
        let port = greenline::testing::free_port().unwrap();
        let addr = format!("127.0.0.1:{port}");
        let policy = RetryPolicy::new()
            .initial_delay(Duration::from_millis(1))
            .max_attempts(3);
        let err = connect_and_retry(addr.as_str(), &policy).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
        let text = err.to_string();
        assert!(
            text.contains(&port.to_string()) && text.contains("after 3 attempt(s)"),
            "{text}"
        );

        let policy = RetryPolicy::new()
            .initial_delay(Duration::from_millis(5))
            .deadline(Duration::from_millis(60));
        let began = Instant::now();
        let err = connect_and_retry(addr.as_str(), &policy).unwrap_err();
        assert!(began.elapsed() < Duration::from_secs(5));
        assert!(err.to_string().contains("deadline passed"), "{err}");
        assert_eq!(
            connect_and_retry("no port", &policy).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
    });
}

#[test]
fn servers_bound_already_are_services_as_they_are() {
    run(LIMIT, || {
        let udp = greenline::server::DatagramServer::bind("127.0.0.1:0", |data, peer, server| {
            let _ = server.send_to(data, peer);
        })
        .unwrap();
        let addr = udp.local_addr();
        let app = ServiceTree::new("app");
        let node = app.add_service(udp.clone()).unwrap();
        assert_eq!(node.name(), format!("DatagramServer {addr}"));
        assert_eq!(node.path(), format!("app/DatagramServer {addr}"));
        app.start().unwrap();
        assert!(udp.is_started());
        let client = greenline::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        client.send_to(b"ping", addr).unwrap();
        let mut buf = [0u8; 16];
        let (n, _) = client.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"ping");
        assert!(app.stop().is_clean());
        assert!(udp.is_closed());
    });
}

#[test]
fn failed_stop_hooks_are_reported_and_the_stop_goes_on() {
    run(LIMIT, || {
        let log = Log::default();
        let app = ServiceTree::new("app");
        app.add_service(Probe::new("a", &log)).unwrap();
        app.add_service(Probe::new("b", &log).bad(Hook::DoStop, Act::Panic))
            .unwrap();
        app.start().unwrap();
        log.take();
        let report = app.stop();
        assert_eq!(
            report.failures,
            [(
                "app/b".to_string(),
                Hook::DoStop,
                "panicked: b exploded".to_string()
            )]
        );
        assert_eq!(
            report.to_string(),
            "service 'app/b': do_stop failed: panicked: b exploded"
        );
        assert_eq!(log.take(), [stopped("b"), stopped("a")].concat());
        assert!(app.states().iter().all(|(_, s)| *s == State::Stopped));
    });
}

#[test]
fn killing_the_greenlet_in_serve_forever_stops_the_tree() {
    run(LIMIT, || {
        let log = Log::default();
        let app = ServiceTree::new("app");
        app.add_service(Probe::new("a", &log)).unwrap();
        let server = {
            let app = app.clone();
            greenline::spawn(move || app.serve_forever())
        };
        app.wait_state(State::Ready, LIMIT).unwrap();
        server.kill();
        assert_eq!(
            app.wait_state(State::Stopped, LIMIT).unwrap(),
            State::Stopped
        );
        assert_eq!(log.take(), [started("a"), stopped("a")].concat());
    });
}

/// Asks for the tree's stop from its own `post_start`, in the greenlet
/// running the start.
struct SelfStopper;

impl Service for SelfStopper {
    fn name(&self) -> String {
        "selfstop".into()
    }
    fn post_start(&self, ctx: &ServiceContext) -> io::Result<()> {
        // Returns at once: the stop cannot wait for the start it runs in.
        assert!(ctx.stop_tree().is_clean());
        Ok(())
    }
}

#[test]
fn a_stop_asked_from_inside_a_start_aborts_it_without_deadlock() {
    run(LIMIT, || {
        let log = Log::default();
        let app = ServiceTree::new("app");
        app.add_service(Probe::new("a", &log)).unwrap();
        app.add_service(SelfStopper).unwrap();
        app.add_service(Probe::new("never", &log)).unwrap();
        let err = app.start().unwrap_err();
        assert!(
            matches!(&err, ServiceError::Aborted { path } if path == "app"),
            "{err:?}"
        );
        assert_eq!(io::Error::from(err).kind(), ErrorKind::Interrupted);
        assert_eq!(log.take(), [started("a"), stopped("a")].concat());
        let states: Vec<State> = app.states().into_iter().map(|(_, s)| s).collect();
        assert_eq!(
            states,
            [State::Stopped, State::Stopped, State::Stopped, State::Init]
        );
    });
}

#[test]
fn a_zmq_device_endpoint_in_use_fails_the_start_naming_it() {
    use greenline::service::ZmqDevice;
    use greenline::zmq;
    run(LIMIT, || {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("tcp://{}", taken.local_addr().unwrap());
        let ctx = zmq::Context::new();
        let device = ZmqDevice::new(
            "queue",
            ctx.socket(zmq::ROUTER).unwrap(),
            ctx.socket(zmq::DEALER).unwrap(),
        )
        .bind_frontend("inproc://svc-front")
        .bind_backend(endpoint.clone());
        let app = ServiceTree::new("app");
        app.add_service(device).unwrap();
        let err = app.start().unwrap_err();
        assert_eq!((err.path(), err.hook()), ("app/queue", Some(Hook::DoStart)));
        assert!(
            err.to_string()
                .contains(&format!("cannot bind the backend to {endpoint}")),
            "{err}"
        );
        assert_eq!(io::Error::from(err).kind(), ErrorKind::AddrInUse);
        assert_eq!(app.child("queue").unwrap().state(), State::Failed);
    });
}

/// A ZeroMQ socket with its loop is a service: bound over tcp when it
/// starts (ready only then), answering a libzmq-style REQ, and its loop
/// ended quietly by the stop, which closes the socket; an endpoint in use
/// fails the start naming it.
#[test]
fn a_zmq_socket_serves_while_its_service_runs() {
    use greenline::service::ZmqSocket;
    use greenline::zmq;
    run(LIMIT, || {
        let port = greenline::testing::free_port().unwrap();
        let endpoint = format!("tcp://127.0.0.1:{port}");
        let ctx = zmq::Context::new();
        let server = ZmqSocket::new("echo", ctx.socket(zmq::REP).unwrap(), |socket| loop {
            let request = socket.recv(0)?;
            socket.send(request, 0)?;
        })
        .bind(endpoint.clone());
        let app = ServiceTree::new("app");
        app.add_service(server).unwrap();
        app.start().unwrap();
        let client = ctx.socket(zmq::REQ).unwrap();
        client.connect(&endpoint).unwrap();
        client.send("ping", 0).unwrap();
        assert_eq!(client.recv_string(0).unwrap(), "ping");
        let report = app.stop();
        assert!(report.is_clean(), "{report}");
        assert_eq!(app.child("echo").unwrap().state(), State::Stopped);

        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("tcp://{}", taken.local_addr().unwrap());
        let busy = ZmqSocket::new("busy", ctx.socket(zmq::REP).unwrap(), |_| Ok(()))
            .bind(endpoint.clone());
        let app = ServiceTree::new("app");
        app.add_service(busy).unwrap();
        let err = app.start().unwrap_err();
        assert_eq!((err.path(), err.hook()), ("app/busy", Some(Hook::DoStart)));
        assert!(
            err.to_string()
                .contains(&format!("cannot bind the socket to {endpoint}")),
            "{err}"
        );
    });
}
