//! The reading end of a [`Pipe`], as a socket holds it: the pipe plus a
//! batch of messages taken from it.
//!
//! A socket reads a peer's messages under its own lock (`Core::inner`),
//! then needs the pipe's lock too. An inbox takes that second lock once
//! per batch rather than once per message: when its batch is empty it
//! takes everything queued ([`Pipe::take_all`]), and hands the messages
//! out one by one without the pipe's lock. Each one handed out frees its
//! room under the high-water mark at once ([`Pipe::consumed`]), so a
//! writer sees the same room it would without the batch.
//!
//! ```text
//!   pop ─► batch empty? ─no──► take the oldest, Pipe::consumed(left)
//!              │ yes
//!              ▼
//!        Pipe::take_all ─nothing queued──► None (reader counted as waiting)
//!              │ took n
//!              └──► take the oldest, Pipe::consumed(n - 1)
//! ```
//!
//! Whatever asks whether a message is there (fair-queue readiness, the
//! poller through `Socket::events`, pruning finished peers) asks the inbox,
//! which counts its batch: a message in a batch is as readable as one in
//! the pipe. The batch goes with the inbox when its peer is dropped, as
//! the pipe's queue does.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;

use super::msg::Msg;
use super::pipe::Pipe;
use super::signal::Wakeups;

/// See the module docs.
pub(crate) struct Inbox {
    pipe: Arc<Pipe>,
    /// Taken from the pipe, not yet handed out, oldest first.
    batch: VecDeque<Msg>,
}

impl Inbox {
    pub(crate) fn new(pipe: Arc<Pipe>) -> Inbox {
        Inbox {
            pipe,
            batch: VecDeque::new(),
        }
    }

    /// The pipe itself (to close it, or to look at it from the writer's
    /// side).
    pub(crate) fn pipe(&self) -> &Arc<Pipe> {
        &self.pipe
    }

    /// Takes the oldest message; a writer waiting for the room it frees
    /// goes into `wake`.
    #[inline]
    pub(crate) fn pop(&mut self, wake: &mut Wakeups) -> Option<Msg> {
        if self.batch.is_empty() && !self.pipe.take_all(&mut self.batch) {
            return None;
        }
        let msg = self.batch.pop_front()?;
        wake.push(self.pipe.consumed(self.batch.len()));
        Some(msg)
    }

    /// The first frame of the oldest message, leaving it queued.
    pub(crate) fn peek_first(&mut self) -> Option<Bytes> {
        if self.batch.is_empty() && !self.pipe.take_all(&mut self.batch) {
            return None;
        }
        let msg = self.batch.front()?;
        Some(msg.first().cloned().unwrap_or_default())
    }

    /// Whether [`pop`](Inbox::pop) would return a message. When not, the
    /// reader is counted as waiting, so the next message wakes it.
    pub(crate) fn has_message(&self) -> bool {
        !self.batch.is_empty() || self.pipe.has_message()
    }

    /// Closed, and every message it delivered has been read.
    pub(crate) fn is_finished(&self) -> bool {
        self.batch.is_empty() && self.pipe.is_finished()
    }
}
