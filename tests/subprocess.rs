//! gevent.subprocess's `Popen`: pipes and waits that park only the calling
//! greenlet, timed waits that lose nothing, and `communicate`. (Its own
//! binary: it configures the runtime with one worker, so a wait that
//! blocked the worker would stop every other greenlet.)

use std::io::{ErrorKind, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use greenline::config::{self, Config};
use greenline::subprocess::Popen;
use greenline::sync::Event;

const LONG: Duration = Duration::from_secs(20);
const SHORT: Duration = Duration::from_millis(50);

fn one_worker() {
    let _ = config::configure(Config::from_env().workers(1));
    assert_eq!(
        config::current().get_workers(),
        1,
        "this binary needs one worker"
    );
}

fn cat() -> Popen {
    Popen::spawn(
        Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped()),
    )
    .unwrap()
}

#[test]
fn a_greenlet_waiting_for_a_child_leaves_the_worker_to_the_others() {
    one_worker();
    let mut child = cat();
    let stdin = child.stdin.take().unwrap();
    let child = Arc::new(child);
    let waiting = Event::new();
    let waiter = {
        let (child, waiting) = (child.clone(), waiting.clone());
        greenline::spawn(move || {
            waiting.set(); // does not yield: the wait comes next
            child.wait()
        })
    };
    waiting.wait_timeout(LONG).unwrap();
    // The only worker is free while the waiter waits: others run, and a
    // second child's pipes make round trips.
    let other = greenline::spawn(|| -> std::io::Result<Vec<u8>> {
        let mut echo = cat();
        let mut stdin = echo.stdin.take().unwrap();
        let mut stdout = echo.stdout.take().unwrap();
        let mut got = Vec::new();
        for word in [&b"ping"[..], b"pong"] {
            stdin.write_all(word)?;
            let mut buf = [0; 4];
            stdout.read_exact(&mut buf)?;
            got.extend_from_slice(&buf);
        }
        drop(stdin);
        assert!(echo.wait()?.success());
        Ok(got)
    });
    assert_eq!(other.join_timeout(LONG).unwrap().unwrap(), b"pingpong");
    assert!(!waiter.is_ready(), "cat exited with its stdin open");
    drop(stdin);
    let status = waiter.join_timeout(LONG).unwrap().unwrap();
    assert!(status.success());
}

#[test]
fn a_timed_wait_times_out_and_a_later_wait_returns_the_status() {
    one_worker();
    let check = |mut child: Popen| {
        let err = child.wait_timeout(SHORT).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TimedOut);
        assert_eq!(child.poll().unwrap(), None);
        drop(child.stdin.take());
        let status = child.wait_timeout(LONG).unwrap();
        assert!(status.success());
        assert_eq!(child.wait().unwrap(), status);
        assert_eq!(child.poll().unwrap(), Some(status));
    };
    // From a greenlet, and from a plain thread.
    let child = cat();
    greenline::testing::run(LONG, move || check(child));
    check(cat());
    // A `Timeout` in force bounds `wait` the same way.
    let sleeper = Popen::spawn(Command::new("sleep").arg("60")).unwrap();
    let r = greenline::spawn(move || {
        let r = greenline::with_timeout(SHORT, || sleeper.wait());
        sleeper.kill().unwrap();
        assert_eq!(sleeper.wait().unwrap().signal(), Some(libc::SIGKILL));
        r
    })
    .join()
    .unwrap();
    assert_eq!(r.unwrap_err().kind(), ErrorKind::TimedOut);
}

#[test]
fn communicate_round_trips_a_mebibyte_through_cat() {
    one_worker();
    // Far more than a pipe holds (64 KiB): the write and the read must run
    // at once.
    let input: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8).collect();
    let expected = input.clone();
    let out = greenline::testing::run(LONG, move || cat().communicate(&input).unwrap());
    assert!(out.status.success());
    assert_eq!(out.stdout.len(), expected.len());
    assert!(out.stdout == expected, "the data came back changed");
    assert!(out.stderr.is_empty());
}

#[test]
fn communicate_returns_stdout_stderr_and_the_exit_code() {
    one_worker();
    let mut child = Popen::spawn(
        Command::new("sh")
            .args(["-c", "read line; echo \"out $line\"; echo err >&2; exit 3"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    )
    .unwrap();
    let out = child.communicate(b"in\n").unwrap();
    assert_eq!(out.stdout, b"out in\n");
    assert_eq!(out.stderr, b"err\n");
    assert_eq!(out.status.code(), Some(3));
    assert!(child.stdin.is_none() && child.stdout.is_none() && child.stderr.is_none());
}

#[test]
fn a_timed_out_communicate_keeps_the_output_for_the_next_call() {
    one_worker();
    let mut child = Popen::spawn(
        Command::new("sh")
            .args(["-c", "echo first; exec sleep 60"])
            .stdout(Stdio::piped()),
    )
    .unwrap();
    let err = child.communicate_timeout(b"", SHORT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut);
    let err = child.communicate(b"late input").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    child.terminate().unwrap();
    let out = child.communicate_timeout(b"", LONG).unwrap();
    assert_eq!(out.stdout, b"first\n");
    assert_eq!(out.status.signal(), Some(libc::SIGTERM));
}

#[test]
fn signals_reach_a_running_child_and_not_a_reaped_one() {
    one_worker();
    let child = Popen::spawn(Command::new("sleep").arg("60")).unwrap();
    assert!(child.pid() > 0);
    child.send_signal(libc::SIGKILL).unwrap();
    let status = child.wait_timeout(LONG).unwrap();
    assert_eq!(status.signal(), Some(libc::SIGKILL));
    // Reaped: its pid may be another process's now; nothing is sent.
    child.kill().unwrap();
    child.terminate().unwrap();
}

#[test]
fn spawn_and_communicate_errors_have_exact_kinds() {
    one_worker();
    let err = Popen::spawn(&mut Command::new("/nonexistent/greenline-test")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let mut child = Popen::spawn(Command::new("true").stdout(Stdio::piped())).unwrap();
    let err = child.communicate(b"input").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    // The pipes are still there: nothing was started.
    let out = child.communicate(b"").unwrap();
    assert!(out.status.success() && out.stdout.is_empty());
}

#[test]
fn a_child_that_exits_without_reading_is_a_broken_pipe_not_an_error_of_communicate() {
    one_worker();
    let mut child = Popen::spawn(Command::new("true").stdin(Stdio::piped())).unwrap();
    assert!(child.wait_timeout(LONG).unwrap().success());
    let mut stdin = child.stdin.take().unwrap();
    // More than a pipe holds: a child another test forks at this moment
    // holds a copy of the reading end until its exec closes it, and takes
    // the first writes meanwhile; the rest wait for that close and fail.
    let err = stdin.write_all(&[0; 1 << 20]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BrokenPipe);
    // communicate ignores it, as Python's does.
    let mut child = Popen::spawn(Command::new("true").stdin(Stdio::piped())).unwrap();
    child.wait_timeout(LONG).unwrap();
    let out = child.communicate(&[1; 1 << 20]).unwrap();
    assert!(out.status.success());
}
