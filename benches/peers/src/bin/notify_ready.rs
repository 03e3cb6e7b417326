//! Start-up time as a service manager sees it: binds a fake
//! `NOTIFY_SOCKET` (a Unix datagram socket, as systemd's), spawns the
//! command with `NOTIFY_SOCKET` naming it, and times from just before the
//! spawn to the first datagram holding `READY=1`. Then it sends TERM and
//! waits for the command to exit before the next run, so runs never
//! overlap (the next one binds the same ports).
//!
//! Usage: `notify_ready RUNS TIMEOUT_MS CMD [ARG...]`
//!
//! Prints `run I: MS [ms], cpu MS [ms]` per run, then `median`, `p90` and
//! `max` in ms (p90: the value 90 % of the runs are at or under, nearest
//! rank), the same for the CPU time (`cpu median` …), and `failed: N`, the
//! runs with no `READY=1` within TIMEOUT_MS (those are killed). Exits 1
//! when any run failed.
//!
//! The CPU time is what the command's threads alive at `READY=1` have run
//! (`/proc/PID/task/*/schedstat`), read just after it: unlike the wall
//! time, it hardly moves when other work shares the cores.

use std::os::unix::net::UnixDatagram;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a TERMed command may take to exit before it is killed.
const EXIT_LIMIT: Duration = Duration::from_secs(10);

/// Nanoseconds process `pid`'s threads have run on a CPU, summed over
/// those alive now (the first field of each thread's `schedstat`).
fn cpu_ns(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// One run: `Ok((elapsed, cpu))` from the spawn to `READY=1`.
fn run_once(
    socket: &UnixDatagram,
    path: &str,
    cmd: &[String],
    limit: Duration,
) -> Result<(Duration, Duration), String> {
    let mut buf = [0u8; 4096];
    // Leftovers of a previous run (STOPPING=1 and the like) are not ours.
    socket.set_nonblocking(true).map_err(|e| e.to_string())?;
    while socket.recv(&mut buf).is_ok() {}
    socket.set_nonblocking(false).map_err(|e| e.to_string())?;

    let started = Instant::now();
    let mut child = Command::new(&cmd[0])
        .args(&cmd[1..])
        .env("NOTIFY_SOCKET", path)
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("spawning {}: {e}", cmd[0]))?;
    let outcome = loop {
        let left = limit.saturating_sub(started.elapsed());
        if left.is_zero() {
            break Err(format!("no READY=1 within {limit:?}"));
        }
        socket
            .set_read_timeout(Some(left))
            .map_err(|e| e.to_string())?;
        match socket.recv(&mut buf) {
            Ok(n) => {
                let elapsed = started.elapsed();
                let text = String::from_utf8_lossy(&buf[..n]);
                if text.lines().any(|l| l == "READY=1") {
                    break Ok((elapsed, Duration::from_nanos(cpu_ns(child.id()))));
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => break Err(e.to_string()),
        }
        if let Ok(Some(status)) = child.try_wait() {
            break Err(format!("exited before READY=1 ({status})"));
        }
    };
    stop(&mut child)?;
    outcome
}

/// TERM (a graceful stop, as the service manager would), then KILL after
/// `EXIT_LIMIT`; waits for the exit either way.
fn stop(child: &mut Child) -> Result<(), String> {
    if child.try_wait().map_err(|e| e.to_string())?.is_some() {
        return Ok(());
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + EXIT_LIMIT;
    while Instant::now() < deadline {
        if child.try_wait().map_err(|e| e.to_string())?.is_some() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = child.kill();
    let _ = child.wait();
    Err(format!(
        "pid {} ignored TERM for {EXIT_LIMIT:?}; killed",
        child.id()
    ))
}

/// Prints `{prefix}median`, `p90` and `max` of `values` (in ms).
fn summary(prefix: &str, values: &mut [f64]) {
    values.sort_by(|a, b| a.total_cmp(b));
    let Some(&max) = values.last() else {
        return;
    };
    let n = values.len();
    let median = if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    };
    // Nearest rank: the smallest value with at least 90 % at or under it.
    let p90 = values[(n * 9).div_ceil(10).max(1) - 1];
    println!("{prefix}median: {median:.2} [ms]");
    println!("{prefix}p90: {p90:.2} [ms]");
    println!("{prefix}max: {max:.2} [ms]");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: notify_ready RUNS TIMEOUT_MS CMD [ARG...]";
    let runs: usize = args.first().and_then(|a| a.parse().ok()).expect(usage);
    let limit_ms: u64 = args.get(1).and_then(|a| a.parse().ok()).expect(usage);
    let cmd = &args[2..];
    assert!(!cmd.is_empty(), "{usage}");

    let dir = std::env::temp_dir().join(format!("notify_ready.{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a directory for the socket");
    let path = dir.join("notify.sock");
    let socket = UnixDatagram::bind(&path).expect("binding the notify socket");
    let path = path
        .to_str()
        .expect("a UTF-8 temporary directory")
        .to_string();

    let mut times = Vec::with_capacity(runs);
    let mut cpu = Vec::with_capacity(runs);
    let mut failed = 0;
    for i in 1..=runs {
        match run_once(&socket, &path, cmd, Duration::from_millis(limit_ms)) {
            Ok((t, c)) => {
                let (ms, cpu_ms) = (t.as_secs_f64() * 1e3, c.as_secs_f64() * 1e3);
                println!("run {i}: {ms:.2} [ms], cpu {cpu_ms:.2} [ms]");
                times.push(ms);
                cpu.push(cpu_ms);
            }
            Err(e) => {
                println!("run {i}: failed: {e}");
                failed += 1;
            }
        }
    }
    drop(socket);
    let _ = std::fs::remove_dir_all(&dir);

    summary("", &mut times);
    summary("cpu ", &mut cpu);
    println!("failed: {failed}");
    std::process::exit(if failed == 0 { 0 } else { 1 });
}
