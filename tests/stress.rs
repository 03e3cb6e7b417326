//! Runtime stress: storms of spawns, yields, short sleeps and kills from
//! greenlets and plain threads, and timeouts racing their wake-ups.
//!
//! These are the workloads that corrupted the heap or hung the process
//! while greenline handed may short timers: every one must end, with every
//! greenlet accounted for and no value lost. A run that does not end in
//! time is a failure: the guard prints every thread's stack (through gdb
//! when it is installed) and aborts.
//!
//! Sizes: `GREENLINE_STRESS=full` runs 10^7 greenlets in all (what
//! `scripts/stress.sh` runs); the default is a CI-sized run of a few
//! seconds.

use std::io::{ErrorKind, Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use greenline::sync::{Event, GetError, Queue};
use greenline::{Greenlet, GreenletError};

/// Whether the full-size run was asked for.
fn full() -> bool {
    std::env::var("GREENLINE_STRESS").is_ok_and(|v| v == "full")
}

/// A small deterministic generator (xorshift64*), seeded per test.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn micros(&mut self, max: u64) -> Duration {
        Duration::from_micros(self.below(max + 1))
    }
}

/// Runs `f`, failing the process with every thread's stack if it has not
/// returned within `limit`: a hang must never pass as a slow test.
fn guarded<T>(name: &str, limit: Duration, f: impl FnOnce() -> T) -> T {
    let (done, finished) = mpsc::channel::<()>();
    let name = name.to_string();
    let watcher = std::thread::spawn(move || {
        if finished.recv_timeout(limit) == Err(mpsc::RecvTimeoutError::Timeout) {
            eprintln!("stress: {name} did not finish within {limit:?}: a hang. Stacks:");
            dump_stacks();
            std::process::abort();
        }
    });
    let r = f();
    let _ = done.send(());
    watcher.join().unwrap();
    r
}

/// Prints every thread's stack: gdb's if it is there, else the kernel's
/// view of each thread.
fn dump_stacks() {
    let pid = std::process::id().to_string();
    let gdb = std::process::Command::new("gdb")
        .args(["-p", &pid, "-batch", "-nx", "-ex", "thread apply all bt"])
        .status();
    if gdb.is_ok_and(|s| s.success()) {
        return;
    }
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for t in tasks.flatten() {
            let p = t.path();
            let stat = std::fs::read_to_string(p.join("stat")).unwrap_or_default();
            let wchan = std::fs::read_to_string(p.join("wchan")).unwrap_or_default();
            eprintln!("thread {:?}: {} wchan={wchan}", t.file_name(), stat.trim());
        }
    }
}

/// What one storm greenlet does.
#[derive(Clone, Copy)]
enum Job {
    /// Yields this many times.
    Yield(u32),
    /// Sleeps this long (0 to 3 ms, zero included).
    Sleep(Duration),
    /// Sleeps far longer than the test: must be killed.
    Forever,
}

fn run_job(job: Job) -> u32 {
    match job {
        Job::Yield(n) => {
            for _ in 0..n {
                greenline::yield_now();
            }
            n
        }
        Job::Sleep(d) => {
            greenline::sleep(d).unwrap();
            1
        }
        Job::Forever => {
            let _ = greenline::sleep(Duration::from_secs(3600));
            unreachable!("killed long before");
        }
    }
}

fn pick(rng: &mut Rng) -> Job {
    match rng.below(10) {
        0..=3 => Job::Yield(1 + rng.below(5) as u32),
        4..=7 => Job::Sleep(rng.micros(3000)),
        8 => Job::Sleep(Duration::ZERO),
        _ => Job::Forever,
    }
}

/// One batch: spawns `n` greenlets with random jobs, kills some of them at
/// random moments (and every `Forever` one), joins all, and checks each
/// ended as its job says.
fn batch(seed: u64, n: usize) -> usize {
    let mut rng = Rng::new(seed);
    let jobs: Vec<Job> = (0..n).map(|_| pick(&mut rng)).collect();
    let gs: Vec<Greenlet<u32>> = jobs
        .iter()
        .map(|&job| greenline::spawn(move || run_job(job)))
        .collect();
    // Kill a random tenth early, wherever they are (not started, parked,
    // queued on a worker), and every greenlet that would never end.
    for (i, g) in gs.iter().enumerate() {
        if rng.below(10) == 0 {
            g.kill_nowait();
        }
        if matches!(jobs[i], Job::Forever) {
            if rng.below(2) == 0 {
                greenline::yield_now();
            }
            g.kill_nowait();
        }
    }
    let mut ended = 0;
    for (g, job) in gs.into_iter().zip(jobs) {
        match g.join() {
            Ok(v) => {
                assert!(!matches!(job, Job::Forever), "a Forever job returned {v}");
                ended += 1;
            }
            Err(GreenletError::Killed { .. }) => ended += 1,
            Err(e) => panic!("a storm greenlet ended with {e}"),
        }
    }
    ended
}

#[test]
fn spawn_yield_sleep_kill_storms_from_greenlets_and_threads() {
    // 10^7 greenlets in all at full size; batches stay far below the
    // mapping limit on live greenlets.
    let (total, per_batch) = if full() {
        (10_000_000usize, 2_000usize)
    } else {
        (60_000, 500)
    };
    let batches = total / per_batch;
    let limit = if full() {
        Duration::from_secs(1800)
    } else {
        Duration::from_secs(120)
    };
    let ended = guarded("the spawn/yield/sleep/kill storm", limit, || {
        let count = Arc::new(AtomicUsize::new(0));
        // Half the batches are driven from plain threads, half from
        // greenlets (whose spawns start in place on a worker).
        let threads: Vec<_> = (0..2u64)
            .map(|t| {
                let count = count.clone();
                std::thread::spawn(move || {
                    for b in (t as usize..batches / 2).step_by(2) {
                        count.fetch_add(batch(b as u64 * 2 + 1, per_batch), Ordering::Relaxed);
                    }
                })
            })
            .collect();
        let greenlets: Vec<_> = (0..2u64)
            .map(|t| {
                let count = count.clone();
                greenline::spawn(move || {
                    for b in (batches / 2 + t as usize..batches).step_by(2) {
                        count.fetch_add(batch(b as u64 * 2, per_batch), Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        for g in greenlets {
            g.join().unwrap();
        }
        count.load(Ordering::Relaxed)
    });
    assert_eq!(ended, batches * per_batch);
}

#[test]
fn yield_now_storms_end() {
    // The reproduction from the reliability issue, bounded by count: 50
    // greenlets yielding five times each, over and over.
    let rounds = if full() { 200_000 } else { 4_000 };
    guarded("the yield_now storm", Duration::from_secs(600), || {
        for _ in 0..rounds {
            let gs: Vec<_> = (0..50)
                .map(|_| {
                    greenline::spawn(|| {
                        for _ in 0..5 {
                            greenline::yield_now()
                        }
                    })
                })
                .collect();
            for g in gs {
                g.join().unwrap();
            }
        }
    });
}

#[test]
fn event_timeouts_race_their_sets() {
    let pairs = if full() { 200_000 } else { 6_000 };
    guarded(
        "event timeouts racing sets",
        Duration::from_secs(600),
        || {
            let mut rng = Rng::new(7);
            let mut waiters = Vec::new();
            for i in 0..pairs {
                let event = Arc::new(Event::new());
                let timeout = rng.micros(2000);
                let set_after = rng.micros(2000);
                let e = event.clone();
                let setter = greenline::spawn(move || {
                    greenline::sleep(set_after).unwrap();
                    e.set();
                });
                let wait = move || {
                    let start = Instant::now();
                    let r = event.wait_timeout(timeout);
                    let took = start.elapsed();
                    match r {
                        Ok(()) => assert!(event.is_set()),
                        Err(e) => {
                            assert_eq!(e.kind(), ErrorKind::TimedOut);
                            assert!(took >= timeout, "timed out early: {took:?} < {timeout:?}");
                        }
                    }
                };
                // Every eighth waiter is a plain thread.
                if i % 8 == 0 {
                    wait();
                } else {
                    waiters.push(greenline::spawn(wait));
                }
                waiters.push(setter);
                if waiters.len() > 2_000 {
                    for w in waiters.drain(..) {
                        w.join().unwrap();
                    }
                }
            }
            for w in waiters {
                w.join().unwrap();
            }
        },
    );
}

#[test]
fn queue_get_timeouts_race_puts_and_lose_nothing() {
    let items: u64 = if full() { 2_000_000 } else { 40_000 };
    guarded(
        "queue timeouts racing puts",
        Duration::from_secs(600),
        || {
            for consumers_on_threads in [false, true] {
                let q: Arc<Queue<u64>> = Arc::new(Queue::bounded(64));
                let producer = {
                    let q = q.clone();
                    greenline::spawn(move || {
                        let mut rng = Rng::new(11);
                        for i in 0..items {
                            if rng.below(64) == 0 {
                                greenline::sleep(rng.micros(1500)).unwrap();
                            }
                            // A put that times out hands the item back: retry.
                            let mut item = i;
                            loop {
                                match q.put_timeout(item, rng.micros(500)) {
                                    Ok(()) => break,
                                    Err(e) => item = e.into_inner(),
                                }
                            }
                        }
                        q.close();
                    })
                };
                let consume = {
                    let q = q.clone();
                    move || {
                        let mut rng = Rng::new(13);
                        let mut next = 0u64;
                        let mut timeouts = 0u64;
                        loop {
                            match q.get_timeout(rng.micros(300)) {
                                Ok(v) => {
                                    assert_eq!(v, next, "an item was lost or reordered");
                                    next += 1;
                                }
                                Err(GetError::TimedOut) => timeouts += 1,
                                Err(GetError::Closed) => break,
                                Err(e) => panic!("{e:?}"),
                            }
                        }
                        (next, timeouts)
                    }
                };
                let (got, _timeouts) = if consumers_on_threads {
                    std::thread::spawn(consume).join().unwrap()
                } else {
                    greenline::spawn(consume).join().unwrap()
                };
                producer.join().unwrap();
                assert_eq!(got, items);
            }
        },
    );
}

#[test]
fn join_timeouts_race_the_greenlets_end() {
    let n = if full() { 500_000 } else { 10_000 };
    guarded(
        "join timeouts racing ends",
        Duration::from_secs(600),
        || {
            let mut rng = Rng::new(17);
            let mut joiners = Vec::new();
            for i in 0..n {
                let runs = rng.micros(1500);
                // At least a microsecond: a zero timeout never parks, and a
                // loop of them would never let the greenlet it joins run.
                let wait = rng.micros(1500).max(Duration::from_micros(1));
                let g = greenline::spawn(move || {
                    greenline::sleep(runs).unwrap();
                    i
                });
                let join = move || loop {
                    match g.join_timeout(wait) {
                        Ok(v) => return assert_eq!(v, i),
                        Err(GreenletError::TimedOut) => {}
                        Err(e) => panic!("{e}"),
                    }
                };
                if i % 8 == 0 {
                    join();
                } else {
                    joiners.push(greenline::spawn(join));
                }
                if joiners.len() > 2_000 {
                    for j in joiners.drain(..) {
                        j.join().unwrap();
                    }
                }
            }
            for j in joiners {
                j.join().unwrap();
            }
        },
    );
}

#[test]
fn socket_read_timeouts_race_arriving_data_and_lose_no_byte() {
    let rounds = if full() { 100_000 } else { 3_000 };
    guarded(
        "socket timeouts racing data",
        Duration::from_secs(600),
        || {
            let listener = greenline::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let reader = greenline::spawn(move || {
                let (mut s, _) = listener.accept().unwrap();
                let mut rng = Rng::new(19);
                let mut got = Vec::new();
                let mut buf = [0u8; 64];
                loop {
                    s.set_read_timeout(Some(rng.micros(800).max(Duration::from_micros(1))))
                        .unwrap();
                    match s.read(&mut buf) {
                        Ok(0) => return got,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                        Err(e) if e.kind() == ErrorKind::TimedOut => {}
                        Err(e) => panic!("{e}"),
                    }
                }
            });
            let writer = greenline::spawn(move || {
                let mut s = greenline::net::TcpStream::connect(addr).unwrap();
                let mut rng = Rng::new(23);
                let mut sent = Vec::new();
                for i in 0..rounds {
                    greenline::sleep(rng.micros(600)).unwrap();
                    let b = [(i % 251) as u8];
                    s.write_all(&b).unwrap();
                    sent.push(b[0]);
                }
                sent
            });
            let sent = writer.join().unwrap();
            let got = reader.join().unwrap();
            assert_eq!(got, sent);
        },
    );
}
