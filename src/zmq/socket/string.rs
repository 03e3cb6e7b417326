//! Text messages: pyzmq's `send_string` and `recv_string`, UTF-8 only.

use std::io;

use super::Socket;

impl Socket {
    /// Sends `s` as one frame of UTF-8 text: pyzmq's `send_string`.
    /// Flags and errors as [`send`](Socket::send) (an owned `String` is
    /// handed over without a copy).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenline::zmq;
    /// let ctx = zmq::Context::new();
    /// let pull = ctx.socket(zmq::PULL)?;
    /// pull.bind("tcp://127.0.0.1:*")?;
    /// let push = ctx.socket(zmq::PUSH)?;
    /// push.connect(&pull.last_endpoint().unwrap())?;
    /// push.send_string(format!("{} {}", 10001, 72), 0)?;
    /// assert_eq!(pull.recv_string(0)?, "10001 72");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn send_string(&self, s: impl Into<String>, flags: i32) -> io::Result<()> {
        self.send(s.into(), flags)
    }

    /// Receives one frame as UTF-8 text: pyzmq's `recv_string`. Waits,
    /// and takes flags, as [`recv`](Socket::recv); like it, it reads one
    /// frame (see [`get_rcvmore`](Socket::get_rcvmore)).
    ///
    /// # Errors
    ///
    /// `InvalidData` when the frame is not UTF-8. The frame is not lost:
    /// the error holds a [`std::string::FromUtf8Error`], whose
    /// `into_bytes` gives it back. Otherwise as [`recv`](Socket::recv).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use std::string::FromUtf8Error;
    /// use greenline::zmq;
    /// let ctx = zmq::Context::new();
    /// let pull = ctx.socket(zmq::PULL)?;
    /// pull.bind("tcp://127.0.0.1:*")?;
    /// let push = ctx.socket(zmq::PUSH)?;
    /// push.connect(&pull.last_endpoint().unwrap())?;
    /// push.send(&b"\xff binary"[..], 0)?;
    /// let e = pull.recv_string(0).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::InvalidData);
    /// let frame = e.into_inner().unwrap().downcast::<FromUtf8Error>().unwrap().into_bytes();
    /// assert_eq!(frame, b"\xff binary");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn recv_string(&self, flags: i32) -> io::Result<String> {
        let frame = self.recv(flags)?;
        // No copy when the frame is the only reference to its buffer.
        String::from_utf8(Vec::from(frame))
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }
}
