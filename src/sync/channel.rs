//! A rendezvous channel: gevent's `Channel` (a queue of size zero).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::queue::{GetError, PutError};
use super::waiter::{self, WaitQueue};

/// A channel without storage: `put` returns only once a `get` has taken the
/// item.
///
/// # Examples
///
/// ```
/// use greenline::sync::Channel;
/// let ch = Channel::new();
/// let taker = { let ch = ch.clone(); greenline::spawn(move || ch.get()) };
/// ch.put("hand-over").unwrap(); // returns once the taker has it
/// assert_eq!(taker.join().unwrap(), Ok("hand-over"));
/// ```
pub struct Channel<T> {
    inner: Arc<Mutex<State<T>>>,
}

struct State<T> {
    /// Items offered by blocked putters, with the flag each putter waits on.
    offers: VecDeque<(Arc<AtomicBool>, T)>,
    closed: bool,
    getters: WaitQueue,
    putters: WaitQueue,
}

impl<T> Channel<T> {
    /// A new, open channel.
    pub fn new() -> Channel<T> {
        Channel {
            inner: Arc::new(Mutex::new(State {
                offers: VecDeque::new(),
                closed: false,
                getters: WaitQueue::new(),
                putters: WaitQueue::new(),
            })),
        }
    }

    /// Offers `item` and waits until a getter has taken it.
    ///
    /// Woken by the `get` that takes the item, or by [`close`](Channel::close).
    ///
    /// # Errors
    ///
    /// [`PutError::Closed`] or [`PutError::TimedOut`] with the item, which
    /// then was not taken.
    pub fn put(&self, item: T) -> Result<(), PutError<T>> {
        self.put_deadline(item, None)
    }

    /// Like [`put`](Channel::put), giving up after `timeout`.
    pub fn put_timeout(&self, item: T, timeout: Duration) -> Result<(), PutError<T>> {
        self.put_deadline(item, crate::time::deadline_in(timeout))
    }

    fn put_deadline(&self, item: T, deadline: Option<Instant>) -> Result<(), PutError<T>> {
        let taken = Arc::new(AtomicBool::new(false));
        {
            let mut s = waiter::lock(&self.inner);
            if s.closed {
                return Err(PutError::Closed(item));
            }
            s.offers.push_back((taken.clone(), item));
            s.getters.notify_one();
        }
        let r = waiter::wait_while(
            &self.inner,
            deadline,
            "Channel::put",
            |s| {
                if taken.load(Ordering::Acquire) {
                    Some(None)
                } else if s.closed {
                    Some(withdraw(s, &taken))
                } else {
                    None
                }
            },
            |s| &mut s.putters,
        );
        match r {
            Ok(None) => Ok(()),
            Ok(Some(item)) => Err(PutError::Closed(item)),
            // Taken between the deadline and the withdrawal: delivered.
            Err(_) => match withdraw(&mut waiter::lock(&self.inner), &taken) {
                Some(item) => Err(PutError::TimedOut(item)),
                None => Ok(()),
            },
        }
    }

    /// Waits for a putter and takes its item.
    ///
    /// Woken by a `put`, or by [`close`](Channel::close).
    ///
    /// # Errors
    ///
    /// [`GetError::Closed`] when closed with no offer left;
    /// [`GetError::TimedOut`] when the timeout passes.
    pub fn get(&self) -> Result<T, GetError> {
        self.get_deadline(None)
    }

    /// Like [`get`](Channel::get), giving up after `timeout`.
    pub fn get_timeout(&self, timeout: Duration) -> Result<T, GetError> {
        self.get_deadline(crate::time::deadline_in(timeout))
    }

    fn get_deadline(&self, deadline: Option<Instant>) -> Result<T, GetError> {
        let r = waiter::wait_while(
            &self.inner,
            deadline,
            "Channel::get",
            |s| match s.offers.pop_front() {
                Some((taken, item)) => {
                    taken.store(true, Ordering::Release);
                    // Putters wait on their own flag; wake them all to look.
                    s.putters.notify_all();
                    Some(Ok(item))
                }
                None if s.closed => Some(Err(GetError::Closed)),
                None => None,
            },
            |s| &mut s.getters,
        );
        r.unwrap_or(Err(GetError::TimedOut))
    }

    /// Closes the channel: every blocked putter gets its item back, every
    /// blocked getter gets [`GetError::Closed`].
    pub fn close(&self) {
        let mut s = waiter::lock(&self.inner);
        s.closed = true;
        s.getters.notify_all();
        s.putters.notify_all();
    }
}

/// Takes back this putter's offer if no getter has taken it yet.
fn withdraw<T>(s: &mut State<T>, taken: &Arc<AtomicBool>) -> Option<T> {
    let i = s.offers.iter().position(|(t, _)| Arc::ptr_eq(t, taken))?;
    s.offers.remove(i).map(|(_, item)| item)
}

impl<T> Default for Channel<T> {
    fn default() -> Self {
        Channel::new()
    }
}

impl<T> Clone for Channel<T> {
    fn clone(&self) -> Self {
        Channel {
            inner: self.inner.clone(),
        }
    }
}
