//! A greenlet handle whose body runs on a plain thread: what a thread
//! pool's task returns, so that `join`, `join_timeout`, `joinall`, `Group`,
//! `link` and `kill` work on it as on any greenlet.
//!
//! The handle's header is completed by the thread that runs the body
//! instead of by a coroutine. It has no coroutine to cancel: a kill
//! before the body starts keeps it from running (the task ends
//! `Killed`); a body already running cannot be interrupted, and runs to
//! its end.

use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use super::header::{self, Header};
use super::{panic_message, Greenlet, GreenletError};
use crate::sync::waiter;

/// The half of a task that the thread running it keeps (see the module
/// docs). Dropped without [`run`](Completion::run) (its queue went away),
/// it ends the task `Killed`, so no joiner waits forever.
pub(crate) struct Completion<T> {
    header: Arc<Header>,
    value: Arc<Mutex<Option<Result<T, GreenletError>>>>,
    done: bool,
}

/// A new task named `name`: the handle for its callers and the half that
/// completes it. It counts as a live greenlet (for [`crate::wait`]) from
/// now until it ends.
pub(crate) fn task<T>(name: Option<String>) -> (Greenlet<T>, Completion<T>) {
    let header = Header::new(name, None);
    header::started();
    let value = Arc::new(Mutex::new(None));
    let completion = Completion {
        header: header.clone(),
        value: value.clone(),
        done: false,
    };
    (Greenlet { header, value }, completion)
}

impl<T> Completion<T> {
    /// Runs `f` on this thread, unless the task was killed first, and
    /// records its value or its panic as the greenlet's end.
    pub(crate) fn run(mut self, f: impl FnOnce() -> T) {
        let r = if self.header.kill_requested() {
            Err(GreenletError::Killed {
                greenlet: self.header.label(),
            })
        } else {
            panic::catch_unwind(AssertUnwindSafe(f)).map_err(|p| GreenletError::Panicked {
                greenlet: self.header.label(),
                message: panic_message(p.as_ref()),
            })
        };
        self.finish(r);
    }

    fn finish(&mut self, r: Result<T, GreenletError>) {
        self.done = true;
        let outcome = r.as_ref().map(|_| ()).map_err(Clone::clone);
        *waiter::lock(&self.value) = Some(r);
        self.header.finish(outcome);
    }
}

impl<T> Drop for Completion<T> {
    fn drop(&mut self) {
        if !self.done {
            let killed = GreenletError::Killed {
                greenlet: self.header.label(),
            };
            self.finish(Err(killed));
        }
    }
}
