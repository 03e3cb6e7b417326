//! The settings in force, shared between the command (which swaps them
//! on a reload) and the services (which read them when they act).

use std::fmt;
use std::sync::{Arc, RwLock};

/// A handle to the application's settings in force: the command replaces
/// them when a reload is applied, and services read the new values from
/// their `do_reload` on (or on each request).
///
/// Reading takes a lock for the time of an `Arc` clone, never across a
/// blocking call, so any greenlet may read at any time.
pub struct Current<S> {
    inner: Arc<RwLock<Arc<S>>>,
}

impl<S> Clone for Current<S> {
    fn clone(&self) -> Self {
        Current {
            inner: self.inner.clone(),
        }
    }
}

impl<S> Current<S> {
    /// A handle holding `settings`.
    pub fn new(settings: S) -> Current<S> {
        Current {
            inner: Arc::new(RwLock::new(Arc::new(settings))),
        }
    }

    /// The settings in force now. A reload after this call does not change
    /// what it returned.
    pub fn get(&self) -> Arc<S> {
        self.inner.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Puts `settings` in force and returns the previous ones.
    pub fn replace(&self, settings: Arc<S>) -> Arc<S> {
        std::mem::replace(
            &mut *self.inner.write().unwrap_or_else(|p| p.into_inner()),
            settings,
        )
    }
}

impl<S: fmt::Debug> fmt::Debug for Current<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Current").field(&self.get()).finish()
    }
}
