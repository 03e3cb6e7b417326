//! Coordination between greenlets and threads: gevent's `event`, `queue` and
//! `lock` modules.
//!
//! Every type here works from greenlets and from plain OS threads alike: a
//! greenlet that waits yields to the scheduler, a thread that waits blocks.
//! Wake-ups cross that boundary both ways. All handles are cheap to clone
//! (they share one state), so a clone can move into each greenlet.
//!
//! Every blocking call honours the caller's [`crate::Timeout`]; every one has
//! a variant with its own timeout and a non-blocking `try_` variant where
//! that makes sense.

mod channel;
mod event;
mod joinable;
mod queue;
mod result;
mod rlock;
mod semaphore;
pub(crate) mod waiter;

pub use channel::Channel;
pub use event::Event;
pub use joinable::JoinableQueue;
pub use queue::{GetError, PutError, Queue, TryGetError, TryPutError};
pub use result::{AsyncResult, ResultError};
pub use rlock::{RLock, RLockGuard};
pub use semaphore::{BoundedSemaphore, ReleaseError, Semaphore, SemaphoreGuard};
