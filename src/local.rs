//! Greenlet-local storage: gevent's `local`.
//!
//! `thread_local!` is wrong inside greenlets: a greenlet moves between worker
//! threads at every yield, and many greenlets share one thread. A [`Local`]
//! keeps one value per greenlet instead (and one per thread for code running
//! on a plain thread). The values of a greenlet are dropped when it ends.

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::marker::PhantomData;

may::coroutine_local!(static VALUES: RefCell<HashMap<usize, Box<dyn Any>>> = RefCell::new(HashMap::new()));

/// A per-greenlet slot, declared as a `static`.
///
/// # Examples
///
/// ```
/// use greenline::local::Local;
/// static REQUEST_ID: Local<u64> = Local::new();
///
/// let a = greenline::spawn(|| { REQUEST_ID.set(1); greenline::yield_now(); REQUEST_ID.get() });
/// let b = greenline::spawn(|| { REQUEST_ID.set(2); greenline::yield_now(); REQUEST_ID.get() });
/// assert_eq!(a.join().unwrap(), Some(1));
/// assert_eq!(b.join().unwrap(), Some(2));
/// ```
pub struct Local<T> {
    /// Gives each `Local` a distinct address (a zero-sized static may share
    /// its address with another one).
    _key: u8,
    _marker: PhantomData<fn() -> T>,
}

impl<T: 'static> Local<T> {
    /// A slot that is empty in every greenlet.
    pub const fn new() -> Local<T> {
        Local {
            _key: 0,
            _marker: PhantomData,
        }
    }

    fn key(&'static self) -> usize {
        &self._key as *const u8 as usize
    }

    /// Stores `value` for the calling greenlet, returning the previous one.
    pub fn set(&'static self, value: T) -> Option<T> {
        VALUES.with(|m| {
            m.borrow_mut()
                .insert(self.key(), Box::new(value))
                .and_then(|old| old.downcast::<T>().ok().map(|b| *b))
        })
    }

    /// Removes and returns the calling greenlet's value.
    pub fn take(&'static self) -> Option<T> {
        VALUES.with(|m| {
            m.borrow_mut()
                .remove(&self.key())
                .and_then(|old| old.downcast::<T>().ok().map(|b| *b))
        })
    }

    /// Calls `f` with the calling greenlet's value, if any.
    ///
    /// `f` must not yield (the value is borrowed from greenlet-local storage
    /// for the duration of the call) and must not use this `Local` again.
    pub fn with<R>(&'static self, f: impl FnOnce(Option<&T>) -> R) -> R {
        VALUES.with(|m| {
            let map = m.borrow();
            f(map.get(&self.key()).and_then(|b| b.downcast_ref::<T>()))
        })
    }

    /// A copy of the calling greenlet's value.
    pub fn get(&'static self) -> Option<T>
    where
        T: Clone,
    {
        self.with(|v| v.cloned())
    }
}

impl<T: 'static> Default for Local<T> {
    fn default() -> Self {
        Local::new()
    }
}
