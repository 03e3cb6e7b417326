//! Which greenlet is running: the current-greenlet record, and the marks
//! a wait leaves for the test harness and the blocking monitor.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::header::{self, Header};
use super::GreenletError;

may::coroutine_local!(static CURRENT: RefCell<Option<Current>> = RefCell::new(None));

/// The running greenlet's header, in may's coroutine-local storage.
///
/// may drops a coroutine's local storage when the coroutine ends, whichever
/// way it ends. A stack overflow ends it without unwinding, so the body never
/// records its end; this guard's `Drop` does it instead, and joiners wake.
struct Current(Arc<Header>);

impl Drop for Current {
    fn drop(&mut self) {
        if !self.0.is_done() {
            self.0.finish(Err(GreenletError::StackOverflow {
                greenlet: self.0.label(),
            }));
        }
    }
}

thread_local! {
    /// Set on may's worker threads the first time greenline code runs
    /// there (a greenlet's first resume always happens on a worker).
    pub(super) static ON_WORKER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// True when the calling greenlet runs on one of may's workers (not on the
/// timer thread, where a timer resumed it, nor a plain thread).
pub(super) fn on_worker() -> bool {
    ON_WORKER.with(|w| w.get())
}

/// Records `header` as the running greenlet, for the rest of its life.
pub(super) fn enter(header: &Arc<Header>) {
    CURRENT.with(|c| *c.borrow_mut() = Some(Current(header.clone())));
}

/// The id of the greenlet calling this, `None` on a plain thread or in a
/// coroutine greenline did not spawn.
pub fn current_id() -> Option<u64> {
    current().map(|h| h.id)
}

/// The name of the calling greenlet, if it has one.
pub fn current_name() -> Option<String> {
    current().and_then(|h| h.name.clone())
}

pub(crate) fn current() -> Option<Arc<Header>> {
    if !may::coroutine::is_coroutine() {
        return None;
    }
    CURRENT.with(|c| c.borrow().as_ref().map(|cur| cur.0.clone()))
}

/// Whether the calling greenlet has been asked to die (false off
/// greenlets): `current()` without the reference count, for the check
/// after every socket wait. The first test, inlined, settles it when no
/// greenlet anywhere is being killed.
#[inline]
pub(crate) fn kill_requested() -> bool {
    header::kills_pending() && current_kill_requested()
}

#[inline(never)]
fn current_kill_requested() -> bool {
    may::coroutine::is_coroutine()
        && CURRENT.with(|c| {
            c.borrow()
                .as_ref()
                .is_some_and(|cur| cur.0.kill_requested())
        })
}

// ---- Instrumentation of waits (test harness, blocking monitor) -------------

/// On while the test harness tracks greenlets or the monitor runs.
static INSTRUMENTED: AtomicBool = AtomicBool::new(false);

pub(crate) fn refresh_instrumentation() {
    INSTRUMENTED.store(
        header::tracking() || crate::monitor::enabled(),
        Ordering::SeqCst,
    );
}

/// Returned by `enter_wait`, handed back to `leave_wait`.
pub(crate) struct WaitTicket(Option<Arc<Header>>);

/// Whether the blocking detector watches greenlets' waits.
#[inline]
pub(crate) fn instrumented() -> bool {
    INSTRUMENTED.load(Ordering::Relaxed)
}

/// Marks the calling greenlet as parked in `what`.
#[inline]
pub(crate) fn enter_wait(what: &'static str) -> WaitTicket {
    if !INSTRUMENTED.load(Ordering::Relaxed) {
        return WaitTicket(None);
    }
    let h = current();
    if let Some(h) = &h {
        h.set_waiting_on(Some(what));
    }
    crate::monitor::greenlet_stopped();
    WaitTicket(h)
}

/// Marks the greenlet as running again (on whichever thread resumed it).
#[inline]
pub(crate) fn leave_wait(ticket: WaitTicket) {
    if let Some(h) = ticket.0 {
        h.set_waiting_on(None);
        crate::monitor::greenlet_running(&h);
    }
}
