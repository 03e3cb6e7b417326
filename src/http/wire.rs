//! A connection's socket with its read and write buffers: the only code
//! that reads or writes the socket while a connection is served.
//!
//! # Fairness
//!
//! A read that finds data, and a write that finds room, return without
//! yielding; a connection whose client keeps its input full would
//! otherwise never give up its worker, and every other connection on that
//! worker would wait for it (measured before this rule: a request beside
//! ten pipelining clients waited 2.3 s). So a connection yields
//! (`crate::yield_now`, which at least once a millisecond lets the worker
//! poll its sockets) after [`YIELD_REQUESTS`] requests answered or
//! [`YIELD_BYTES`] bytes read since it last yielded, whether or not it
//! waited in between. Both bounds are a few tens of microseconds of work
//! in a release build, against a yield's fraction of a microsecond, so
//! pipelined throughput does not notice them.

use std::io::{self, Write};
use std::net::Shutdown;
use std::time::{Duration, Instant};

use bytes::BytesMut;

use super::proto::CONTINUE;
use super::source::BodySource;
use crate::net::TcpStream;

/// Spare room guaranteed before a read that continues a partial request.
const READ_RESERVE: usize = 8 * 1024;
/// Spare room for the first read of a request, grown (doubling, up to
/// READ_MAX) while reads fill all they are given, as pipelining clients do.
/// Small by default because an idle keep-alive connection keeps its buffer:
/// most requests fit in 2 KiB, and 10,000 idle connections should not hold
/// 8 KiB each.
const READ_FIRST: usize = 2 * 1024;
/// A write buffer grown past this by a large response is released after it
/// is written, so an idle connection does not keep it.
const WRITE_KEEP: usize = 16 * 1024;
/// Most bytes asked of one read (into the buffer's spare room, not zeroed
/// first: see `TcpStream::read_buf`).
const READ_MAX: usize = 16 * 1024;
/// How long, and how much, a closing connection reads and discards after
/// its last response, so unread input does not make the kernel reset the
/// connection and destroy that response before the client reads it.
const LINGER_TIME: Duration = Duration::from_secs(2);
const LINGER_BYTES: usize = 256 * 1024;
/// Requests a connection answers before it yields its worker (see the
/// module docs): a pipelined batch of small requests is split every 64.
const YIELD_REQUESTS: u32 = 64;
/// Bytes a connection reads before it yields its worker: a body streaming
/// in faster than the handler consumes it yields every 256 KiB.
const YIELD_BYTES: usize = 256 * 1024;

/// A connection's socket and buffers, shared by the loop and the body reader.
#[derive(Debug)]
pub(crate) struct Io {
    stream: TcpStream,
    /// Bytes received and not yet parsed or consumed as body.
    pub(crate) rbuf: BytesMut,
    /// Responses encoded and not yet written: the batch.
    pub(crate) wbuf: BytesMut,
    /// The read timeout currently set on the socket; setting it is a system
    /// call, so it is changed only when the phase needs another value.
    read_timeout: Option<Duration>,
    /// Spare room to offer the next read that starts on an empty buffer.
    read_hint: usize,
    /// Requests answered since the connection last yielded its worker.
    answered: u32,
    /// Bytes read since the connection last yielded its worker.
    read: usize,
}

impl Io {
    pub(crate) fn new(stream: TcpStream) -> Io {
        IdleIo {
            read_timeout: None,
            read_hint: READ_FIRST,
            answered: 0,
            read: 0,
        }
        .resume(stream)
    }

    /// Writes the queued output, then waits for input (at most `timeout`)
    /// and appends it to `rbuf`. Returns 0 at end of file.
    ///
    /// Woken by input, end of file or an error on the socket; the timeout
    /// makes it fail with `ErrorKind::TimedOut`. A read that finds data
    /// waits for nothing, so after [`YIELD_BYTES`] read since the last
    /// yield it first yields the worker (see the module docs).
    pub(crate) fn fill(&mut self, timeout: Option<Duration>) -> io::Result<usize> {
        self.flush()?;
        if self.read >= YIELD_BYTES {
            self.yield_worker();
        }
        let stream = &mut self.stream;
        if self.read_timeout != timeout {
            stream.set_read_timeout(timeout)?;
            self.read_timeout = timeout;
        }
        // Steady state, the buffer is uniquely owned again once the last
        // request's head is dropped, so this reclaims space, not allocates.
        // A read starting a request into a buffer it has used asks for half
        // the hint only: each head split off the front shrinks the room
        // behind it, and asking for the whole hint would reclaim after
        // every request.
        let starting = self.rbuf.is_empty();
        self.rbuf.reserve(match (starting, self.rbuf.capacity()) {
            (true, 0) => self.read_hint,
            (true, _) => self.read_hint / 2,
            (false, _) => READ_RESERVE,
        });
        let offered = (self.rbuf.capacity() - self.rbuf.len()).min(READ_MAX);
        let n = stream.read_buf(&mut self.rbuf, READ_MAX)?;
        if starting && n == offered {
            // The client sends more than fits: offer more next time.
            self.read_hint = (self.read_hint * 2).min(READ_MAX);
        }
        self.read += n;
        Ok(n)
    }

    /// Counts a request answered, and yields the worker when this
    /// connection has done its share of work since it last did (see the
    /// module docs). Queued output stays queued across the yield: it goes
    /// out with the rest of the batch.
    #[inline]
    pub(crate) fn answered(&mut self) {
        self.answered += 1;
        if self.answered >= YIELD_REQUESTS {
            self.yield_worker();
        }
    }

    /// Lets the other greenlets on this worker run, and the worker poll its
    /// sockets; a greenlet killed meanwhile unwinds out of here.
    #[cold]
    fn yield_worker(&mut self) {
        self.answered = 0;
        self.read = 0;
        crate::yield_now();
    }

    /// Takes the socket out for the connection to wait in the idle lot,
    /// and frees both buffers (both are empty when a connection goes idle),
    /// so an idle connection holds no buffer memory.
    pub(crate) fn into_idle(self) -> (TcpStream, IdleIo) {
        debug_assert!(self.rbuf.is_empty() && self.wbuf.is_empty());
        let idle = IdleIo {
            read_timeout: self.read_timeout,
            read_hint: self.read_hint,
            answered: self.answered,
            read: self.read,
        };
        (self.stream, idle)
    }

    /// Writes the queued output in one `write_all`.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        if !self.wbuf.is_empty() {
            self.stream.write_all(&self.wbuf)?;
            if self.wbuf.capacity() > WRITE_KEEP {
                self.wbuf = BytesMut::new();
            } else {
                self.wbuf.clear();
            }
        }
        Ok(())
    }

    /// Writes `bytes` straight to the socket, after the queued output.
    pub(crate) fn write_direct(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.flush()?;
        self.stream.write_all(bytes)
    }

    /// Ends the connection gracefully: send what is queued, half-close, and
    /// discard input until the client closes too (bounded).
    pub(crate) fn close(mut self) -> io::Result<()> {
        self.flush()?;
        let _ = self.stream.shutdown(Shutdown::Write);
        let deadline = Instant::now() + LINGER_TIME;
        let mut discarded = 0;
        while discarded < LINGER_BYTES {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            self.rbuf.clear();
            match self.fill(Some(left)) {
                Ok(0) | Err(_) => break,
                Ok(n) => discarded += n,
            }
        }
        Ok(())
    }
}

/// What an [`Io`] keeps while its connection waits in the idle lot: not
/// the socket, which the lot holds, nor buffers, only what the next
/// [`Io`] should know.
#[derive(Debug)]
pub(crate) struct IdleIo {
    /// The read timeout still set on the socket.
    read_timeout: Option<Duration>,
    read_hint: usize,
    answered: u32,
    read: usize,
}

impl IdleIo {
    /// The connection's `Io` again, on the socket the lot gave back.
    pub(crate) fn resume(self, stream: TcpStream) -> Io {
        Io {
            stream,
            rbuf: BytesMut::new(),
            wbuf: BytesMut::new(),
            read_timeout: self.read_timeout,
            read_hint: self.read_hint,
            answered: self.answered,
            read: self.read,
        }
    }
}

/// A served request's body comes from the socket, through the buffers.
impl BodySource for Io {
    #[inline]
    fn buffered(&mut self) -> &mut BytesMut {
        &mut self.rbuf
    }

    fn send_continue(&mut self) {
        self.wbuf.extend_from_slice(CONTINUE);
    }

    fn flush(&mut self) -> io::Result<()> {
        Io::flush(self)
    }

    fn fill(&mut self, timeout: Option<Duration>) -> io::Result<usize> {
        Io::fill(self, timeout)
    }
}
