//! A one-way queue of whole messages between a socket and one peer.
//!
//! Every peer of a socket is two pipes: `tx` (the socket writes, the peer's
//! side reads) and `rx` (the other way). For a tcp or ipc peer the other side
//! is the connection's writer or reader greenlet; for an inproc peer it is
//! the other socket itself, so a message crosses inproc as the same `Bytes`
//! without encoding or copying.
//!
//! The high-water mark counts whole messages (libzmq `pipe.cpp` counts on the
//! last frame), so a multipart message is one unit and is never split: a
//! pipe holds whole [`Msg`]s, not frames. 0 means no limit.
//!
//! A pipe never notifies while its lock is held: operations that wake the
//! other side return its [`Signal`] for the caller to notify later.
//!
//! It wakes a side only if that side saw the pipe empty (reader) or full
//! (writer) since it was last woken, as libzmq's pipes do with their
//! "active" flags: a reader that keeps finding messages, or a writer that
//! keeps finding room, costs the other side no notification. Every way of
//! looking that can end in a wait (`take_all`, `pop_batch`, `has_message`
//! finding nothing; `try_push`, `has_room` finding no room) raises the flag,
//! and the waiter parks only if its signal's generation is unchanged since
//! before it looked, so a change made after the look is always announced.
//! Closing wakes both sides regardless.
//!
//! A socket reads its pipes through an [`Inbox`](super::inbox::Inbox),
//! which takes everything queued at once (one lock for many messages, as
//! libzmq's `ypipe` reader prefetches) and consumes it without the lock.
//! Those messages still count against the high-water mark until consumed,
//! one by one: `batched` is the reader's count of them, and the writer adds
//! it to the queue's length. Neither side locks for that, so the writer
//! raises `writer_blocked` *before* its second look at `batched`, and the
//! reader lowers `batched` *before* it looks at `writer_blocked` (both
//! `SeqCst`): either the reader sees the flag and wakes the writer, or the
//! writer sees the room.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::msg::Msg;
use super::signal::{Signal, Wakeups};

struct State {
    queue: VecDeque<Msg>,
    /// Most messages queued at once; 0 for no limit.
    hwm: usize,
    /// Messages the reader took but has not finished with (a connection's
    /// writer between popping a batch and `write_all` returning), so that a
    /// lingering close knows when they are really out.
    in_flight: usize,
    /// Set when either end is gone: no more pushes; what is queued can still
    /// be read.
    closed: bool,
    /// Woken when a message arrives.
    reader: Option<Arc<Signal>>,
    /// Woken when room frees up or the pipe closes.
    writer: Option<Arc<Signal>>,
    /// The reader found the pipe empty and has not been woken since.
    reader_starved: bool,
}

impl State {
    /// The reader's signal if it is waiting for a message (clears the flag).
    fn wake_reader(&mut self) -> Option<Arc<Signal>> {
        if std::mem::take(&mut self.reader_starved) {
            self.reader.clone()
        } else {
            None
        }
    }
}

/// See the module docs.
pub(crate) struct Pipe {
    state: Mutex<State>,
    /// `State::closed`, readable without the lock (a socket checks every
    /// peer's pipes on each call to forget the finished ones).
    closed: AtomicBool,
    /// Messages the reader's [`Inbox`](super::inbox::Inbox) took out of the
    /// queue and has not consumed: they still count against the high-water
    /// mark. Written only by the reader (see the module docs).
    batched: AtomicUsize,
    /// The writer found the pipe full and has not been woken since. Raised
    /// under the lock; the reader looks at it without the lock after each
    /// message it consumes.
    writer_blocked: AtomicBool,
}

impl Pipe {
    pub(crate) fn new(hwm: usize) -> Arc<Pipe> {
        Arc::new(Pipe {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                hwm,
                in_flight: 0,
                closed: false,
                reader: None,
                writer: None,
                reader_starved: false,
            }),
            closed: AtomicBool::new(false),
            batched: AtomicUsize::new(0),
            writer_blocked: AtomicBool::new(false),
        })
    }

    /// The pipe's state, under a plain std guard rather than
    /// `waiter::lock`'s: a pipe has no wait queue, so nobody is woken under
    /// its lock (the signals to notify are returned instead) and its unlock
    /// need not look for woken waiters to drop. Poisoning is ignored as
    /// there: nothing that can panic runs under this lock.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets who reads. The new reader is counted as waiting: it has not
    /// looked yet, so the next message wakes it.
    pub(crate) fn set_reader(&self, signal: &Arc<Signal>) {
        let mut s = self.state();
        s.reader = Some(signal.clone());
        s.reader_starved = true;
    }

    /// Sets who writes, counted as waiting for room like a new reader.
    pub(crate) fn set_writer(&self, signal: &Arc<Signal>) {
        let mut s = self.state();
        s.writer = Some(signal.clone());
        self.writer_blocked.store(true, Ordering::SeqCst);
    }

    pub(crate) fn set_hwm(&self, hwm: usize) {
        self.state().hwm = hwm;
    }

    /// Whether `s` is at the high-water mark, counting what the reader
    /// took but has not consumed.
    fn is_full(&self, s: &State) -> bool {
        s.hwm != 0 && s.queue.len() + self.batched.load(Ordering::SeqCst) >= s.hwm
    }

    /// [`is_full`](Pipe::is_full) for a writer that will wait for room when
    /// it is: raises `writer_blocked` first and looks again, so a message
    /// the reader consumes meanwhile is either seen here or wakes it.
    fn is_full_for_writer(&self, s: &State) -> bool {
        if !self.is_full(s) {
            return false;
        }
        self.writer_blocked.store(true, Ordering::SeqCst);
        self.is_full(s)
    }

    /// The writer's signal if it is waiting for room (clears the flag).
    fn wake_writer(&self, s: &State) -> Option<Arc<Signal>> {
        if self.writer_blocked.load(Ordering::SeqCst)
            && self.writer_blocked.swap(false, Ordering::SeqCst)
        {
            s.writer.clone()
        } else {
            None
        }
    }

    /// Whether one more message fits (false once closed).
    pub(crate) fn has_room(&self) -> bool {
        let s = self.state();
        !s.closed && !self.is_full_for_writer(&s)
    }

    /// Whether the queue holds a message (an [`Inbox`](super::inbox::Inbox)
    /// looks here once its own batch is empty).
    pub(crate) fn has_message(&self) -> bool {
        let mut s = self.state();
        if s.queue.is_empty() {
            s.reader_starved = true;
        }
        !s.queue.is_empty()
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Closed and its queue read to the end (an
    /// [`Inbox`](super::inbox::Inbox) also checks its own batch).
    pub(crate) fn is_finished(&self) -> bool {
        let s = self.state();
        s.closed && s.queue.is_empty()
    }

    /// Nothing queued and nothing in flight.
    pub(crate) fn is_drained(&self) -> bool {
        let s = self.state();
        s.queue.is_empty() && s.in_flight == 0
    }

    /// Queues `msg` if it fits under the high-water mark; gives it back when
    /// full or closed. A reader waiting for a message goes into `wake`.
    #[inline]
    pub(crate) fn try_push(&self, msg: Msg, wake: &mut Wakeups) -> Result<(), Msg> {
        let mut s = self.state();
        if s.closed || self.is_full_for_writer(&s) {
            return Err(msg);
        }
        s.queue.push_back(msg);
        wake.push(s.wake_reader());
        Ok(())
    }

    /// Queues `msg` whatever the high-water mark (subscriptions must not be
    /// lost); dropped if closed. Returns the reader's signal to notify.
    pub(crate) fn force_push(&self, msg: Msg) -> Option<Arc<Signal>> {
        let mut s = self.state();
        if s.closed {
            return None;
        }
        s.queue.push_back(msg);
        s.wake_reader()
    }

    /// The reader's [`Inbox`](super::inbox::Inbox), its batch `into` empty:
    /// moves everything queued into it (a swap of the two queues, so
    /// nothing is copied and both keep their capacity). False, and the
    /// reader counted as waiting, when nothing is queued. The messages
    /// still count against the high-water mark until
    /// [`consumed`](Pipe::consumed), so no writer is woken here.
    pub(crate) fn take_all(&self, into: &mut VecDeque<Msg>) -> bool {
        debug_assert!(into.is_empty());
        let mut s = self.state();
        if s.queue.is_empty() {
            s.reader_starved = true;
            return false;
        }
        std::mem::swap(&mut s.queue, into);
        self.batched.store(into.len(), Ordering::SeqCst);
        true
    }

    /// The reader consumed a message of its batch and has `left` of it:
    /// frees the room that message took. Returns the writer's signal to
    /// notify if it waits for room (the only case that takes the lock).
    #[inline]
    pub(crate) fn consumed(&self, left: usize) -> Option<Arc<Signal>> {
        // SeqCst store then SeqCst load: see the module docs.
        self.batched.store(left, Ordering::SeqCst);
        if self.writer_blocked.load(Ordering::SeqCst) {
            self.wake_blocked_writer()
        } else {
            None
        }
    }

    #[cold]
    #[inline(never)]
    fn wake_blocked_writer(&self) -> Option<Arc<Signal>> {
        self.wake_writer(&self.state())
    }

    /// Takes up to `max` messages at once and counts them in flight until
    /// [`done`](Pipe::done); returns the writer's signal to notify.
    pub(crate) fn pop_batch(&self, max: usize, out: &mut Vec<Msg>) -> Option<Arc<Signal>> {
        let mut s = self.state();
        let n = s.queue.len().min(max);
        if n == 0 {
            s.reader_starved = true;
            return None;
        }
        out.extend(s.queue.drain(..n));
        s.in_flight += n;
        self.wake_writer(&s)
    }

    /// The batch from [`pop_batch`](Pipe::pop_batch) is written (or lost).
    /// Returns the writer's signal when it waits for room, or when the pipe
    /// is now drained (a lingering close waits for that).
    pub(crate) fn done(&self) -> Option<Arc<Signal>> {
        let mut s = self.state();
        s.in_flight = 0;
        if s.queue.is_empty() {
            self.writer_blocked.store(false, Ordering::SeqCst);
            s.writer.clone()
        } else {
            self.wake_writer(&s)
        }
    }

    /// Drops queued messages matching `pred` (stale subscriptions before a
    /// resubscribe).
    pub(crate) fn purge(&self, pred: impl Fn(&Msg) -> bool) {
        self.state().queue.retain(|m| !pred(m));
    }

    /// Closes the pipe; returns both ends' signals to notify.
    pub(crate) fn close(&self) -> [Option<Arc<Signal>>; 2] {
        let mut s = self.state();
        s.closed = true;
        self.closed.store(true, Ordering::Release);
        [s.reader.clone(), s.writer.clone()]
    }
}
