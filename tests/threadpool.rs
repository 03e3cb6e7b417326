//! `ThreadPool` objects beside the global pool: a bound of their own, tasks
//! that are greenlet handles (`joinall`, `Group`, `kill`), and timed waits
//! that can be retried without losing the value.

use std::io::ErrorKind;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier};
use std::time::Duration;

use greenline::threadpool::{self, ThreadPool};
use greenline::{GreenletError, Group};

const LONG: Duration = Duration::from_secs(10);
const SHORT: Duration = Duration::from_millis(20);

#[test]
fn a_pool_runs_at_most_its_size_at_once_and_joinall_waits_for_its_tasks() {
    let pool = ThreadPool::new(2);
    assert_eq!(pool.max_threads(), 2);
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    // Tasks meet in pairs: two must run at once, and no more may.
    let pairs = Arc::new(Barrier::new(2));
    let tasks: Vec<_> = (0..6u64)
        .map(|i| {
            let (running, most, pairs) = (running.clone(), most.clone(), pairs.clone());
            pool.spawn(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                pairs.wait();
                running.fetch_sub(1, Ordering::SeqCst);
                (
                    i,
                    greenline::current_id(),
                    std::thread::current().name().map(str::to_string),
                )
            })
        })
        .collect();
    assert!(
        greenline::joinall(&tasks, Some(LONG)),
        "the tasks did not finish"
    );
    assert!(pool.threads() <= 2);
    assert_eq!(most.load(Ordering::SeqCst), 2);
    for (i, t) in tasks.into_iter().enumerate() {
        let (n, greenlet, thread) = t.join().unwrap();
        assert_eq!(n, i as u64);
        assert_eq!(greenlet, None, "a pool task is not a greenlet");
        assert_eq!(thread.as_deref(), Some("greenline-pool"));
    }
}

#[test]
fn a_timed_wait_on_a_pool_task_can_be_retried_without_losing_the_value() {
    let pool = ThreadPool::new(1);
    let (tx, rx) = mpsc::channel::<u32>();
    let task = pool.spawn(move || rx.recv().unwrap() * 2);
    assert_eq!(
        task.join_timeout(SHORT).unwrap_err(),
        GreenletError::TimedOut
    );
    assert!(!task.is_ready());
    tx.send(21).unwrap();
    assert_eq!(task.join_timeout(LONG).unwrap(), 42);

    // The global pool's task too: its timed wait no longer consumes it.
    let (tx, rx) = mpsc::channel::<u32>();
    let blocking = threadpool::spawn_blocking(move || rx.recv().unwrap() + 1);
    let err = blocking.join_timeout(SHORT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut);
    tx.send(1).unwrap();
    assert!(greenline::joinall([blocking.as_greenlet()], Some(LONG)));
    assert_eq!(blocking.join_timeout(LONG).unwrap(), 2);
}

#[test]
fn a_greenlet_joins_a_pool_task_by_yielding() {
    let pool = ThreadPool::new(1);
    let (tx, rx) = mpsc::channel::<&'static str>();
    let task = pool.spawn(move || rx.recv().unwrap());
    let joiner = greenline::spawn(move || task.join());
    // The joiner waits in a greenlet; this thread is free to release it.
    tx.send("done").unwrap();
    assert_eq!(joiner.join_timeout(LONG).unwrap().unwrap(), "done");
}

#[test]
fn a_group_waits_for_pool_tasks_and_a_killed_queued_task_never_runs() {
    let pool = ThreadPool::new(1);
    let (tx, rx) = mpsc::channel::<()>();
    let ran = Arc::new(AtomicBool::new(false));
    let first = pool.spawn(move || rx.recv().is_ok());
    let second = {
        let ran = ran.clone();
        pool.spawn(move || ran.store(true, Ordering::SeqCst))
    };
    let group = Group::new();
    group.add(&first);
    group.add(&second);
    // The only thread is busy with `first`: `second` is still queued.
    second.kill_nowait();
    assert!(!group.join(Some(SHORT)), "the first task is still blocked");
    tx.send(()).unwrap();
    assert!(group.join(Some(LONG)));
    assert!(first.join().unwrap());
    assert!(matches!(second.join(), Err(GreenletError::Killed { .. })));
    assert!(
        !ran.load(Ordering::SeqCst),
        "a task killed in the queue ran"
    );
}

#[test]
fn a_panicking_task_ends_alone_and_the_pool_goes_on() {
    let pool = ThreadPool::new(1);
    let bad = pool.spawn(|| -> u32 { panic!("in a pool task") });
    match bad.join() {
        Err(GreenletError::Panicked { greenlet, message }) => {
            assert_eq!(greenlet, "greenline-pool");
            assert_eq!(message, "in a pool task");
        }
        other => panic!("expected a panic, got {other:?}"),
    }
    assert_eq!(pool.spawn(|| 5).join().unwrap(), 5);
}
