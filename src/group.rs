//! Sets of greenlets: gevent's `Group` and `Pool`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use std::{fmt, io};

use crate::greenlet::header::Header;
use crate::greenlet::{Builder, Greenlet};
use crate::sync::waiter::lock;
use crate::sync::{Queue, Semaphore};

/// A set of greenlets joined or killed together: gevent's `Group`.
///
/// Greenlets leave the group when they finish. The handle is cheap to clone.
///
/// # Examples
///
/// ```
/// let group = greenline::Group::new();
/// for i in 0..3 {
///     group.spawn(move || greenline::sleep(std::time::Duration::from_millis(i)));
/// }
/// assert!(group.join(None));
/// assert!(group.is_empty());
/// ```
#[derive(Clone, Default)]
pub struct Group {
    members: Arc<Mutex<BTreeMap<u64, Arc<Header>>>>,
}

impl Group {
    /// An empty group.
    pub fn new() -> Group {
        Group::default()
    }

    /// Spawns `f` as a member of the group.
    pub fn spawn<F, T>(&self, f: F) -> Greenlet<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let g = crate::spawn(f);
        self.add(&g);
        g
    }

    /// Adds a running greenlet; it leaves the group when it finishes.
    pub fn add<T>(&self, g: &Greenlet<T>) {
        let header = g.header().clone();
        let id = header.id;
        lock(&self.members).insert(id, header);
        let members = Arc::downgrade(&self.members);
        g.link(move |_| {
            if let Some(m) = members.upgrade() {
                lock(&m).remove(&id);
            }
        });
        // A greenlet that finished before the link was added: the link ran
        // (or will run) in its own greenlet and removes it.
    }

    /// Number of members not yet finished.
    pub fn len(&self) -> usize {
        lock(&self.members)
            .values()
            .filter(|h| !h.is_done())
            .count()
    }

    /// True when no member is running.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits until every member has finished, or `timeout` passes; returns
    /// true when all finished. Members added while waiting are waited for.
    pub fn join(&self, timeout: Option<Duration>) -> bool {
        let deadline = timeout.and_then(crate::time::deadline_in);
        loop {
            let pending: Vec<Arc<Header>> = lock(&self.members)
                .values()
                .filter(|h| !h.is_done())
                .cloned()
                .collect();
            if pending.is_empty() {
                return true;
            }
            for h in pending {
                if h.wait(deadline).is_err() {
                    return false;
                }
            }
        }
    }

    /// Kills every member and waits up to `timeout` for them to die; true
    /// when all are dead.
    pub fn kill(&self, timeout: Option<Duration>) -> bool {
        let members: Vec<Arc<Header>> = lock(&self.members).values().cloned().collect();
        for h in &members {
            h.request_kill();
        }
        self.join(timeout)
    }
}

impl fmt::Debug for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Group").field("len", &self.len()).finish()
    }
}

/// A group with at most `size` members running at once: gevent's `Pool`.
///
/// [`spawn`](Pool::spawn) waits for a free slot, so a server that spawns
/// through a pool bounds its concurrency.
///
/// # Examples
///
/// ```
/// let pool = greenline::Pool::new(4);
/// let squares = pool.map(|x: u64| x * x, 0..8);
/// assert_eq!(squares, [0, 1, 4, 9, 16, 25, 36, 49]);
/// ```
#[derive(Clone)]
pub struct Pool {
    group: Group,
    slots: Semaphore,
    size: usize,
}

impl Pool {
    /// A pool of `size` slots.
    ///
    /// # Panics
    ///
    /// When `size` is 0.
    pub fn new(size: usize) -> Pool {
        assert!(size > 0, "a Pool needs at least one slot");
        Pool {
            group: Group::new(),
            slots: Semaphore::new(size),
            size,
        }
    }

    /// Waits for a free slot, then spawns `f` in it.
    ///
    /// Woken when a member finishes and frees its slot.
    ///
    /// # Errors
    ///
    /// `ErrorKind::TimedOut` when the caller's `Timeout` passes while the
    /// pool is full; `ErrorKind::OutOfMemory` as for [`Builder::spawn`].
    pub fn spawn<F, T>(&self, f: F) -> io::Result<Greenlet<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let permit = self.slots.acquire()?;
        let g = Builder::new().spawn(move || {
            let _permit = permit;
            f()
        })?;
        self.group.add(&g);
        Ok(g)
    }

    /// Free slots right now.
    pub fn free_count(&self) -> usize {
        self.slots.available()
    }

    /// The number of slots.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Number of members running.
    pub fn len(&self) -> usize {
        self.size - self.free_count()
    }

    /// True when no member is running.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// See [`Group::join`].
    pub fn join(&self, timeout: Option<Duration>) -> bool {
        self.group.join(timeout)
    }

    /// See [`Group::kill`].
    pub fn kill(&self, timeout: Option<Duration>) -> bool {
        self.group.kill(timeout)
    }

    /// Applies `f` to every item, at most `size` at a time, and returns the
    /// results in input order.
    ///
    /// # Panics
    ///
    /// When `f` panics for an item (the panic is re-raised with the
    /// greenlet's message), like a panic inside `Iterator::map`.
    pub fn map<I, F, R>(&self, f: F, items: I) -> Vec<R>
    where
        I: IntoIterator,
        I::Item: Send + 'static,
        F: Fn(I::Item) -> R + Send + Sync + 'static,
        R: Send + 'static,
    {
        let f = Arc::new(f);
        let handles: Vec<Greenlet<R>> = items
            .into_iter()
            .map(|item| {
                let f = f.clone();
                self.spawn(move || f(item)).expect("spawn a pool member")
            })
            .collect();
        handles
            .into_iter()
            .map(|g| g.join().unwrap_or_else(|e| panic!("Pool::map: {e}")))
            .collect()
    }

    /// Applies `f` to every item, at most `size` at a time, yielding results
    /// as they complete. Items whose greenlet panics are skipped and logged.
    pub fn imap_unordered<I, F, R>(&self, f: F, items: I) -> impl Iterator<Item = R>
    where
        I: IntoIterator,
        I::Item: Send + 'static,
        I::IntoIter: Send + 'static,
        F: Fn(I::Item) -> R + Send + Sync + 'static,
        R: Send + 'static,
    {
        let results: Queue<R> = Queue::new();
        let feeder = {
            let pool = self.clone();
            let results = results.clone();
            let f = Arc::new(f);
            let items = items.into_iter();
            crate::spawn(move || {
                let members = Group::new();
                for item in items {
                    let (f, results) = (f.clone(), results.clone());
                    match pool.spawn(move || {
                        let _ = results.put(f(item));
                    }) {
                        Ok(g) => {
                            g.link(|r| {
                                if let Err(e) = r {
                                    log::error!("Pool::imap_unordered: {e}");
                                }
                            });
                            members.add(&g)
                        }
                        Err(e) => log::error!("Pool::imap_unordered: {e}"),
                    }
                }
                members.join(None);
                results.close();
            })
        };
        drop(feeder);
        std::iter::from_fn(move || results.get().ok())
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("size", &self.size)
            .field("running", &self.len())
            .finish()
    }
}
