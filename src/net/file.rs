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
/// let mut sockfile = greenline::net::TcpStream::connect("127.0.0.1:1234")?.makefile()?;
/// while let Some(line) = sockfile.readline()? {
///     print!("<<< {line}");
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct SocketFile<S: Read + Write> {
    reader: io::BufReader<S>,
    /// The start of a line whose read failed (a timeout, say): kept, and
    /// read first by whatever reads next, so no byte is lost.
    partial: Vec<u8>,
    /// Bytes written and not yet sent.
    pending: Vec<u8>,
}

const WRITE_BUFFER: usize = 8 * 1024;

impl<S: Read + Write> SocketFile<S> {
    /// Buffers `stream`.
    pub fn new(stream: S) -> SocketFile<S> {
        SocketFile {
            reader: io::BufReader::new(stream),
            partial: Vec::new(),
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
    /// The stream's errors (a line cut short by one, a timeout say, is
    /// kept and completed by the next read); `InvalidData` when the line is
    /// not UTF-8, whose error holds the line's bytes as a
    /// [`FromUtf8Error`](std::string::FromUtf8Error). Use
    /// [`readline_bytes`](SocketFile::readline_bytes) for lines that may
    /// not be text.
    ///
    /// ```no_run
    /// # fn f(file: &mut greenline::net::SocketFile<greenline::net::TcpStream>) {
    /// match file.readline() {
    ///     Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
    ///         let bytes = e
    ///             .into_inner()
    ///             .and_then(|e| e.downcast::<std::string::FromUtf8Error>().ok())
    ///             .map(|e| e.into_bytes());
    ///         println!("not text: {bytes:?}");
    ///     }
    ///     other => println!("{other:?}"),
    /// }
    /// # }
    /// ```
    pub fn readline(&mut self) -> io::Result<Option<String>> {
        match self.readline_bytes()? {
            None => Ok(None),
            Some(line) => String::from_utf8(line)
                .map(Some)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e)),
        }
    }

    /// Reads one line including its `\n`, as bytes: gevent's
    /// `makefile('rb').readline()`. `None` at end of file; a last line
    /// without a newline is returned as it is.
    ///
    /// Waits (yielding) for data like the stream's `read`; its timeouts and
    /// the caller's deadline apply.
    ///
    /// # Errors
    ///
    /// The stream's errors. The part of the line read before one is kept,
    /// and the next read returns it first: no byte is lost.
    pub fn readline_bytes(&mut self) -> io::Result<Option<Vec<u8>>> {
        let mut line = std::mem::take(&mut self.partial);
        match self.reader.read_until(b'\n', &mut line) {
            Ok(_) if line.is_empty() => Ok(None),
            Ok(_) => Ok(Some(line)),
            Err(e) => {
                self.partial = line;
                Err(e)
            }
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
    /// (and the start of a line whose read failed) is lost.
    pub fn into_inner(mut self) -> io::Result<S> {
        self.flush()?;
        Ok(self.reader.into_inner())
    }
}

impl<S: Read + Write> Read for SocketFile<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.partial.is_empty() {
            let n = buf.len().min(self.partial.len());
            buf[..n].copy_from_slice(&self.partial[..n]);
            self.partial.drain(..n);
            return Ok(n);
        }
        self.reader.read(buf)
    }
}

impl<S: Read + Write> BufRead for SocketFile<S> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if !self.partial.is_empty() {
            return Ok(&self.partial);
        }
        self.reader.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        if !self.partial.is_empty() {
            self.partial.drain(..amt.min(self.partial.len()));
            return;
        }
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
