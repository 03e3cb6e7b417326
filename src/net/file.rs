//! `makefile()`: a buffered line reader and writer over one stream.

use std::io::{self, BufRead, Read, Write};

/// A buffered reader and writer over one stream, without duplicating the
/// descriptor: gevent's `socket.makefile()`.
///
/// Reads go through an 8 KiB buffer; writes collect in a buffer that is sent
/// by [`flush`](Write::flush) (or when it passes 8 KiB), so a reply built
/// from several writes leaves in one segment.
///
/// # Examples
///
/// The talk's `client_connect` loop:
///
/// ```no_run
/// # fn main() -> std::io::Result<()> {
/// let mut sockfile = greenline::net::TcpStream::connect("127.0.0.1:1234")?.makefile();
/// while let Some(line) = sockfile.readline()? {
///     print!("<<< {line}");
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct SocketFile<S: Read + Write> {
    reader: io::BufReader<S>,
    pending: Vec<u8>,
}

const WRITE_BUFFER: usize = 8 * 1024;

impl<S: Read + Write> SocketFile<S> {
    /// Buffers `stream`.
    pub fn new(stream: S) -> SocketFile<S> {
        SocketFile {
            reader: io::BufReader::new(stream),
            pending: Vec::new(),
        }
    }

    /// Reads one line including its `\n`; `None` at end of file. A last line
    /// without a newline is returned as it is.
    ///
    /// Waits (yielding) for data like the stream's `read`; its timeouts and
    /// the caller's deadline apply.
    ///
    /// # Errors
    ///
    /// The stream's errors; `InvalidData` when the line is not UTF-8.
    pub fn readline(&mut self) -> io::Result<Option<String>> {
        let mut line = String::new();
        match self.reader.read_line(&mut line)? {
            0 => Ok(None),
            _ => Ok(Some(line)),
        }
    }

    /// The stream, for socket options.
    pub fn get_ref(&self) -> &S {
        self.reader.get_ref()
    }

    /// The stream. Bytes already buffered for reading stay in the buffer.
    pub fn get_mut(&mut self) -> &mut S {
        self.reader.get_mut()
    }

    /// Flushes pending writes and returns the stream; unread buffered input
    /// is lost.
    pub fn into_inner(mut self) -> io::Result<S> {
        self.flush()?;
        Ok(self.reader.into_inner())
    }
}

impl<S: Read + Write> Read for SocketFile<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reader.read(buf)
    }
}

impl<S: Read + Write> BufRead for SocketFile<S> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.reader.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.reader.consume(amt)
    }
}

impl<S: Read + Write> Write for SocketFile<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if self.pending.len() >= WRITE_BUFFER {
            self.flush()?;
        }
        Ok(buf.len())
    }

    /// Sends everything written so far, waiting (yielding) while the socket
    /// buffer is full.
    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            let r = self.reader.get_mut().write_all(&self.pending);
            self.pending.clear();
            r?;
        }
        self.reader.get_mut().flush()
    }
}
