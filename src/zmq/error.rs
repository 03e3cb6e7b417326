//! Errors of the socket layer that are not plain I/O errors.

use std::fmt;
use std::io;

/// Why a socket operation was refused, carried inside an [`io::Error`].
///
/// Every variant maps to an [`io::ErrorKind`] (see
/// [`ZmqError::kind`]), so callers can match on the kind alone; the variant
/// is there for messages and for callers that want libzmq's errno name:
///
/// ```
/// use greenline::zmq::{self, ZmqError};
/// let ctx = zmq::Context::new();
/// let req = ctx.socket(zmq::REQ).unwrap();
/// let err = req.recv(0).unwrap_err(); // recv before send
/// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
/// assert_eq!(ZmqError::from_io(&err), Some(&ZmqError::InvalidState));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ZmqError {
    /// The operation breaks the socket's state machine, e.g. a REQ sending
    /// twice without a reply (libzmq `EFSM`). Kind `InvalidInput`.
    InvalidState,
    /// The socket type cannot do this, e.g. recv on PUB (libzmq `ENOTSUP`).
    /// Kind `Unsupported`.
    NotSupported,
    /// ROUTER with `router_mandatory`: no peer has that identity (libzmq
    /// `EHOSTUNREACH`). Kind `NotConnected` (`HostUnreachable` needs Rust 1.83, above our MSRV).
    HostUnreachable,
    /// The endpoint string is malformed or names an unknown transport
    /// (libzmq `EINVAL`/`EPROTONOSUPPORT`). Kind `InvalidInput`.
    InvalidEndpoint(String),
    /// `unbind`/`disconnect` of an endpoint the socket does not have
    /// (libzmq `ENOENT`). Kind `NotFound`.
    NoSuchEndpoint(String),
    /// Another socket of this context is bound to that inproc name (libzmq
    /// `EADDRINUSE`). Kind `AddrInUse`.
    AddressInUse(String),
    /// The context was terminated (libzmq `ETERM`). Kind `ConnectionAborted`.
    ContextTerminated,
    /// The socket was closed, through another handle of it (libzmq
    /// `ENOTSOCK`). Kind `NotConnected`, as a closed
    /// [`greenline::net`](crate::net) socket reports.
    Closed,
}

impl ZmqError {
    /// The `io::ErrorKind` this error is reported with.
    pub fn kind(&self) -> io::ErrorKind {
        match self {
            ZmqError::InvalidState | ZmqError::InvalidEndpoint(_) => io::ErrorKind::InvalidInput,
            ZmqError::NotSupported => io::ErrorKind::Unsupported,
            ZmqError::HostUnreachable | ZmqError::Closed => io::ErrorKind::NotConnected,
            ZmqError::NoSuchEndpoint(_) => io::ErrorKind::NotFound,
            ZmqError::AddressInUse(_) => io::ErrorKind::AddrInUse,
            ZmqError::ContextTerminated => io::ErrorKind::ConnectionAborted,
        }
    }

    /// The `ZmqError` inside an `io::Error` made from one.
    pub fn from_io(err: &io::Error) -> Option<&ZmqError> {
        err.get_ref()?.downcast_ref::<ZmqError>()
    }
}

impl fmt::Display for ZmqError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ZmqError::InvalidState => {
                f.write_str("operation not allowed in the socket's current state")
            }
            ZmqError::NotSupported => f.write_str("operation not supported by this socket type"),
            ZmqError::HostUnreachable => f.write_str("no peer with that routing id"),
            ZmqError::InvalidEndpoint(e) => write!(f, "invalid endpoint {e:?}"),
            ZmqError::NoSuchEndpoint(e) => write!(f, "endpoint {e:?} is not bound or connected"),
            ZmqError::AddressInUse(e) => write!(f, "inproc endpoint {e:?} is already bound"),
            ZmqError::ContextTerminated => f.write_str("context terminated"),
            ZmqError::Closed => f.write_str("the socket was closed"),
        }
    }
}

impl std::error::Error for ZmqError {}

impl From<ZmqError> for io::Error {
    fn from(e: ZmqError) -> io::Error {
        io::Error::new(e.kind(), e)
    }
}
