//! gevent's `signal_handler`: a closure run in a fresh greenlet per
//! delivery, removed by `cancel`. (Its own binary: signals are process-wide.
//! Each test uses a signal of its own, since the tests run at once.)

use std::io::ErrorKind;
use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use greenline::signal::signal_handler;
use greenline::sync::{Event, Queue};
use signal_hook::consts::{SIGKILL, SIGSEGV, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH};
use signal_hook::low_level::raise;

const LONG: Duration = Duration::from_secs(10);

#[test]
fn a_handler_runs_in_a_greenlet_and_not_after_cancel() {
    let runs = Arc::new(AtomicUsize::new(0));
    let in_greenlet = Arc::new(AtomicBool::new(false));
    let ran = Event::new();
    let handler = {
        let (runs, in_greenlet, ran) = (runs.clone(), in_greenlet.clone(), ran.clone());
        signal_handler(SIGUSR1, move || {
            in_greenlet.store(greenline::current_id().is_some(), Ordering::SeqCst);
            runs.fetch_add(1, Ordering::SeqCst);
            ran.set();
        })
        .unwrap()
    };
    assert_eq!(handler.signal(), SIGUSR1);
    raise(SIGUSR1).unwrap();
    ran.wait_timeout(LONG).unwrap();
    assert!(
        in_greenlet.load(Ordering::SeqCst),
        "the handler ran outside a greenlet"
    );

    // A second handler witnesses the next delivery; the first is cancelled.
    let witnessed = Event::new();
    let witness = {
        let witnessed = witnessed.clone();
        signal_handler(SIGUSR1, move || witnessed.set()).unwrap()
    };
    handler.cancel();
    handler.cancel(); // again: nothing
    raise(SIGUSR1).unwrap();
    witnessed.wait_timeout(LONG).unwrap();
    // Every greenlet that delivery started has ended.
    assert!(greenline::wait(Some(LONG)));
    assert_eq!(runs.load(Ordering::SeqCst), 1, "a cancelled handler ran");
    witness.cancel();
}

#[test]
fn a_handler_that_panics_still_runs_on_later_deliveries() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen: Queue<usize> = Queue::new();
    let handler = {
        let (calls, seen) = (calls.clone(), seen.clone());
        signal_handler(SIGUSR2, move || {
            let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
            seen.put(n).unwrap();
            if n == 1 {
                panic!("the first delivery's handler panics");
            }
        })
        .unwrap()
    };
    raise(SIGUSR2).unwrap();
    assert_eq!(seen.get_timeout(LONG).unwrap(), 1);
    raise(SIGUSR2).unwrap();
    assert_eq!(seen.get_timeout(LONG).unwrap(), 2);
    handler.cancel();
}

#[test]
fn every_handler_of_a_signal_runs_and_a_dropped_handle_stays_registered() {
    let (first, second) = (Event::new(), Event::new());
    let kept = {
        let first = first.clone();
        signal_handler(SIGWINCH, move || first.set()).unwrap()
    };
    {
        let second = second.clone();
        // Dropped at once, as a gevent program drops the object.
        drop(signal_handler(SIGWINCH, move || second.set()).unwrap());
    }
    raise(SIGWINCH).unwrap();
    first.wait_timeout(LONG).unwrap();
    second.wait_timeout(LONG).unwrap();
    kept.cancel();
}

#[test]
fn signals_that_cannot_be_handled_are_invalid_input() {
    for signal in [0, -1, 1000, SIGKILL, SIGSEGV] {
        let err = signal_handler(signal, || {}).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "signal {signal}");
    }
}

/// Run again in a child process (this binary, this test alone) with
/// `GREENLINE_SIGNAL_CHILD` set: there the handler catches one `SIGTERM`,
/// is cancelled, and the next `SIGTERM` must end the process.
#[test]
fn the_last_cancel_gives_sigterm_its_default_action_back() {
    if std::env::var_os("GREENLINE_SIGNAL_CHILD").is_some() {
        let caught = Event::new();
        let handler = {
            let caught = caught.clone();
            signal_handler(SIGTERM, move || caught.set()).unwrap()
        };
        raise(SIGTERM).unwrap();
        caught.wait_timeout(LONG).unwrap();
        println!("caught one SIGTERM");
        handler.cancel();
        raise(SIGTERM).unwrap();
        println!("survived the second SIGTERM");
        return;
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "the_last_cancel_gives_sigterm_its_default_action_back",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("GREENLINE_SIGNAL_CHILD", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("caught one SIGTERM"),
        "child output: {stdout}"
    );
    assert!(!stdout.contains("survived"), "child output: {stdout}");
    assert_eq!(
        out.status.signal(),
        Some(SIGTERM),
        "child: {:?}",
        out.status
    );
}
