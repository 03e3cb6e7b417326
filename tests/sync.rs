//! Events, results, queues, channels, semaphores and locks, used from
//! greenlets and from plain OS threads, both ways across that boundary.

use std::io::ErrorKind;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use greenline::sync::{
    AsyncResult, BoundedSemaphore, Channel, Event, GetError, JoinableQueue, PutError, Queue, RLock,
    ResultError, Semaphore, TryGetError, TryPutError,
};
use rstest::rstest;

const LONG: Duration = Duration::from_secs(10);

/// Where the waiting side runs.
#[derive(Debug, Clone, Copy)]
enum Side {
    Greenlet,
    Thread,
}

/// Runs `f` on the given side and returns its result.
fn on<T: Send + 'static>(side: Side, f: impl FnOnce() -> T + Send + 'static) -> T {
    match side {
        Side::Greenlet => greenline::spawn(f).join().unwrap(),
        Side::Thread => thread::spawn(f).join().unwrap(),
    }
}

/// Starts `f` on the given side without waiting for it.
fn start(side: Side, f: impl FnOnce() + Send + 'static) {
    match side {
        Side::Greenlet => drop(greenline::spawn(f)),
        Side::Thread => drop(thread::spawn(f)),
    }
}

#[rstest]
fn event_wakes_across_greenlets_and_threads(
    #[values(Side::Greenlet, Side::Thread)] waiter: Side,
    #[values(Side::Greenlet, Side::Thread)] setter: Side,
) {
    let ev = Event::new();
    let seen = {
        let ev = ev.clone();
        match waiter {
            Side::Greenlet => {
                let g = greenline::spawn(move || ev.wait_timeout(LONG).is_ok());
                Box::new(move || g.join().unwrap()) as Box<dyn FnOnce() -> bool>
            }
            Side::Thread => {
                let t = thread::spawn(move || ev.wait_timeout(LONG).is_ok());
                Box::new(move || t.join().unwrap())
            }
        }
    };
    let ev2 = ev.clone();
    start(setter, move || ev2.set());
    assert!(seen());
    ev.clear();
    assert!(!ev.is_set());
}

#[rstest]
fn event_wait_times_out(#[values(Side::Greenlet, Side::Thread)] side: Side) {
    let ev = Event::new();
    let (kind, took) = on(side, move || {
        let t = Instant::now();
        (
            ev.wait_timeout(Duration::from_millis(30))
                .unwrap_err()
                .kind(),
            t.elapsed(),
        )
    });
    assert_eq!(kind, ErrorKind::TimedOut);
    assert!(took >= Duration::from_millis(30));
}

#[test]
fn async_result_value_error_and_timeout() {
    let r: AsyncResult<u32, String> = AsyncResult::new();
    assert_eq!(r.try_get(), Err(ResultError::NotReady));
    assert_eq!(
        r.get_timeout(Duration::from_millis(10)),
        Err(ResultError::TimedOut)
    );
    let waiters: Vec<_> = (0..5)
        .map(|_| {
            let r = r.clone();
            greenline::spawn(move || r.get_timeout(LONG))
        })
        .collect();
    let t = {
        let r = r.clone();
        thread::spawn(move || r.get_timeout(LONG))
    };
    assert!(r.set(9));
    assert!(!r.set_error("late".into()), "set only once");
    for w in waiters {
        assert_eq!(w.join().unwrap(), Ok(9));
    }
    assert_eq!(t.join().unwrap(), Ok(9));

    let failed: AsyncResult<u32, String> = AsyncResult::new();
    failed.set_error("broken".into());
    assert_eq!(failed.get(), Err(ResultError::Failed("broken".into())));
    assert!(failed.is_ready() && !failed.is_successful());
}

#[rstest]
fn queue_crosses_the_boundary(
    #[values(Side::Greenlet, Side::Thread)] producer: Side,
    #[values(Side::Greenlet, Side::Thread)] consumer: Side,
) {
    let q = Queue::bounded(4);
    let out = {
        let q = q.clone();
        match consumer {
            Side::Greenlet => {
                let g = greenline::spawn(move || {
                    std::iter::from_fn(|| q.get_timeout(LONG).ok()).collect::<Vec<u32>>()
                });
                Box::new(move || g.join().unwrap()) as Box<dyn FnOnce() -> Vec<u32>>
            }
            Side::Thread => {
                let t = thread::spawn(move || {
                    std::iter::from_fn(|| q.get_timeout(LONG).ok()).collect::<Vec<u32>>()
                });
                Box::new(move || t.join().unwrap())
            }
        }
    };
    let q2 = q.clone();
    start(producer, move || {
        for i in 0..100 {
            q2.put_timeout(i, LONG).unwrap();
        }
        q2.close();
    });
    assert_eq!(out(), (0..100).collect::<Vec<_>>());
}

#[test]
fn bounded_put_waits_while_full_and_times_out() {
    let q = Queue::bounded(1);
    q.put(1).unwrap();
    assert!(q.is_full());
    assert!(matches!(q.try_put(2), Err(TryPutError::Full(2))));
    let r = on(Side::Greenlet, {
        let q = q.clone();
        move || q.put_timeout(2, Duration::from_millis(20))
    });
    assert!(matches!(r, Err(PutError::TimedOut(2))));
    // A get makes room for a blocked putter.
    let putter = {
        let q = q.clone();
        greenline::spawn(move || q.put_timeout(3, LONG).is_ok())
    };
    assert_eq!(q.get(), Ok(1));
    assert!(putter.join().unwrap());
    assert_eq!(q.get(), Ok(3));
    assert_eq!(q.try_get(), Err(TryGetError::Empty));
}

#[test]
fn close_wakes_every_blocked_caller() {
    let empty: Queue<u32> = Queue::new();
    let getters: Vec<_> = (0..3)
        .map(|_| {
            let q = empty.clone();
            greenline::spawn(move || q.get())
        })
        .collect();
    let thread_getter = {
        let q = empty.clone();
        thread::spawn(move || q.get())
    };
    let full = Queue::bounded(1);
    full.put(0).unwrap();
    let putter = {
        let q = full.clone();
        greenline::spawn(move || q.put(7))
    };
    // Wait until everybody is blocked: nothing observable, so close at once;
    // a caller that was not blocked yet sees the closed queue all the same.
    empty.close();
    full.close();
    for g in getters {
        assert_eq!(g.join().unwrap(), Err(GetError::Closed));
    }
    assert_eq!(thread_getter.join().unwrap(), Err(GetError::Closed));
    assert!(matches!(putter.join().unwrap(), Err(PutError::Closed(7))));
    // Items queued before close are still delivered, then Closed.
    assert_eq!(full.get(), Ok(0));
    assert_eq!(full.get(), Err(GetError::Closed));
}

#[test]
fn a_killed_getter_does_not_swallow_an_item() {
    let q: Queue<u32> = Queue::new();
    let victim = {
        let q = q.clone();
        greenline::spawn(move || q.get())
    };
    let survivor = {
        let q = q.clone();
        greenline::spawn(move || q.get_timeout(LONG))
    };
    victim.kill_timeout(LONG).unwrap();
    q.put(5).unwrap();
    assert_eq!(survivor.join().unwrap(), Ok(5));
}

#[test]
fn joinable_queue_join_waits_for_task_done() {
    let q = JoinableQueue::new();
    let done = Arc::new(AtomicUsize::new(0));
    for _ in 0..3 {
        let (q, done) = (q.clone(), done.clone());
        greenline::spawn(move || {
            while let Ok(n) = q.get() {
                greenline::sleep(Duration::from_millis(n)).unwrap();
                done.fetch_add(1, Ordering::SeqCst);
                q.task_done().unwrap();
            }
        });
    }
    for n in 0..30 {
        q.put(n % 3).unwrap();
    }
    q.join_timeout(LONG).unwrap();
    assert_eq!(done.load(Ordering::SeqCst), 30);
    assert_eq!(q.unfinished(), 0);
    assert_eq!(q.task_done().unwrap_err().kind(), ErrorKind::InvalidInput);
    q.close();
}

#[test]
fn channel_put_returns_only_once_taken() {
    let ch = Channel::new();
    let taken = Arc::new(AtomicUsize::new(0));
    let putter = {
        let (ch, taken) = (ch.clone(), taken.clone());
        greenline::spawn(move || {
            ch.put(1).unwrap();
            taken.load(Ordering::SeqCst)
        })
    };
    let got = on(Side::Thread, {
        let (ch, taken) = (ch.clone(), taken.clone());
        move || {
            let v = ch.get_timeout(LONG).unwrap();
            taken.store(1, Ordering::SeqCst);
            v
        }
    });
    assert_eq!(got, 1);
    // The putter may have returned before or after the store, but only after
    // the get: it must see the item as taken from the channel's side.
    let _ = putter.join().unwrap();
    assert!(matches!(
        ch.put_timeout(2, Duration::from_millis(20)),
        Err(PutError::TimedOut(2))
    ));
    ch.close();
    assert_eq!(ch.get(), Err(GetError::Closed));
}

#[test]
fn semaphore_bounds_concurrency() {
    let sem = Semaphore::new(3);
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let gs: Vec<_> = (0..20)
        .map(|_| {
            let (sem, running, peak) = (sem.clone(), running.clone(), peak.clone());
            greenline::spawn(move || {
                let _permit = sem.acquire().unwrap();
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                greenline::sleep(Duration::from_millis(2)).unwrap();
                running.fetch_sub(1, Ordering::SeqCst);
            })
        })
        .collect();
    assert!(greenline::joinall(&gs, Some(LONG)));
    assert_eq!(peak.load(Ordering::SeqCst), 3);
    assert_eq!(sem.available(), 3);
}

#[test]
fn semaphore_acquire_times_out_and_bounded_release_is_checked() {
    let sem = Semaphore::new(1);
    let _held = sem.acquire().unwrap();
    let kind = on(Side::Greenlet, {
        let sem = sem.clone();
        move || {
            sem.acquire_timeout(Duration::from_millis(20))
                .unwrap_err()
                .kind()
        }
    });
    assert_eq!(kind, ErrorKind::TimedOut);

    let b = BoundedSemaphore::new(2);
    assert!(b.release().is_err());
    b.acquire().unwrap().forget();
    assert_eq!(b.available(), 1);
    b.release().unwrap();
    assert!(b.release().is_err());
}

#[test]
fn rlock_is_reentrant_and_excludes_others() {
    let lock = RLock::new();
    let outer = lock.lock().unwrap();
    let inner = lock.lock().unwrap();
    let other = on(Side::Greenlet, {
        let lock = lock.clone();
        move || {
            lock.lock_timeout(Duration::from_millis(20))
                .map(drop)
                .unwrap_err()
                .kind()
        }
    });
    assert_eq!(other, ErrorKind::TimedOut);
    drop(inner);
    assert!(lock.is_locked());
    drop(outer);
    assert!(!lock.is_locked());
    // A greenlet keeps its lock across yields (it may change threads).
    let ok = on(Side::Greenlet, {
        let lock = lock.clone();
        move || {
            let _a = lock.lock().unwrap();
            greenline::sleep(Duration::from_millis(1)).unwrap();
            let _b = lock.try_lock().expect("still the owner after a yield");
            true
        }
    });
    assert!(ok);
}

#[test]
fn a_timeout_scope_interrupts_queue_get() {
    let r = on(Side::Greenlet, || {
        let q: Queue<u32> = Queue::new();
        let _t = greenline::Timeout::start(Duration::from_millis(20));
        q.get()
    });
    assert_eq!(r, Err(GetError::TimedOut));
}
