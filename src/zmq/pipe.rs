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
//! looking that can end in a wait (`pop`, `pop_batch`, `has_message`,
//! `peek_first` finding nothing; `try_push`, `has_room` finding no room)
//! raises the flag under the pipe lock, and the waiter parks only if its
//! signal's generation is unchanged since before it looked, so a change
//! made after the look is always announced. Closing wakes both sides
//! regardless.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use super::msg::Msg;
use super::signal::Signal;
use crate::sync::waiter::lock;

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
    /// The writer found the pipe full and has not been woken since.
    writer_blocked: bool,
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

    /// The writer's signal if it is waiting for room (clears the flag).
    fn wake_writer(&mut self) -> Option<Arc<Signal>> {
        if std::mem::take(&mut self.writer_blocked) {
            self.writer.clone()
        } else {
            None
        }
    }

    fn is_full(&self) -> bool {
        self.hwm != 0 && self.queue.len() >= self.hwm
    }
}

/// See the module docs.
pub(crate) struct Pipe {
    state: Mutex<State>,
    /// `State::closed`, readable without the lock (a socket checks every
    /// peer's pipes on each call to forget the finished ones).
    closed: AtomicBool,
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
                writer_blocked: false,
            }),
            closed: AtomicBool::new(false),
        })
    }

    /// Sets who reads. The new reader is counted as waiting: it has not
    /// looked yet, so the next message wakes it.
    pub(crate) fn set_reader(&self, signal: &Arc<Signal>) {
        let mut s = lock(&self.state);
        s.reader = Some(signal.clone());
        s.reader_starved = true;
    }

    /// Sets who writes, counted as waiting for room like a new reader.
    pub(crate) fn set_writer(&self, signal: &Arc<Signal>) {
        let mut s = lock(&self.state);
        s.writer = Some(signal.clone());
        s.writer_blocked = true;
    }

    pub(crate) fn set_hwm(&self, hwm: usize) {
        lock(&self.state).hwm = hwm;
    }

    /// Whether one more message fits (false once closed).
    pub(crate) fn has_room(&self) -> bool {
        let mut s = lock(&self.state);
        if s.is_full() {
            s.writer_blocked = true;
        }
        !s.closed && !s.is_full()
    }

    pub(crate) fn has_message(&self) -> bool {
        let mut s = lock(&self.state);
        if s.queue.is_empty() {
            s.reader_starved = true;
        }
        !s.queue.is_empty()
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Closed and read to the end: the peer behind it is gone for good.
    pub(crate) fn is_finished(&self) -> bool {
        let s = lock(&self.state);
        s.closed && s.queue.is_empty()
    }

    /// Nothing queued and nothing in flight.
    pub(crate) fn is_drained(&self) -> bool {
        let s = lock(&self.state);
        s.queue.is_empty() && s.in_flight == 0
    }

    /// Queues `msg` if it fits under the high-water mark; gives it back when
    /// full or closed. On success returns the reader's signal to notify, if
    /// it is waiting.
    pub(crate) fn try_push(&self, msg: Msg) -> Result<Option<Arc<Signal>>, Msg> {
        let mut s = lock(&self.state);
        if s.closed {
            return Err(msg);
        }
        if s.is_full() {
            s.writer_blocked = true;
            return Err(msg);
        }
        s.queue.push_back(msg);
        Ok(s.wake_reader())
    }

    /// Queues `msg` whatever the high-water mark (subscriptions must not be
    /// lost); dropped if closed. Returns the reader's signal to notify.
    pub(crate) fn force_push(&self, msg: Msg) -> Option<Arc<Signal>> {
        let mut s = lock(&self.state);
        if s.closed {
            return None;
        }
        s.queue.push_back(msg);
        s.wake_reader()
    }

    /// The first frame of the oldest message.
    pub(crate) fn peek_first(&self) -> Option<Bytes> {
        let mut s = lock(&self.state);
        match s.queue.front() {
            Some(m) => Some(m.first().cloned().unwrap_or_default()),
            None => {
                s.reader_starved = true;
                None
            }
        }
    }

    /// Takes the oldest message, and the writer's signal to notify if it
    /// waits for room.
    pub(crate) fn pop(&self) -> Option<(Msg, Option<Arc<Signal>>)> {
        let mut s = lock(&self.state);
        match s.queue.pop_front() {
            Some(msg) => Some((msg, s.wake_writer())),
            None => {
                s.reader_starved = true;
                None
            }
        }
    }

    /// Takes up to `max` messages at once and counts them in flight until
    /// [`done`](Pipe::done); returns the writer's signal to notify.
    pub(crate) fn pop_batch(&self, max: usize, out: &mut Vec<Msg>) -> Option<Arc<Signal>> {
        let mut s = lock(&self.state);
        let n = s.queue.len().min(max);
        if n == 0 {
            s.reader_starved = true;
            return None;
        }
        out.extend(s.queue.drain(..n));
        s.in_flight += n;
        s.wake_writer()
    }

    /// The batch from [`pop_batch`](Pipe::pop_batch) is written (or lost).
    /// Returns the writer's signal when it waits for room, or when the pipe
    /// is now drained (a lingering close waits for that).
    pub(crate) fn done(&self) -> Option<Arc<Signal>> {
        let mut s = lock(&self.state);
        s.in_flight = 0;
        if s.queue.is_empty() {
            s.writer_blocked = false;
            s.writer.clone()
        } else {
            s.wake_writer()
        }
    }

    /// Drops queued messages matching `pred` (stale subscriptions before a
    /// resubscribe).
    pub(crate) fn purge(&self, pred: impl Fn(&Msg) -> bool) {
        lock(&self.state).queue.retain(|m| !pred(m));
    }

    /// Closes the pipe; returns both ends' signals to notify.
    pub(crate) fn close(&self) -> [Option<Arc<Signal>>; 2] {
        let mut s = lock(&self.state);
        s.closed = true;
        self.closed.store(true, Ordering::Release);
        [s.reader.clone(), s.writer.clone()]
    }
}
