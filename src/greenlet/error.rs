//! Why a greenlet produced no value.

use std::fmt;
use std::io;

/// The error [`Greenlet::join`](crate::Greenlet::join) returns when the
/// greenlet did not return a value.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GreenletError {
    /// The greenlet panicked; the process kept running.
    Panicked {
        /// The greenlet's name, or `greenlet#<id>` when it had none.
        greenlet: String,
        /// The panic message (`"<non-string panic payload>"` when the payload
        /// was neither `&str` nor `String`).
        message: String,
    },
    /// The greenlet was killed (before it started, or at a yield point).
    Killed {
        /// The greenlet's name, or `greenlet#<id>`.
        greenlet: String,
    },
    /// The greenlet overflowed its stack. It ended without unwinding: its
    /// destructors did not run, so what it held (locks, sockets) leaked.
    /// (Depending on where the overflow wrote, may can also end the whole
    /// process instead; see the crate docs.)
    /// Give it a bigger stack with [`Builder::stack_size`](crate::Builder::stack_size).
    StackOverflow {
        /// The greenlet's name, or `greenlet#<id>`.
        greenlet: String,
    },
    /// The join's timeout (or the caller's `Timeout`) passed first; the
    /// greenlet is still running.
    TimedOut,
    /// The value was already taken by an earlier successful join.
    AlreadyJoined,
}

impl fmt::Display for GreenletError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GreenletError::Panicked { greenlet, message } => {
                write!(f, "greenlet '{greenlet}' panicked: {message}")
            }
            GreenletError::Killed { greenlet } => write!(f, "greenlet '{greenlet}' was killed"),
            GreenletError::StackOverflow { greenlet } => {
                write!(f, "greenlet '{greenlet}' overflowed its stack")
            }
            GreenletError::TimedOut => f.write_str("timed out waiting for the greenlet"),
            GreenletError::AlreadyJoined => f.write_str("greenlet value already taken"),
        }
    }
}

impl std::error::Error for GreenletError {}

impl From<GreenletError> for io::Error {
    fn from(e: GreenletError) -> io::Error {
        let kind = match e {
            GreenletError::TimedOut => io::ErrorKind::TimedOut,
            GreenletError::Killed { .. } => io::ErrorKind::Interrupted,
            _ => io::ErrorKind::Other,
        };
        io::Error::new(kind, e)
    }
}
