//! Memory per blocked greenlet: 100,000 greenlets each blocked in `sleep`,
//! RSS per greenlet for greenline and for raw may, each in a fresh child
//! process.
//!
//!     cargo bench --bench memory            # N=100000
//!     N=20000 cargo bench --bench memory
//!
//! may maps two regions per coroutine stack, so Linux's default
//! vm.max_map_count (65530) stops a process near 32,000 greenlets. This
//! benchmark raises the limit for its own run when it is lower than needed
//! (as root) and restores it afterwards. Reference figures from the issue:
//! raw may 8.6 KB, gevent 8.1 KB, a tokio task 0.45 KB per task.

use std::process::Command;
use std::time::Duration;

const MAP_COUNT: &str = "/proc/sys/vm/max_map_count";

fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap()
}

/// Child: start `n` sleepers of the given kind, print RSS delta per sleeper.
/// The process exits with them still asleep.
fn child(kind: &str, n: usize) {
    greenline::config::configure(greenline::config::Config::from_env().workers(1)).unwrap();
    // Start the runtime (and may's stack pool) before the baseline.
    greenline::spawn(|| ()).join().unwrap();
    let before = rss_kb();
    const NAP: Duration = Duration::from_secs(600);
    match kind {
        "greenline" => {
            for _ in 0..n {
                greenline::spawn(|| greenline::sleep(NAP));
            }
        }
        "may" => {
            for _ in 0..n {
                may::go!(|| may::coroutine::sleep(NAP));
            }
        }
        _ => unreachable!(),
    }
    wait_until_parked(n);
    report(kind, n, before, rss_kb());
}

/// Spawned greenlets run once and park; give the single worker time to
/// start them all (polling RSS growth until it settles).
fn wait_until_parked(n: usize) {
    let mut last = 0;
    for _ in 0..200 {
        std::thread::sleep(Duration::from_millis(50));
        let now = rss_kb();
        if now == last && now > 0 {
            return;
        }
        last = now;
    }
    eprintln!("warning: RSS still growing after 10 s with {n} sleepers");
}

fn report(kind: &str, n: usize, before: u64, after: u64) {
    let per = (after.saturating_sub(before)) as f64 * 1024.0 / n as f64;
    println!(
        "{kind:<10} {n} sleepers: RSS +{} KiB, {:.0} B per greenlet",
        after - before,
        per
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(&args[i + 1], args[i + 2].parse().unwrap());
        return;
    }
    let n: usize = std::env::var("N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let needed = (n as u64) * 2 + 20_000;
    let original: u64 = std::fs::read_to_string(MAP_COUNT)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(65_530);
    let raised = original < needed && std::fs::write(MAP_COUNT, needed.to_string()).is_ok();
    if original < needed && !raised {
        println!("vm.max_map_count is {original}; {n} greenlets need about {needed} (run as root to raise it)");
    }
    let exe = std::env::current_exe().unwrap();
    for kind in ["greenline", "may"] {
        let out = Command::new(&exe)
            .args(["--child", kind, &n.to_string()])
            .output()
            .unwrap();
        print!("{}", String::from_utf8_lossy(&out.stdout));
        if !out.status.success() {
            println!(
                "{kind}: failed: {}",
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
            );
        }
    }
    if raised {
        let _ = std::fs::write(MAP_COUNT, original.to_string());
        println!("(vm.max_map_count raised to {needed} for this run, restored to {original})");
    }
}
