//! The watchdog: says on stderr when a timer thread dies or stops keeping
//! time, instead of letting every sleep and timeout hang without a word.
//!
//! Two threads keep time in a greenline process. greenline's own timer
//! thread (`timer`) ends every sleep, timed wait and socket timeout
//! greenline has; may's timer thread ends may's own sleeps and timed waits
//! (which greenline no longer uses, but code calling may directly, such as
//! may_minihttp's date clock, does). Either one dying or spinning stops its
//! timers for good while socket I/O goes on, so nothing else would notice.
//!
//! Once a second the watchdog thread (`greenline-watchdog`, started with
//! the runtime) checks:
//!
//! - greenline's timer thread: still running, and not more than
//!   [`LATE`] behind its earliest deadline;
//! - may's timer thread (found when the runtime starts, see
//!   [`note_may_threads`]): still alive, and not spinning (on a CPU for
//!   most of [`SPIN_WINDOW`], which an idle timer thread never is).
//!
//! Each problem is reported once per episode, with what it stops.
//!
//! The same thread returns memory after a flood. When the number of live
//! greenlets falls to an eighth of a peak of at least [`FLOOD`] (10,000
//! connections served and closed, say), it calls glibc's `malloc_trim`:
//! the allocator otherwise keeps the freed buffers and greenlet records of
//! the flood (measured: 19,000 echo connections left the resident set
//! 23 MB above its start, 3 MB after a trim). What stays is may's pool of
//! spare greenlet stacks (up to 1,000, each with the pages its last
//! greenlet touched) and what the
//! allocator cannot release (pages with live allocations on them).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::timer;

/// How far behind its earliest deadline greenline's timer thread may be
/// before the watchdog calls it stuck.
pub(crate) const LATE: Duration = Duration::from_secs(2);

/// How long may's timer thread must be on a CPU nearly all the time to be
/// called spinning.
const SPIN_WINDOW: Duration = Duration::from_secs(5);

/// A peak of live greenlets at least this high counts as a flood.
pub(crate) const FLOOD: usize = 1024;

/// may's timer thread, by thread id, once known.
static MAY_TIMER: Mutex<Option<i32>> = Mutex::new(None);

/// Starts the watchdog thread (once; called when the runtime starts).
pub(crate) fn start() {
    let spawned = std::thread::Builder::new()
        .name("greenline-watchdog".into())
        .spawn(run);
    if let Err(e) = spawned {
        eprintln!("greenline: could not start the watchdog thread: {e}");
    }
}

/// Records which thread is may's timer thread: given the process's thread
/// ids before and after may's scheduler started. may starts its timer
/// thread first and its `workers` workers right after it, all unnamed (an
/// unnamed thread carries the name of the thread that made it), and thread
/// ids grow as threads are made: so the timer's is the new id, named as the
/// caller, that the next `workers` ids follow. Threads another part of the
/// program made meanwhile (a test harness's) are left out. Best effort:
/// when the lists do not show it, may's timer thread is not watched. Call
/// it on the thread that started may.
pub(crate) fn note_may_threads(before: &[i32], after: &[i32], workers: usize) {
    let starter = std::fs::read_to_string("/proc/thread-self/comm").unwrap_or_default();
    let made_here: Vec<i32> = after
        .iter()
        .copied()
        .filter(|t| {
            let name = std::fs::read_to_string(format!("/proc/self/task/{t}/comm"));
            !starter.is_empty() && name.is_ok_and(|n| n == starter)
        })
        .collect();
    *MAY_TIMER.lock().unwrap_or_else(|e| e.into_inner()) = timer_among(before, &made_here, workers);
}

/// The new id that the next `workers` ids, all new too, follow.
fn timer_among(before: &[i32], after: &[i32], workers: usize) -> Option<i32> {
    let mut new: Vec<i32> = after
        .iter()
        .copied()
        .filter(|t| !before.contains(t))
        .collect();
    new.sort_unstable();
    new.iter()
        .copied()
        .find(|&t| (1..=workers as i32).all(|k| new.contains(&(t + k))))
}

/// The ids of the process's threads (empty where /proc is not readable).
pub(crate) fn thread_ids() -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

/// A thread's CPU time so far (user and system), or `None` once it is gone.
fn cpu_time(tid: i32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold
    // spaces: state is the first, utime and stime the 12th and 13th.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on every Linux architecture greenline builds for.
    Some(Duration::from_millis(ticks * 10))
}

/// What the watchdog has already said, so each episode is reported once.
#[derive(Default)]
struct Said {
    timer_late: bool,
    timer_ended: bool,
    may_gone: bool,
    may_spinning: bool,
}

fn run() {
    let mut said = Said::default();
    let mut may_cpu: Option<(Instant, Duration)> = None;
    loop {
        std::thread::sleep(Duration::from_secs(1));
        check_timer(&mut said);
        check_may_timer(&mut said, &mut may_cpu);
        trim_after_flood();
    }
}

/// Returns the heap's free memory once a flood of greenlets has ended.
fn trim_after_flood() {
    let (live, peak) = crate::greenlet::header::live_and_peak();
    if peak >= FLOOD && live <= peak / 8 {
        crate::greenlet::header::reset_peak(live);
        crate::sys::mem::trim_heap();
    }
}

fn check_timer(said: &mut Said) {
    if let Some(line) = said.timer(timer::thread_ended(), timer::overdue()) {
        eprintln!("{line}");
    }
}

fn check_may_timer(said: &mut Said, last: &mut Option<(Instant, Duration)>) {
    let Some(tid) = *MAY_TIMER.lock().unwrap_or_else(|e| e.into_inner()) else {
        return;
    };
    let now = Instant::now();
    let cpu = cpu_time(tid);
    let window = match (*last, cpu) {
        (Some((since, cpu_then)), Some(cpu)) if now.duration_since(since) >= SPIN_WINDOW => {
            *last = Some((now, cpu));
            Some((now.duration_since(since), cpu.saturating_sub(cpu_then)))
        }
        (None, Some(cpu)) => {
            *last = Some((now, cpu));
            None
        }
        _ => None,
    };
    if let Some(line) = said.may_timer(tid, cpu.is_some(), window) {
        eprintln!("{line}");
    }
}

impl Said {
    /// What to say of greenline's timer thread, given whether it has ended
    /// and how late it is with its earliest deadline.
    fn timer(&mut self, ended: bool, overdue: Option<Duration>) -> Option<String> {
        if ended {
            if self.timer_ended {
                return None;
            }
            self.timer_ended = true;
            return Some(
                "greenline watchdog: greenline's timer thread has ended; no sleep, timed wait, \
                 Timeout or socket timeout will ever end from now on"
                    .into(),
            );
        }
        match overdue {
            Some(late) if late >= LATE => {
                (!std::mem::replace(&mut self.timer_late, true)).then(|| {
                    format!(
                    "greenline watchdog: greenline's timer thread is {late:?} behind its earliest \
                     deadline; sleeps, timed waits and socket timeouts are not ending on time"
                )
                })
            }
            _ => std::mem::replace(&mut self.timer_late, false)
                .then(|| "greenline watchdog: greenline's timer thread has caught up".into()),
        }
    }

    /// What to say of may's timer thread `tid`, given whether it is alive
    /// and, once a window has passed, its length and the thread's CPU time
    /// in it.
    fn may_timer(
        &mut self,
        tid: i32,
        alive: bool,
        window: Option<(Duration, Duration)>,
    ) -> Option<String> {
        if !alive {
            return (!std::mem::replace(&mut self.may_gone, true)).then(|| {
                format!(
                    "greenline watchdog: may's timer thread (thread {tid}) has ended; may's own \
                     sleeps and timed waits (may::coroutine::sleep, may::sync timeouts) will \
                     never end. greenline's own timers do not use it."
                )
            });
        }
        let (length, busy) = window?;
        let spinning = busy.as_secs_f64() >= 0.9 * length.as_secs_f64();
        if std::mem::replace(&mut self.may_spinning, spinning) || !spinning {
            return None;
        }
        Some(format!(
            "greenline watchdog: may's timer thread (thread {tid}) has been on a CPU for \
             {busy:?} of the last {length:?}: it is spinning, and may's own sleeps and timed \
             waits are not ending"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_late_or_ended_timer_thread_is_reported_once_per_episode() {
        let mut said = Said::default();
        let ms = Duration::from_millis;
        assert_eq!(said.timer(false, None), None);
        assert_eq!(said.timer(false, Some(ms(50))), None);
        let late = said.timer(false, Some(LATE + ms(1))).expect("reported");
        assert!(late.contains("behind its earliest deadline"), "{late}");
        assert_eq!(said.timer(false, Some(LATE * 2)), None, "once per episode");
        let back = said.timer(false, None).expect("caught up");
        assert!(back.contains("caught up"), "{back}");
        assert!(said.timer(true, None).expect("ended").contains("has ended"));
        assert_eq!(said.timer(true, None), None);
    }

    #[test]
    fn a_dead_or_spinning_may_timer_is_reported_once() {
        let mut said = Said::default();
        let s = Duration::from_secs;
        assert_eq!(said.may_timer(7, true, None), None);
        assert_eq!(
            said.may_timer(7, true, Some((s(5), s(1)))),
            None,
            "mostly idle"
        );
        let spin = said
            .may_timer(7, true, Some((s(5), s(5))))
            .expect("spinning");
        assert!(spin.contains("spinning"), "{spin}");
        assert_eq!(said.may_timer(7, true, Some((s(5), s(5)))), None, "once");
        assert!(said
            .may_timer(7, false, None)
            .expect("gone")
            .contains("thread 7) has ended"));
        assert_eq!(said.may_timer(7, false, None), None);
    }

    #[test]
    fn the_new_thread_its_workers_follow_is_mays_timer() {
        // 12 is another thread made meanwhile; 14 is followed by 15 and 16.
        assert_eq!(
            timer_among(&[10, 11], &[10, 11, 16, 12, 14, 15], 2),
            Some(14)
        );
        assert_eq!(timer_among(&[10, 11], &[10, 11], 2), None);
        assert_eq!(timer_among(&[], &[20, 22], 1), None);
    }

    #[test]
    fn mays_timer_thread_is_found_when_the_runtime_starts() {
        crate::config::ensure_started();
        let tid = MAY_TIMER.lock().unwrap().expect("found at start-up");
        assert!(cpu_time(tid).is_some(), "thread {tid} is alive");
    }

    #[test]
    fn a_threads_cpu_time_is_read_and_a_missing_one_is_none() {
        let me = this_thread();
        assert!(cpu_time(me).is_some());
        assert!(cpu_time(i32::MAX).is_none());
    }

    /// This thread's id, from /proc (no system call wrapper needed).
    fn this_thread() -> i32 {
        std::fs::read_link("/proc/thread-self")
            .ok()
            .and_then(|p| p.file_name()?.to_str()?.parse().ok())
            .expect("/proc/thread-self names this thread")
    }
}
