//! Where a request's body bytes come from, as [`Request`](super::Request)
//! and the body pace see it.
//!
//! A served connection's body comes from its socket, through the
//! connection's buffers (`wire::Io`). Another engine, one that reads the
//! body itself, hands it over whole, from memory, through an adapter of its
//! own. The reader is written once, against this trait, and knows neither.

use std::fmt;
use std::io;
use std::time::Duration;

use bytes::BytesMut;

/// The input of one request body: what is buffered, and a way to wait
/// for more.
pub(crate) trait BodySource: fmt::Debug {
    /// The bytes received and not yet consumed: the rest of the body, then
    /// whatever follows it (the next pipelined request).
    fn buffered(&mut self) -> &mut BytesMut;

    /// Queues the interim `100 Continue` for a client that waits for it
    /// before it sends its body; it goes out before the next wait.
    fn send_continue(&mut self);

    /// Writes the output queued so far (before a wait that the body's rate
    /// should not be charged for).
    fn flush(&mut self) -> io::Result<()>;

    /// Waits at most `timeout` for more input and appends it to
    /// [`buffered`](Self::buffered); returns 0 at end of file.
    ///
    /// # Errors
    ///
    /// `TimedOut` when `timeout` passes, and the socket's errors.
    fn fill(&mut self, timeout: Option<Duration>) -> io::Result<usize>;
}
