//! Waiting until a worker has polled for I/O: how `yield_now` lets sockets
//! make progress.
//!
//! A may worker polls its sockets only when its local run queue is empty,
//! and when the queue runs dry it first takes its inbox (the greenlets woken
//! from other threads) and runs those. So a greenlet that leaves the queue
//! for a moment only (parks, and is woken at once from another thread) is
//! back through the inbox before the worker polls whenever another greenlet
//! keeps the queue busy: measured, with four greenlets looping on a yield
//! that did that on one worker, ten socket round trips beside them took up
//! to half a second. A greenlet that must let the worker poll waits for the
//! poll itself:
//!
//! ```text
//!  first fair yield of a round: arm ── write a byte into the ring end of a socket pair
//!        │                             whose polled end is in may's poller
//!        ▼
//!  wait_io on the polled end ◀── only a poll reports the byte's edge (nothing
//!        │                       else wakes the wait), so a poll has happened
//!        ▼
//!  drain the byte, end the round: wake every greenlet that joined it
//!
//!  fair yields while the round is open (from a thread that asked for it, or
//!  any thread once its own millisecond is up): join, park until the round ends
//! ```
//!
//! Once every greenlet yielding on the worker has joined, the queue is
//! empty, the worker polls, and the round ends: a round costs a write and a
//! read on the pair, and a worker's sockets wait for at most one pass over
//! the greenlets yielding on it.
//!
//! The pair is registered with one worker's poller (may picks it by
//! descriptor). With several workers, a round's greenlets wake on that
//! worker, and idle workers steal them back as they steal any work.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex, OnceLock};

use may::io::WaitIo;

use crate::sys::registered::Registered;

use super::park::Wait;
use super::timer::NONE;
use crate::sync::waiter::lock;

/// The process's gate; `None` when its socket pair could not be made (out
/// of descriptors), and `yield_now` falls back to handing the greenlet back
/// through the timer thread.
static GATE: OnceLock<Option<Gate>> = OnceLock::new();

/// The gate, made on first use.
pub(crate) fn get() -> Option<&'static Gate> {
    GATE.get_or_init(|| match Gate::new() {
        Ok(gate) => Some(gate),
        Err(e) => {
            log::warn!("greenline: yield_now cannot wait for I/O polls ({e}); falling back");
            None
        }
    })
    .as_ref()
}

/// A round of waiting for a poll; see the module docs.
pub(crate) struct Gate {
    /// The end in may's poller, waited on by a round's first greenlet.
    polled: Registered<UnixStream>,
    /// The end written to arm a round.
    ring: UnixStream,
    /// Rounds ended; the round open (or next to open) is this number.
    round: AtomicU64,
    state: Mutex<State>,
}

struct State {
    /// A round's first greenlet waits on `polled`.
    armed: bool,
    /// The greenlets that joined the open round.
    joined: Vec<Arc<Wait>>,
}

impl Gate {
    fn new() -> io::Result<Gate> {
        let (polled, ring) = UnixStream::pair()?;
        ring.set_nonblocking(true)?;
        Ok(Gate {
            // Registers the end with may's poller and makes it non-blocking.
            polled: Registered::new(polled)?,
            ring,
            round: AtomicU64::new(0),
            state: Mutex::new(State {
                armed: false,
                joined: Vec::new(),
            }),
        })
    }

    /// The round open now, or the next to open.
    pub(crate) fn round(&self) -> u64 {
        self.round.load(SeqCst)
    }

    /// Waits until a worker has polled for I/O after this call began: woken
    /// by that poll, or by the greenlet that saw it. Greenlets only. A
    /// greenlet killed while it waits unwinds out of here; if it opened the
    /// round, the round ends as it unwinds, and those that joined go on.
    pub(crate) fn wait_for_poll(&self) {
        let mut state = lock(&self.state);
        if state.armed {
            let round = self.round();
            let wait = Wait::new();
            state.joined.push(wait.clone());
            drop(state);
            // Wake-ups are hints: one left over from an earlier wait ends a
            // park early.
            while self.round() == round {
                wait.park(NONE);
            }
            return;
        }
        state.armed = true;
        drop(state);
        let _end = EndRound(self);
        // An edge reported before now (the registration's own, say) must
        // not end the wait: only the byte written next may.
        #[allow(deprecated)] // reset_io: may calls it needless; here it is the point
        let _ = self.polled.reset_io();
        if (&self.ring).write(&[1]).is_err() {
            // The pair is full or broken: no poll can be asked for this
            // round; the yield is then a plain one.
            return;
        }
        self.polled.wait_io();
        // may's wait_io returns when the greenlet is killed; unwind as
        // may's other waits do.
        if crate::greenlet::kill_requested() {
            may::coroutine::trigger_cancel_panic();
        }
    }
}

/// Ends the round its greenlet opened, when its wait returns or unwinds.
struct EndRound<'a>(&'a Gate);

impl Drop for EndRound<'_> {
    fn drop(&mut self) {
        let gate = self.0;
        let mut byte = [0; 16];
        while matches!(gate.polled.inner().read(&mut byte), Ok(1..)) {}
        let joined = {
            let mut state = lock(&gate.state);
            gate.round.fetch_add(1, SeqCst);
            state.armed = false;
            std::mem::take(&mut state.joined)
        };
        for wait in joined {
            wait.unpark();
        }
    }
}
