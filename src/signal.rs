//! Running a closure in a greenlet when the process receives a signal:
//! gevent's `signal_handler`.
//!
//! [`signal_handler`] registers a closure for a signal number; each time the
//! process receives the signal, every closure registered for it runs in a
//! fresh greenlet of its own, as ordinary greenline code (it may block,
//! yield, spawn). A handler that panics ends its own greenlet only (the
//! panic is logged): later deliveries run it again. Several handlers may be
//! registered for one signal; [`SignalHandler::cancel`] removes one.
//!
//! # How it works
//!
//! ```text
//!  signal ─▶ signal-hook's handler ─▶ a byte in its socket pair
//!            (any thread, async-signal-safe)        │
//!                                                   ▼
//!            thread greenline-signal: read, then for each handler of
//!            the signal spawn a greenlet ─▶ a worker runs the handler
//! ```
//!
//! The process-wide signal handler is [`signal_hook`]'s: all it does is
//! record the signal and write to a socket pair. One thread,
//! `greenline-signal`, started by the first registration, blocks reading
//! that pair and spawns the handlers' greenlets; it runs no user code and
//! lives as long as the process. The workers never wait for signals, so
//! [`crate::wait`] is not held up by a registered handler (gevent's signal
//! watchers do not keep its loop alive either).
//!
//! The kernel runs signal-hook's handler on any thread that does not block
//! the signal. On a worker waiting in epoll_wait(2) that wait returns
//! `EINTR`, which may logs as `select error` (at error level, through the
//! `log` facade) and then polls again: harmless.
//!
//! Deliveries coalesce: the kernel keeps one pending instance of a signal,
//! and the thread takes every signal recorded since its last read at
//! once, so a burst of one signal may run its handlers once.
//!
//! # Dispositions
//!
//! The first handler for a signal installs signal-hook's handler for it for
//! the rest of the process (a disposition cannot be put back safely in a
//! threaded program). What happens to a signal nobody handles any more
//! follows what it was before greenline: a signal that had its default
//! action gets it again (after the last `cancel`, `SIGTERM` ends the
//! process, `SIGWINCH` does nothing), which is how gevent leaves it; one
//! that was ignored stays ignored. A handler function installed before
//! greenline's (through libc or signal-hook) keeps being called on every
//! delivery, handlers registered or not.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use signal_hook::iterator::{Handle, Signals};

use crate::sys::signal::{disposition, Disposition};

/// A registered signal handler: gevent's `signal_handler` object.
///
/// Dropping it leaves the handler registered (as a gevent program drops
/// the object `signal_handler` returns and keeps the handler); call
/// [`cancel`](SignalHandler::cancel) to remove it.
pub struct SignalHandler {
    signal: i32,
    entry: Arc<Handler>,
}

/// One registered closure.
struct Handler {
    id: u64,
    run: Box<dyn Fn() + Send + Sync>,
    /// Checked by each delivery's greenlet before it runs the closure, so
    /// no run starts after `cancel` returns.
    cancelled: AtomicBool,
}

/// Registers `handler` to run in a new greenlet each time the process
/// receives `signal`: gevent's `signal_handler(signalnum, handler)`.
///
/// The handler runs on a worker like any greenlet, never in the signal
/// handler's context, so it may do anything a greenlet does. Deliveries
/// that come close together may run it once (see the module docs).
///
/// # Errors
///
/// `ErrorKind::InvalidInput` for a number that is no signal, and for
/// `SIGKILL`, `SIGSTOP`, `SIGILL`, `SIGFPE` and `SIGSEGV`, which cannot or
/// must not be handled this way; an OS error when the handler or the
/// `greenline-signal` thread cannot be set up.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use greenline::signal::signal_handler;
/// use greenline::sync::Event;
/// use signal_hook::consts::SIGUSR1;
///
/// let got = Event::new();
/// let handler = {
///     let got = got.clone();
///     signal_handler(SIGUSR1, move || got.set()).unwrap()
/// };
/// signal_hook::low_level::raise(SIGUSR1).unwrap();
/// got.wait_timeout(Duration::from_secs(5)).unwrap();
/// handler.cancel();
/// ```
pub fn signal_handler<F>(signal: i32, handler: F) -> io::Result<SignalHandler>
where
    F: Fn() + Send + Sync + 'static,
{
    if signal <= 0 || signal > libc::SIGRTMAX() || signal_hook::consts::FORBIDDEN.contains(&signal)
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("signal {signal} cannot be handled"),
        ));
    }
    crate::config::ensure_started();
    let mut registry = registry();
    if let Entry::Vacant(slot) = registry.signals.entry(signal) {
        slot.insert(hook(signal)?);
    }
    let id = registry.next_id;
    registry.next_id += 1;
    let entry = Arc::new(Handler {
        id,
        run: Box::new(handler),
        cancelled: AtomicBool::new(false),
    });
    let hooked = registry.signals.get_mut(&signal).expect("hooked above");
    hooked.handlers.push(entry.clone());
    if let Some(idle) = &hooked.idle_default {
        idle.store(false, Ordering::SeqCst);
    }
    Ok(SignalHandler { signal, entry })
}

impl SignalHandler {
    /// The signal number it handles.
    pub fn signal(&self) -> i32 {
        self.signal
    }

    /// Unregisters the handler: gevent's `cancel()`. Once it returns, no
    /// run of the handler starts (a delivery already being handed out
    /// skips it); a run already under way is not interrupted. Calling it
    /// again does nothing. When it was the signal's last handler, the
    /// signal gets what it had before greenline (see the module docs).
    ///
    /// # Examples
    ///
    /// ```
    /// use signal_hook::consts::SIGHUP;
    /// let reload = greenline::signal::signal_handler(SIGHUP, || println!("reloading")).unwrap();
    /// assert_eq!(reload.signal(), SIGHUP);
    /// reload.cancel();
    /// ```
    pub fn cancel(&self) {
        self.entry.cancelled.store(true, Ordering::SeqCst);
        let mut registry = registry();
        if let Some(hooked) = registry.signals.get_mut(&self.signal) {
            hooked.handlers.retain(|e| e.id != self.entry.id);
            if hooked.handlers.is_empty() {
                if let Some(idle) = &hooked.idle_default {
                    idle.store(true, Ordering::SeqCst);
                }
            }
        }
    }
}

impl fmt::Debug for SignalHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignalHandler")
            .field("signal", &self.signal)
            .field("cancelled", &self.entry.cancelled.load(Ordering::Relaxed))
            .finish()
    }
}

/// Every signal greenline handles, and their handlers.
struct Registry {
    next_id: u64,
    signals: BTreeMap<i32, Hooked>,
}

/// A signal signal-hook handles for greenline.
struct Hooked {
    handlers: Vec<Arc<Handler>>,
    /// True while no handler is registered, for a signal whose disposition
    /// was its default action: signal-hook's handler then emulates that
    /// action. `None` for a signal that was ignored or had a handler, or
    /// whose default signal-hook does not know (real-time signals).
    idle_default: Option<Arc<AtomicBool>>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    next_id: 1,
    signals: BTreeMap::new(),
});

/// The registry, held for a few instructions and system calls, never
/// across a yield.
fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// Has signal-hook handle `signal` for greenline (the registry's lock is
/// held, so this runs once per signal).
fn hook(signal: i32) -> io::Result<Hooked> {
    // Read before signal-hook replaces it.
    let before = disposition(signal)?;
    delivery()?.add_signal(signal)?;
    let known = signal_hook::low_level::signal_name(signal).is_some();
    let idle_default = if before == Disposition::Default && known {
        let idle = Arc::new(AtomicBool::new(false));
        signal_hook::flag::register_conditional_default(signal, idle.clone())?;
        Some(idle)
    } else {
        None
    };
    Ok(Hooked {
        handlers: Vec::new(),
        idle_default,
    })
}

/// The handle of signal-hook's iterator that the `greenline-signal`
/// thread reads, starting the thread on first use (under the registry's
/// lock).
fn delivery() -> io::Result<&'static Handle> {
    static DELIVERY: OnceLock<Handle> = OnceLock::new();
    if let Some(h) = DELIVERY.get() {
        return Ok(h);
    }
    let mut signals = Signals::new(std::iter::empty::<i32>())?;
    let handle = signals.handle();
    std::thread::Builder::new()
        .name("greenline-signal".into())
        .spawn(move || {
            for signal in signals.forever() {
                deliver(signal);
            }
        })?;
    Ok(DELIVERY.get_or_init(|| handle))
}

/// Runs every handler of `signal`, each in a greenlet of its own.
fn deliver(signal: i32) {
    let handlers = match registry().signals.get(&signal) {
        Some(hooked) => hooked.handlers.clone(),
        None => return,
    };
    let name = match signal_hook::low_level::signal_name(signal) {
        Some(name) => format!("{name} handler"),
        None => format!("signal {signal} handler"),
    };
    for entry in handlers {
        let spawned = crate::Builder::new().name(name.clone()).spawn(move || {
            if !entry.cancelled.load(Ordering::SeqCst) {
                (entry.run)();
            }
        });
        match spawned {
            Ok(g) => g.link(|outcome| {
                if let Err(e) = outcome {
                    log::error!("greenline::signal: {e}");
                }
            }),
            Err(e) => log::error!("greenline::signal: cannot start the {name}: {e}"),
        }
    }
}
