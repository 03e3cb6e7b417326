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

use std::collections::VecDeque;
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
}

/// See the module docs.
pub(crate) struct Pipe {
    state: Mutex<State>,
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
            }),
        })
    }

    pub(crate) fn set_reader(&self, signal: &Arc<Signal>) {
        lock(&self.state).reader = Some(signal.clone());
    }

    pub(crate) fn set_writer(&self, signal: &Arc<Signal>) {
        lock(&self.state).writer = Some(signal.clone());
    }

    pub(crate) fn set_hwm(&self, hwm: usize) {
        lock(&self.state).hwm = hwm;
    }

    /// Whether one more message fits (false once closed).
    pub(crate) fn has_room(&self) -> bool {
        let s = lock(&self.state);
        !s.closed && (s.hwm == 0 || s.queue.len() < s.hwm)
    }

    pub(crate) fn has_message(&self) -> bool {
        !lock(&self.state).queue.is_empty()
    }

    pub(crate) fn is_closed(&self) -> bool {
        lock(&self.state).closed
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
    /// full or closed. On success returns the reader's signal to notify.
    pub(crate) fn try_push(&self, msg: Msg) -> Result<Option<Arc<Signal>>, Msg> {
        let mut s = lock(&self.state);
        if s.closed || (s.hwm != 0 && s.queue.len() >= s.hwm) {
            return Err(msg);
        }
        s.queue.push_back(msg);
        Ok(s.reader.clone())
    }

    /// Queues `msg` whatever the high-water mark (subscriptions must not be
    /// lost); dropped if closed. Returns the reader's signal to notify.
    pub(crate) fn force_push(&self, msg: Msg) -> Option<Arc<Signal>> {
        let mut s = lock(&self.state);
        if s.closed {
            return None;
        }
        s.queue.push_back(msg);
        s.reader.clone()
    }

    /// The first frame of the oldest message.
    pub(crate) fn peek_first(&self) -> Option<Bytes> {
        let s = lock(&self.state);
        s.queue
            .front()
            .map(|m| m.first().cloned().unwrap_or_default())
    }

    /// Takes the oldest message, and the writer's signal to notify (room
    /// freed).
    pub(crate) fn pop(&self) -> Option<(Msg, Option<Arc<Signal>>)> {
        let mut s = lock(&self.state);
        let msg = s.queue.pop_front()?;
        Some((msg, s.writer.clone()))
    }

    /// Takes up to `max` messages at once and counts them in flight until
    /// [`done`](Pipe::done); returns the writer's signal to notify.
    pub(crate) fn pop_batch(&self, max: usize, out: &mut Vec<Msg>) -> Option<Arc<Signal>> {
        let mut s = lock(&self.state);
        let n = s.queue.len().min(max);
        out.extend(s.queue.drain(..n));
        s.in_flight += n;
        if n > 0 {
            s.writer.clone()
        } else {
            None
        }
    }

    /// The batch from [`pop_batch`](Pipe::pop_batch) is written (or lost).
    pub(crate) fn done(&self) -> Option<Arc<Signal>> {
        let mut s = lock(&self.state);
        s.in_flight = 0;
        s.writer.clone()
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
        [s.reader.clone(), s.writer.clone()]
    }
}
