//! may coroutines: spawn, cancel, and the scheduler's start.
//!
//! The soundness contract for spawning is in the module docs of `sys`.

use std::io;

use may::coroutine::{Builder as CoBuilder, Coroutine, JoinHandle};

/// Starts a may coroutine running `f`.
///
/// `stack_bytes` of `None` uses the runtime default (pooled stacks).
///
/// With `in_place`, the new coroutine is first resumed right here, on the
/// calling worker, and must yield at once (greenline's body does, before any
/// user code): its yield puts it on this worker's local run queue. may's
/// `spawn` instead pushes to a worker's inbox and wakes that worker through
/// an eventfd write, a system call per spawn, which is most of what a spawn
/// costs. Only for callers that are greenlets on a worker.
pub(crate) fn spawn_coroutine<F>(
    name: Option<String>,
    stack_bytes: Option<usize>,
    in_place: bool,
    f: F,
) -> io::Result<JoinHandle<()>>
where
    F: FnOnce() + Send + 'static,
{
    let mut builder = CoBuilder::new();
    if let Some(name) = name {
        builder = builder.name(name);
    }
    if let Some(bytes) = stack_bytes {
        // may counts stack sizes in machine words; its docs do not say so.
        builder = builder.stack_size(bytes / std::mem::size_of::<usize>());
    }
    // SAFETY: `f` is `Send + 'static`, so everything it captures may move to
    // any worker. What it creates on its own stack is covered by the contract
    // in this module's docs (rules 1 and 2), which greenline's own code keeps
    // and which the crate docs ask users to keep; the stack size is either
    // may's configured default (set by `config`) or the caller's explicit
    // choice (rule 3). `spawn_local` additionally resumes the coroutine on
    // this thread before returning; the caller guarantees it yields before
    // running user code, so nothing of the caller's is observed meanwhile.
    unsafe {
        if in_place {
            builder.spawn_local(f)
        } else {
            builder.spawn(f)
        }
    }
}

/// Starts may's scheduler (its threads), if it has not started: may starts
/// it on first use, and a coroutine that does nothing is the cheapest use.
pub(crate) fn start_scheduler() {
    // SAFETY: the closure captures nothing and does nothing.
    drop(unsafe { may::coroutine::spawn(|| {}) });
}

/// Asks may to cancel a coroutine: at its next yield point it unwinds with
/// may's cancel payload (destructors run, so its sockets close).
pub(crate) fn cancel(co: &Coroutine) {
    // SAFETY: cancellation unwinds the target through its normal drop glue.
    // may's caveat is that drop code running during that unwind must not call
    // coroutine APIs that could raise a second cancel panic; greenline's own
    // drop impls never block or yield, and greenlet bodies run under
    // `catch_unwind` in `greenlet::spawn`, so the unwind ends there.
    unsafe { co.cancel() }
}
