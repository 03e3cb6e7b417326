//! Sending and receiving messages: pyzmq's `send`, `recv`,
//! `send_multipart`, `recv_multipart`.

use std::io;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::{wait_error, Local, Socket, DONTWAIT, SNDMORE};
use crate::sync::waiter::lock;
use crate::zmq::codec::SocketType;
use crate::zmq::error::ZmqError;
use crate::zmq::msg::Msg;
use crate::zmq::pattern;
use crate::zmq::signal::Wakeups;

impl Socket {
    /// Sends one frame; with [`SNDMORE`] in `flags` it is held until the
    /// frame without SNDMORE completes the message, which then goes out
    /// whole (a message is never delivered in part).
    ///
    /// Where it goes and when it blocks depends on the type: see the table
    /// in the [module docs](crate::zmq#socket-types). A blocking send waits for
    /// a peer with room; it is woken when a peer connects or drains its
    /// queue. Frames held with SNDMORE are only checked when the last
    /// frame is sent.
    ///
    /// # Errors
    ///
    /// - `WouldBlock` with [`DONTWAIT`] when it would wait; `TimedOut` after
    ///   `sndtimeo` or the caller's `Timeout`. The message is dropped.
    /// - `InvalidInput` ([`ZmqError::InvalidState`]) when the pattern forbids
    ///   a send now (libzmq's `EFSM`): REQ awaiting a reply, REP with no
    ///   request, and REQ or REP while frames of the message they received
    ///   are unread ([`get_rcvmore`](Socket::get_rcvmore) is true; read
    ///   them, e.g. with [`recv_multipart`](Socket::recv_multipart), then
    ///   send). Checked at every frame, SNDMORE ones too; the refused frame
    ///   is dropped and the socket's state is unchanged.
    /// - `Unsupported` on SUB and PULL; `NotConnected` ([`ZmqError::HostUnreachable`]) on a ROUTER with
    ///   `router_mandatory` and an unknown routing id.
    /// - `ConnectionAborted` ([`ZmqError::ContextTerminated`]) once the
    ///   context is terminated, `NotConnected` ([`ZmqError::Closed`]) once
    ///   the socket is closed through another handle; a blocked send
    ///   returns so at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenline::zmq;
    /// let ctx = zmq::Context::new();
    /// let pull = ctx.socket(zmq::PULL)?;
    /// pull.bind("inproc://frames")?;
    /// let push = ctx.socket(zmq::PUSH)?;
    /// push.connect("inproc://frames")?;
    /// push.send("a", zmq::SNDMORE)?;
    /// push.send("b", 0)?;
    /// assert_eq!(pull.recv_multipart(0)?, ["a", "b"]);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn send(&self, data: impl Into<Bytes>, flags: i32) -> io::Result<()> {
        // Only the conversion is generic: inlined into the caller, it hands
        // over the frame without a copy of `data` going through memory.
        self.send_frame(data.into(), flags)
    }

    fn send_frame(&self, frame: Bytes, flags: i32) -> io::Result<()> {
        if flags & SNDMORE == 0 && !self.frames_held() {
            // A whole one-frame message: nothing held to prepend.
            return self.send_msg(Msg::One(frame), flags);
        }
        match self.hold_frames(flags, |held| held.push(frame))? {
            Some(msg) => self.send_msg(msg, flags),
            None => Ok(()),
        }
    }

    /// Adds frames to those held with SNDMORE (`add`), and, unless `flags`
    /// has SNDMORE, takes them all as the message to send. A frame REQ or
    /// REP may not send now is refused before it is added.
    fn hold_frames(&self, flags: i32, add: impl FnOnce(&mut Msg)) -> io::Result<Option<Msg>> {
        let mut local = self.local();
        self.check_turn(&local)?;
        add(&mut local.pending_out);
        let msg = (flags & SNDMORE == 0).then(|| std::mem::take(&mut local.pending_out));
        self.note_frames(&local);
        Ok(msg)
    }

    /// REQ and REP check every frame of a send, as libzmq does: `rep.cpp`
    /// "If we are in the middle of receiving a request, we cannot send
    /// reply", and `req.cpp` refuses a request until the whole reply is
    /// read. So a frame is refused (EFSM) while frames of the received
    /// message are unread, and the first frame of a message when it is not
    /// the socket's turn to send. Later frames of a message need no
    /// pattern check: nothing else changes the turn while one is built
    /// (a recv then fails with EFSM too), and `try_send` checks it again.
    fn check_turn(&self, local: &Local) -> io::Result<()> {
        let kind = self.core().kind;
        if !matches!(kind, SocketType::Req | SocketType::Rep) {
            return Ok(());
        }
        let refused = !local.pending_in.is_empty()
            || (local.pending_out.is_empty()
                && !pattern::may_send(kind, &lock(&self.core().inner)));
        if refused {
            return Err(ZmqError::InvalidState.into());
        }
        Ok(())
    }

    /// `send(data, SNDMORE)`: one frame of a message still being built.
    pub fn send_more(&self, data: impl Into<Bytes>) -> io::Result<()> {
        self.send(data, SNDMORE)
    }

    /// Sends all `parts` as one message (after any frames held with
    /// SNDMORE). With [`SNDMORE`] in `flags` they are held for more.
    ///
    /// # Errors
    ///
    /// As [`send`](Socket::send).
    pub fn send_multipart<I>(&self, parts: I, flags: i32) -> io::Result<()>
    where
        I: IntoIterator,
        I::Item: Into<Bytes>,
    {
        let held = |held: &mut Msg| held.extend(parts.into_iter().map(Into::into));
        let Some(msg) = self.hold_frames(flags, held)? else {
            return Ok(());
        };
        if msg.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a message needs at least one frame",
            ));
        }
        self.send_msg(msg, flags)
    }

    fn send_msg(&self, msg: Msg, flags: i32) -> io::Result<()> {
        let core = self.core();
        let mut slot = Some(msg);
        let mut wake = Wakeups::default();
        // Fast path: one attempt under the socket lock, which is also where
        // the timeout is read (no copy of the options). Only a send that
        // would block pays for the signal's wait loop, which polls again
        // after taking the generation, so nothing is missed in between.
        if core.is_terminated() {
            return Err(core.ended_error());
        }
        let (done, sndtimeo) = {
            let mut inner = lock(&core.inner);
            let done = pattern::try_send(core.kind, &mut inner, &mut slot, &mut wake);
            (done, inner.options.sndtimeo)
        };
        wake.run();
        if let Some(r) = done {
            return r;
        }
        let dontwait = flags & DONTWAIT != 0;
        let deadline = self.deadline(dontwait, sndtimeo);
        core.signal
            .wait(deadline, "zmq::Socket::send", &mut wake, |w| {
                if core.is_terminated() {
                    return Some(Err(core.ended_error()));
                }
                let mut inner = lock(&core.inner);
                pattern::try_send(core.kind, &mut inner, &mut slot, w)
            })
            .map_err(|e| wait_error(e, dontwait))?
    }

    /// Receives the next frame. The first call takes a whole message off a
    /// peer's queue and returns its first frame; while
    /// [`get_rcvmore`](Socket::get_rcvmore) is true the next calls return
    /// the rest without waiting.
    ///
    /// Waits until a message arrives (woken by the connection or inproc peer
    /// that queues it).
    ///
    /// # Errors
    ///
    /// - `WouldBlock` with [`DONTWAIT`] when nothing is queued; `TimedOut`
    ///   after `rcvtimeo` or the caller's `Timeout`.
    /// - `InvalidInput` ([`ZmqError::InvalidState`]) when the pattern forbids
    ///   a recv now (REQ before a send, REP before replying).
    /// - `Unsupported` on PUB and PUSH; `ConnectionAborted` and
    ///   `NotConnected` as [`send`](Socket::send).
    pub fn recv(&self, flags: i32) -> io::Result<Bytes> {
        if self.frames_held() {
            let mut local = self.local();
            if let Some(frame) = local.pending_in.pop_front() {
                local.rcvmore = !local.pending_in.is_empty();
                self.note_frames(&local);
                return Ok(frame);
            }
        }
        let mut msg = match self.recv_msg(flags)? {
            // The common case: nothing is left over, and `rcvmore` is
            // already false (it is true only while `pending_in` holds frames,
            // and that was empty above).
            Msg::One(frame) => return Ok(frame),
            Msg::Many(frames) => frames.into_iter(),
        };
        let first = msg.next().unwrap_or_default();
        let mut local = self.local();
        local.pending_in.extend(msg);
        local.rcvmore = !local.pending_in.is_empty();
        self.note_frames(&local);
        Ok(first)
    }

    /// Receives a whole message (or the rest of one whose first frames
    /// [`recv`](Socket::recv) returned).
    ///
    /// # Errors
    ///
    /// As [`recv`](Socket::recv).
    pub fn recv_multipart(&self, flags: i32) -> io::Result<Vec<Bytes>> {
        if self.frames_held() {
            let mut local = self.local();
            if !local.pending_in.is_empty() {
                local.rcvmore = false;
                let rest = local.pending_in.drain(..).collect();
                self.note_frames(&local);
                return Ok(rest);
            }
        }
        // Nothing held: `rcvmore` is already false (it is true only while
        // `pending_in` holds frames).
        let msg = self.recv_msg(flags)?;
        Ok(msg.into_vec())
    }

    /// Whether the frame the last [`recv`](Socket::recv) returned has more
    /// frames after it (libzmq `ZMQ_RCVMORE`).
    pub fn get_rcvmore(&self) -> bool {
        self.local().rcvmore
    }

    // Always inlined into `recv` and `recv_multipart`: returned through
    // memory, the message was re-read right after being written, with
    // loads wider than the stores that wrote it, which stalls.
    #[inline(always)]
    fn recv_msg(&self, flags: i32) -> io::Result<Msg> {
        let core = self.core();
        let mut wake = Wakeups::default();
        // Fast path as in `send_msg`: one attempt, reading the timeout under
        // the same lock; the wait loop only when nothing is queued.
        if core.is_terminated() {
            return Err(core.ended_error());
        }
        let (got, rcvtimeo) = {
            let mut inner = lock(&core.inner);
            let got = pattern::try_recv(core.kind, &mut inner, &mut wake);
            (got, inner.options.rcvtimeo)
        };
        wake.run();
        if let Some(r) = got {
            return r;
        }
        let dontwait = flags & DONTWAIT != 0;
        let deadline = self.deadline(dontwait, rcvtimeo);
        core.signal
            .wait(deadline, "zmq::Socket::recv", &mut wake, |w| {
                if core.is_terminated() {
                    return Some(Err(core.ended_error()));
                }
                let mut inner = lock(&core.inner);
                pattern::try_recv(core.kind, &mut inner, w)
            })
            .map_err(|e| wait_error(e, dontwait))?
    }

    fn deadline(&self, dontwait: bool, timeout: Option<Duration>) -> Option<Instant> {
        if dontwait {
            Some(Instant::now())
        } else {
            timeout.and_then(crate::time::deadline_in)
        }
    }
}
