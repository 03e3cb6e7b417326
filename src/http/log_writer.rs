//! The access log's writer thread: connections hand it their lines a batch
//! at a time, and it writes them, so that neither a slow destination nor a
//! write per line costs the workers anything.
//!
//! ```text
//!  connection: format each line into its own buffer ── batch written? ──▶ hand the
//!              buffer over (no wait): queued bytes + batch over QUEUE_BYTES?
//!                  yes: drop the batch, count its lines      no: queue it
//!  thread:     take every queued batch (up to WRITE_MAX) ─▶ one write (or, for the
//!              `log` crate, one record per line) ─▶ report lines dropped since the last
//!              report ─▶ answer the flushes queued behind them ─▶ wait for more
//! ```
//!
//! Nothing is lost without being counted: a batch that finds the queue
//! full, or a writer that failed, adds its lines to
//! [`AccessWriter::dropped_lines`], and the thread warns through `log`
//! (target `greenline::http`) each time it has dropped more. At low load
//! the thread writes each batch as it arrives; a line waits only for the
//! rest of its connection's batch (the requests answered with one write).

use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use crate::sync::{Event, Queue};

/// The `log` target access lines are written to with
/// [`AccessLog::Log`](super::AccessLog::Log): the writer thread logs each
/// line as one `info` record under it.
pub const ACCESS_TARGET: &str = "greenline::http::access";

/// Most bytes of lines queued and not yet written; a batch that would pass
/// it is dropped (and counted). About 50,000 lines: 20 ms of a pipelining
/// server's output at full speed.
const QUEUE_BYTES: usize = 4 << 20;
/// Most bytes the thread gathers for one write.
const WRITE_MAX: usize = 256 << 10;

/// A writer thread and its queue, shared by every clone. The thread starts
/// with the first batch, and ends once every clone is dropped and what was
/// queued is written.
#[derive(Clone)]
pub struct AccessWriter {
    handle: Arc<Handle>,
}

/// Closes the queue when the last clone goes, which ends the thread.
struct Handle {
    shared: Arc<Shared>,
    /// What the thread writes to, until it starts and takes it.
    dest: Mutex<Option<Dest>>,
    /// Whether the thread runs: set (once) by the first batch.
    started: OnceLock<bool>,
}

struct Shared {
    queue: Queue<Msg>,
    /// Bytes of lines queued or being written.
    queued: AtomicUsize,
    /// Lines dropped in all.
    dropped: AtomicU64,
}

enum Msg {
    Lines(Batch),
    /// Set once every line queued before it is written.
    Flush(Event),
}

/// Lines formatted by one connection, each ending in `\n`.
pub(crate) struct Batch {
    pub(crate) text: String,
    pub(crate) lines: u64,
}

pub(crate) enum Dest {
    /// One `log::info!` record per line, target [`ACCESS_TARGET`].
    Log,
    Write(Box<dyn Write + Send>),
}

impl AccessWriter {
    pub(crate) fn new(dest: Dest) -> AccessWriter {
        AccessWriter {
            handle: Arc::new(Handle {
                shared: Arc::new(Shared {
                    queue: Queue::new(),
                    queued: AtomicUsize::new(0),
                    dropped: AtomicU64::new(0),
                }),
                dest: Mutex::new(Some(dest)),
                started: OnceLock::new(),
            }),
        }
    }

    /// The writer behind [`AccessLog::Log`](super::AccessLog::Log), one
    /// per process.
    pub(crate) fn log() -> &'static AccessWriter {
        static LOG: OnceLock<AccessWriter> = OnceLock::new();
        LOG.get_or_init(|| AccessWriter::new(Dest::Log))
    }

    /// Access log lines dropped so far because the writer could not keep
    /// up (its queue was full) or its destination failed.
    pub fn dropped_lines(&self) -> u64 {
        self.handle.shared.dropped.load(SeqCst)
    }

    /// Waits until every line handed over before the call is written (or
    /// dropped and counted).
    ///
    /// Woken by the writer thread when it gets there; from a greenlet, the
    /// wait yields.
    ///
    /// # Errors
    ///
    /// `TimedOut` when `timeout` passes first (the destination is slow or
    /// stuck); the lines are still written when it can take them.
    pub fn flush(&self, timeout: Duration) -> io::Result<()> {
        if self.handle.started.get() != Some(&true) {
            // Nothing was ever handed over, or nothing can be written.
            return Ok(());
        }
        let done = Event::new();
        if self
            .handle
            .shared
            .queue
            .try_put(Msg::Flush(done.clone()))
            .is_err()
        {
            return Ok(());
        }
        done.wait_timeout(timeout)
    }

    /// Queues `batch` for the thread without waiting: dropped and counted
    /// when the queue holds [`QUEUE_BYTES`] already.
    pub(crate) fn hand_over(&self, batch: Batch) {
        let shared = &self.handle.shared;
        if !self.start() {
            shared.dropped.fetch_add(batch.lines, SeqCst);
            return;
        }
        let len = batch.text.len();
        if shared.queued.fetch_add(len, SeqCst) + len > QUEUE_BYTES {
            shared.queued.fetch_sub(len, SeqCst);
            shared.dropped.fetch_add(batch.lines, SeqCst);
            return;
        }
        let lines = batch.lines;
        if shared.queue.try_put(Msg::Lines(batch)).is_err() {
            shared.queued.fetch_sub(len, SeqCst);
            shared.dropped.fetch_add(lines, SeqCst);
        }
    }

    /// Starts the thread if it has not started; whether it runs.
    fn start(&self) -> bool {
        *self.handle.started.get_or_init(|| {
            let Some(dest) = self.handle.dest.lock().ok().and_then(|mut d| d.take()) else {
                return false;
            };
            let shared = self.handle.shared.clone();
            let spawned = std::thread::Builder::new()
                .name("greenline-access-log".into())
                .spawn(move || run(&shared, dest));
            match spawned {
                Ok(_) => true,
                Err(e) => {
                    log::error!(target: "greenline::http", "access log thread not started, lines are dropped: {e}");
                    false
                }
            }
        })
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.shared.queue.close();
    }
}

impl std::fmt::Debug for AccessWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessWriter")
            .field("dropped_lines", &self.dropped_lines())
            .finish()
    }
}

/// The thread: gathers what is queued, writes it, until the queue closes
/// and is empty.
fn run(shared: &Shared, mut dest: Dest) {
    let mut text = String::new();
    let mut reported = 0;
    while let Ok(first) = shared.queue.get() {
        let mut flushes = Vec::new();
        let mut lines = 0;
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Msg::Lines(batch) => {
                    text.push_str(&batch.text);
                    lines += batch.lines;
                }
                Msg::Flush(done) => flushes.push(done),
            }
            if text.len() < WRITE_MAX {
                next = shared.queue.try_get().ok();
            }
        }
        if text.is_empty() {
            // Only flushes: nothing to write.
        } else if let Err(e) = dest.write(&text) {
            shared.dropped.fetch_add(lines, SeqCst);
            log::warn!(target: "greenline::http", "access log write failed: {e}");
        }
        shared.queued.fetch_sub(text.len(), SeqCst);
        text.clear();
        if text.capacity() > WRITE_MAX {
            text.shrink_to(WRITE_MAX);
        }
        let dropped = shared.dropped.load(SeqCst);
        if dropped > reported {
            log::warn!(
                target: "greenline::http",
                "access log: {} lines dropped ({dropped} in all): the log could not keep up",
                dropped - reported
            );
            reported = dropped;
        }
        for done in flushes {
            done.set();
        }
    }
}

impl Dest {
    fn write(&mut self, text: &str) -> io::Result<()> {
        match self {
            Dest::Log => {
                for line in text.lines() {
                    log::info!(target: ACCESS_TARGET, "{line}");
                }
                log::logger().flush();
                Ok(())
            }
            Dest::Write(w) => {
                w.write_all(text.as_bytes())?;
                w.flush()
            }
        }
    }
}
