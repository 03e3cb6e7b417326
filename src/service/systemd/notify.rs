//! sd_notify(3): state changes sent as datagrams to `NOTIFY_SOCKET`.

use std::io;
use std::os::unix::net::{SocketAddr, UnixDatagram};

/// A connection to the service manager's notification socket.
///
/// Every message is one datagram of `KEY=VALUE` lines, sent without
/// blocking: a manager that does not read its socket makes a send fail
/// with `WouldBlock` instead of holding up a worker.
#[derive(Debug)]
pub struct Notifier {
    socket: UnixDatagram,
    addr: SocketAddr,
    /// `NOTIFY_SOCKET` as given, for error messages.
    name: String,
}

impl Notifier {
    /// The notifier `NOTIFY_SOCKET` names, or `None` when it is unset or
    /// empty (not run by a service manager that wants notifications).
    ///
    /// # Errors
    ///
    /// `InvalidInput` naming the variable when its value is neither an
    /// absolute path nor an `@` abstract name (`vsock:` addresses are not
    /// supported); the system's error when no socket can be made.
    pub fn from_env() -> io::Result<Option<Notifier>> {
        match std::env::var_os("NOTIFY_SOCKET") {
            Some(v) if !v.is_empty() => Notifier::connect(&v.to_string_lossy()).map(Some),
            _ => Ok(None),
        }
    }

    /// A notifier for socket `name`: an absolute path, or `@name` for a
    /// Linux abstract socket name (sd_notify(3)).
    ///
    /// # Errors
    ///
    /// As [`from_env`](Notifier::from_env).
    pub fn connect(name: &str) -> io::Result<Notifier> {
        let addr = if let Some(abstract_name) = name.strip_prefix('@') {
            abstract_addr(abstract_name.as_bytes())?
        } else if name.starts_with('/') {
            SocketAddr::from_pathname(name)?
        } else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("NOTIFY_SOCKET={name:?}: expected an absolute path or an @abstract name"),
            ));
        };
        let socket = UnixDatagram::unbound()?;
        socket.set_nonblocking(true)?;
        Ok(Notifier {
            socket,
            addr,
            name: name.to_string(),
        })
    }

    /// Sends `state`: one or more `KEY=VALUE` lines, as sd_notify(3)
    /// takes them.
    ///
    /// # Errors
    ///
    /// The system's error, naming the socket (`WouldBlock` when the
    /// manager's queue is full, `ConnectionRefused` when nobody listens).
    pub fn notify(&self, state: &str) -> io::Result<()> {
        self.socket
            .send_to_addr(state.as_bytes(), &self.addr)
            .map(drop)
            .map_err(|e| io::Error::new(e.kind(), format!("NOTIFY_SOCKET {}: {e}", self.name)))
    }

    /// `READY=1`: start-up is finished (or, after a reload, the reload).
    pub fn ready(&self) -> io::Result<()> {
        self.notify("READY=1")
    }

    /// `STATUS=…`: a one-line free-form status the manager shows. Line
    /// breaks in `text` become spaces so they cannot start a new key.
    pub fn status(&self, text: &str) -> io::Result<()> {
        self.notify(&format!("STATUS={}", text.replace(['\n', '\r'], " ")))
    }

    /// `STOPPING=1`: a stop began.
    pub fn stopping(&self) -> io::Result<()> {
        self.notify("STOPPING=1")
    }

    /// `RELOADING=1` with `MONOTONIC_USEC=` the time now on
    /// `CLOCK_MONOTONIC` in microseconds, as `Type=notify-reload` wants
    /// it; `READY=1` follows once the reload is over.
    pub fn reloading(&self) -> io::Result<()> {
        let usec = crate::sys::clock::monotonic_clock() / 1_000;
        self.notify(&format!("RELOADING=1\nMONOTONIC_USEC={usec}"))
    }

    /// `WATCHDOG=1`: the service is alive.
    pub fn watchdog(&self) -> io::Result<()> {
        self.notify("WATCHDOG=1")
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn abstract_addr(name: &[u8]) -> io::Result<SocketAddr> {
    #[cfg(target_os = "android")]
    use std::os::android::net::SocketAddrExt;
    #[cfg(target_os = "linux")]
    use std::os::linux::net::SocketAddrExt;
    SocketAddr::from_abstract_name(name)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn abstract_addr(_name: &[u8]) -> io::Result<SocketAddr> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "abstract socket names exist only on Linux",
    ))
}
