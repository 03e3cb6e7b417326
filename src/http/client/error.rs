//! The client's errors: ureq's [`Error`], as an `io::Error` of greenline's
//! kinds when wanted, and the conversions at the socket boundary.

use std::io::{self, ErrorKind};
use std::time::Duration;

use ureq::unversioned::transport::NextTimeout;
use ureq::Error;

use crate::GreenletError;

/// `e` as an `io::Error` of the kind every greenline call returns, for
/// code that returns `io::Result`: ureq's own
/// [`Error::into_io`](ureq::Error::into_io) makes every error but
/// [`Error::Io`] an `ErrorKind::Other`.
///
/// | ureq error | `ErrorKind` |
/// |---|---|
/// | `Io(e)` | `e`'s own (`ConnectionRefused`, `UnexpectedEof`, ...) |
/// | `Timeout(_)` | `TimedOut` |
/// | `HostNotFound` | `NotFound` |
/// | `BadUri`, `Http` (a bad header, say), `RequireHttpsOnly` | `InvalidInput` |
/// | `Protocol`, `LargeResponseHeader`, `BodyExceedsLimit` | `InvalidData` |
/// | `TlsRequired`, `Tls` | `Unsupported` |
/// | anything else (`StatusCode`, `TooManyRedirects`, ...) | `Other` |
///
/// The ureq error stays inside (`get_ref`, `into_inner`), and converts
/// back into itself with `ureq::Error::from`.
///
/// # Examples
///
/// ```
/// use greenline::http::client;
/// use greenline::net::TcpListener;
/// use std::time::Duration;
/// // A server that accepts and never answers.
/// let listener = TcpListener::bind("127.0.0.1:0").unwrap();
/// let url = format!("http://{}/", listener.local_addr().unwrap());
/// let _held = greenline::spawn(move || listener.accept());
/// let agent = client::agent(
///     client::Config::builder()
///         .timeout_recv_response(Some(Duration::from_millis(50)))
///         .build(),
/// );
/// let err = agent.get(&url).call().map_err(client::io_error).unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
/// ```
pub fn io_error(e: Error) -> io::Error {
    let kind = match &e {
        Error::Io(_) => return e.into_io(),
        Error::Timeout(_) => ErrorKind::TimedOut,
        Error::HostNotFound => ErrorKind::NotFound,
        Error::BadUri(_) | Error::Http(_) | Error::RequireHttpsOnly(_) => ErrorKind::InvalidInput,
        Error::Protocol(_) | Error::LargeResponseHeader(..) | Error::BodyExceedsLimit(_) => {
            ErrorKind::InvalidData
        }
        Error::TlsRequired | Error::Tls(_) => ErrorKind::Unsupported,
        _ => ErrorKind::Other,
    };
    io::Error::new(kind, e)
}

/// Why a greenlet produced no value (killed, panicked, timed out), as a
/// client error, so a greenlet returning `Result<T, client::Error>` gives
/// its result with one `?` through [`Greenlet::get`](crate::Greenlet::get).
impl From<GreenletError> for Error {
    fn from(e: GreenletError) -> Error {
        Error::Io(e.into())
    }
}

/// A socket error as ureq reports it: a timeout (the socket's own, from
/// ureq's budget, or a greenline `Timeout` in force) is
/// `Error::Timeout(reason)`, as ureq's own transport reports it; anything
/// else is `Error::Io` with its kind.
pub(super) fn from_io(e: io::Error, reason: ureq::Timeout) -> Error {
    if e.kind() == ErrorKind::TimedOut {
        Error::Timeout(reason)
    } else {
        Error::Io(e)
    }
}

/// The time ureq leaves a step, as a greenline timeout: `None` for none.
///
/// # Errors
///
/// `Error::Timeout` when the budget is spent already: a greenline socket
/// takes no zero timeout, and waiting at all would overrun it.
pub(super) fn time_left(timeout: NextTimeout) -> Result<Option<Duration>, Error> {
    if timeout.after.is_zero() {
        return Err(Error::Timeout(timeout.reason));
    }
    Ok(timeout.not_zero().map(|d| *d))
}
