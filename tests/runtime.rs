//! Runtime configuration, spawn failures, greenlet-local storage, the thread
//! pool, groups and pools. (Its own binary: configuration is process-wide.)

use std::io::ErrorKind;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use greenline::config::{self, Config};
use greenline::local::Local;
use greenline::sync::Event;
use greenline::{Builder, Group, Pool};

const LONG: Duration = Duration::from_secs(10);

#[test]
fn configuration_is_first_use_wins() {
    // Other tests in this binary may start the runtime first; either our
    // configuration is taken, or configure reports that it is too late.
    match config::configure(Config::from_env().workers(2).stack_size(192 * 1024)) {
        Ok(()) => {
            assert_eq!(config::current().get_workers(), 2);
            assert_eq!(config::current().get_stack_size(), 192 * 1024);
        }
        Err(e) => assert_eq!(e.kind(), ErrorKind::AlreadyExists),
    }
    let late = config::configure(Config::new().workers(7)).unwrap_err();
    assert_eq!(late.kind(), ErrorKind::AlreadyExists);
    assert_ne!(config::current().get_workers(), 7);
}

#[test]
fn a_stack_that_cannot_be_mapped_is_an_error_naming_the_limit() {
    let err = Builder::new().stack_size(1 << 50).spawn(|| ()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutOfMemory);
    let msg = err.to_string();
    assert!(msg.contains("vm.max_map_count"), "{msg}");
    // The runtime is fine afterwards.
    assert_eq!(greenline::spawn(|| 5).join(), Ok(5));
}

static NAME: Local<String> = Local::new();
static COUNT: Local<u32> = Local::new();

#[test]
fn greenlet_local_values_are_per_greenlet_across_yields() {
    let gs: Vec<_> = (0..50u32)
        .map(|i| {
            greenline::spawn(move || {
                NAME.set(format!("g{i}"));
                COUNT.set(i);
                for _ in 0..5 {
                    greenline::sleep(Duration::from_millis(1)).unwrap();
                    greenline::yield_now();
                }
                (NAME.get(), COUNT.take(), COUNT.get())
            })
        })
        .collect();
    for (i, g) in gs.into_iter().enumerate() {
        assert_eq!(
            g.join().unwrap(),
            (Some(format!("g{i}")), Some(i as u32), None)
        );
    }
    // A plain thread has its own slot.
    assert_eq!(NAME.get(), None);
}

#[test]
fn spawn_blocking_runs_off_the_workers() {
    let task = greenline::threadpool::spawn_blocking(|| {
        std::thread::sleep(Duration::from_millis(20));
        std::thread::current().name().map(str::to_string)
    });
    let name = greenline::spawn(move || task.join())
        .join()
        .unwrap()
        .unwrap();
    assert_eq!(name.as_deref(), Some("greenline-blocking"));

    let panicked = greenline::threadpool::spawn_blocking(|| -> u32 { panic!("in the pool") });
    let err = panicked.join().unwrap_err();
    assert!(err.to_string().contains("in the pool"));

    let slow =
        greenline::threadpool::spawn_blocking(|| std::thread::sleep(Duration::from_millis(500)));
    assert_eq!(
        slow.join_timeout(Duration::from_millis(10))
            .unwrap_err()
            .kind(),
        ErrorKind::TimedOut
    );

    let path = std::env::temp_dir().join(format!("greenline-fs-{}", std::process::id()));
    greenline::threadpool::fs::write(&path, "pool io").unwrap();
    assert_eq!(
        greenline::threadpool::fs::read_to_string(&path).unwrap(),
        "pool io"
    );
    std::fs::remove_file(&path).unwrap();
    let out = greenline::threadpool::process::output(std::process::Command::new("echo")).unwrap();
    assert!(out.status.success());
}

#[test]
fn group_joins_and_kills_its_members() {
    let group = Group::new();
    for i in 0..5 {
        group.spawn(move || greenline::sleep(Duration::from_millis(i)));
    }
    assert!(group.join(Some(LONG)));
    for _ in 0..3 {
        group.spawn(|| greenline::sleep(Duration::from_secs(3600)));
    }
    assert!(!group.join(Some(Duration::from_millis(20))));
    assert!(group.kill(Some(LONG)));
    assert!(group.is_empty());
}

#[test]
fn pool_bounds_concurrency_and_maps_in_order() {
    let pool = Pool::new(3);
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let out = {
        let (running, peak) = (running.clone(), peak.clone());
        pool.map(
            move |x: u64| {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                greenline::sleep(Duration::from_millis(2)).unwrap();
                running.fetch_sub(1, Ordering::SeqCst);
                x * 10
            },
            0..12,
        )
    };
    assert_eq!(out, (0..12).map(|x| x * 10).collect::<Vec<_>>());
    assert_eq!(peak.load(Ordering::SeqCst), 3);

    let mut unordered: Vec<u64> = pool.imap_unordered(|x: u64| x + 1, 0..20).collect();
    unordered.sort();
    assert_eq!(unordered, (1..21).collect::<Vec<_>>());

    // spawn waits for a free slot.
    let gate = Event::new();
    let held: Vec<_> = (0..3)
        .map(|_| {
            let gate = gate.clone();
            pool.spawn(move || gate.wait_timeout(LONG)).unwrap()
        })
        .collect();
    assert_eq!(pool.free_count(), 0);
    let blocked = {
        let pool = pool.clone();
        greenline::spawn(move || {
            greenline::with_timeout(Duration::from_millis(20), || pool.spawn(|| ()).map(drop))
        })
    };
    assert_eq!(
        blocked.join().unwrap().unwrap_err().kind(),
        ErrorKind::TimedOut
    );
    gate.set();
    assert!(greenline::joinall(&held, Some(LONG)));
    assert!(pool.join(Some(LONG)));
}
