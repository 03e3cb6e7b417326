//! JSON messages (feature `json`): pyzmq's `send_json` and `recv_json`,
//! one frame of JSON text per value, through serde and serde_json.

use std::fmt;
use std::io;

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::Socket;

impl Socket {
    /// Sends `value` as one frame of JSON: pyzmq's `send_json`. Flags and
    /// errors as [`send`](Socket::send), plus the one below.
    ///
    /// # Errors
    ///
    /// `InvalidInput` (with the `serde_json::Error` inside) when `value`
    /// cannot be written as JSON, e.g. a map whose keys are not strings;
    /// nothing is sent then.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use greenline::zmq;
    /// let ctx = zmq::Context::new();
    /// let pull = ctx.socket(zmq::PULL)?;
    /// pull.bind("tcp://127.0.0.1:*")?;
    /// let push = ctx.socket(zmq::PUSH)?;
    /// push.connect(&pull.last_endpoint().unwrap())?;
    /// push.send_json(&HashMap::from([("zipcode", 10001), ("temperature", 72)]), 0)?;
    /// let update: HashMap<String, i32> = pull.recv_json(0)?;
    /// assert_eq!(update["temperature"], 72);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn send_json<T: Serialize + ?Sized>(&self, value: &T, flags: i32) -> io::Result<()> {
        let body = serde_json::to_vec(value)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        self.send(body, flags)
    }

    /// Receives one frame and reads it as JSON into a `T`: pyzmq's
    /// `recv_json`. Waits, and takes flags, as [`recv`](Socket::recv);
    /// like it, it reads one frame.
    ///
    /// # Errors
    ///
    /// `InvalidData` with a [`RecvJsonError`] inside when the frame is not
    /// JSON or not a `T`; the frame is not lost, the error gives it back.
    /// Otherwise as [`recv`](Socket::recv).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use greenline::zmq::{self, RecvJsonError};
    /// let ctx = zmq::Context::new();
    /// let pull = ctx.socket(zmq::PULL)?;
    /// pull.bind("tcp://127.0.0.1:*")?;
    /// let push = ctx.socket(zmq::PUSH)?;
    /// push.connect(&pull.last_endpoint().unwrap())?;
    /// push.send_json(&("task", 7), 0)?;
    /// push.send("not json", 0)?;
    /// let (name, workload): (String, u32) = pull.recv_json(0)?;
    /// assert_eq!((name.as_str(), workload), ("task", 7));
    /// let e = pull.recv_json::<(String, u32)>(0).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::InvalidData);
    /// let e = e.into_inner().unwrap().downcast::<RecvJsonError>().unwrap();
    /// assert_eq!(e.into_frame(), "not json");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn recv_json<T: DeserializeOwned>(&self, flags: i32) -> io::Result<T> {
        let frame = self.recv(flags)?;
        serde_json::from_slice(&frame).map_err(|error| {
            io::Error::new(io::ErrorKind::InvalidData, RecvJsonError { frame, error })
        })
    }
}

/// A frame [`Socket::recv_json`] received but could not read, carried
/// inside its `InvalidData` error: the frame itself and why.
#[derive(Debug)]
pub struct RecvJsonError {
    frame: Bytes,
    error: serde_json::Error,
}

impl RecvJsonError {
    /// The frame as received.
    pub fn frame(&self) -> &Bytes {
        &self.frame
    }

    /// Gives the frame back.
    pub fn into_frame(self) -> Bytes {
        self.frame
    }

    /// What serde_json found wrong with it (where, and whether it is not
    /// JSON at all or JSON of another shape).
    pub fn json_error(&self) -> &serde_json::Error {
        &self.error
    }
}

impl fmt::Display for RecvJsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "frame of {} octets is not the JSON expected: {}",
            self.frame.len(),
            self.error
        )
    }
}

impl std::error::Error for RecvJsonError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}
