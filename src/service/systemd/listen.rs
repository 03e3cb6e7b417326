//! Socket activation (sd_listen_fds(3)): the listening sockets a service
//! manager opened for the process, taken by name.
//!
//! The manager passes them as descriptors 3, 4, … (`SD_LISTEN_FDS_START`),
//! says how many in `LISTEN_FDS`, for which process in `LISTEN_PID` (a
//! child that inherited the variables must not take them), and names
//! them, colon-separated, in `LISTEN_FDNAMES`; an unnamed one is called
//! `unknown`, as systemd calls it.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

use crate::net::TcpListener;
use crate::sys::daemon::{adopt_inherited_fd, dup_cloexec};

/// The first passed descriptor (sd_listen_fds(3)'s `SD_LISTEN_FDS_START`).
const LISTEN_FDS_START: RawFd = 3;

/// The descriptors passed to this process, each with its name, until
/// taken.
#[derive(Debug, Default)]
pub struct Activated {
    fds: Vec<(String, OwnedFd)>,
}

impl Activated {
    /// The descriptors the environment passes to this process: empty when
    /// `LISTEN_PID` is unset or names another process.
    ///
    /// Reads the environment and takes ownership of the descriptors, so a
    /// process does it once; [`take_listener`] does it on first use.
    ///
    /// # Errors
    ///
    /// `InvalidData` naming the variable and its value when `LISTEN_FDS`
    /// is not a number or `LISTEN_FDNAMES` has another count of names;
    /// `EBADF` when a descriptor it announces is not open.
    pub fn from_env() -> io::Result<Activated> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        // LISTEN_PID names the process the descriptors are for; a
        // greenline upgrade names the predecessor that spawned this one
        // instead (GREENLINE_LISTEN_PARENT), since it cannot know the
        // child's pid before the exec.
        let ours = match (var("LISTEN_PID"), var("GREENLINE_LISTEN_PARENT")) {
            (Some(pid), _) => pid.trim().parse::<u32>().ok() == Some(std::process::id()),
            (None, Some(parent)) => {
                parent.trim().parse::<u32>().ok() == Some(std::os::unix::process::parent_id())
            }
            (None, None) => false,
        };
        if !ours {
            return Ok(Activated::default());
        }
        let count = match var("LISTEN_FDS") {
            None => 0,
            Some(v) => v.trim().parse::<u16>().map_err(|_| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("LISTEN_FDS={v:?}: expected a number of descriptors"),
                )
            })?,
        };
        let names: Vec<String> = match var("LISTEN_FDNAMES") {
            Some(v) => {
                let names: Vec<String> = v.split(':').map(str::to_string).collect();
                if names.len() != usize::from(count) {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "LISTEN_FDNAMES={v:?} names {} descriptors, LISTEN_FDS says {count}",
                            names.len()
                        ),
                    ));
                }
                names
            }
            None => vec!["unknown".to_string(); usize::from(count)],
        };
        let mut fds = Vec::with_capacity(names.len());
        for (i, name) in names.into_iter().enumerate() {
            let fd = adopt_inherited_fd(LISTEN_FDS_START + i as RawFd).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!(
                        "LISTEN_FDS descriptor {} ({name}): {e}",
                        LISTEN_FDS_START + i as RawFd
                    ),
                )
            })?;
            fds.push((name, fd));
        }
        Ok(Activated { fds })
    }

    /// The names of the descriptors not yet taken, in order.
    pub fn names(&self) -> Vec<&str> {
        self.fds.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// Takes the first descriptor called `name`, or `None`.
    pub fn take(&mut self, name: &str) -> Option<OwnedFd> {
        let i = self.fds.iter().position(|(n, _)| n == name)?;
        Some(self.fds.remove(i).1)
    }

    /// Takes the descriptor called `name` as a greenline TCP listener.
    ///
    /// # Errors
    ///
    /// `InvalidInput` naming it when the descriptor is not a listening
    /// stream socket (the descriptor is closed then).
    pub fn take_tcp_listener(&mut self, name: &str) -> io::Result<Option<TcpListener>> {
        let Some(fd) = self.take(name) else {
            return Ok(None);
        };
        let socket = socket2::Socket::from(fd);
        let listening = socket.r#type()? == socket2::Type::STREAM && socket.is_listener()?;
        if !listening {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("passed descriptor {name:?} is not a listening stream socket"),
            ));
        }
        TcpListener::from_std(socket.into()).map(Some)
    }
}

/// The listener the service manager passed under `name`, if it passed
/// one: the way a server takes its socket under socket activation and
/// binds its own otherwise.
///
/// The environment is read on the first call (see
/// [`Activated::from_env`]); each descriptor is handed out once.
///
/// # Errors
///
/// As [`Activated::from_env`] and [`Activated::take_tcp_listener`].
///
/// # Examples
///
/// ```
/// use greenline::net::TcpListener;
/// use greenline::service::systemd::take_listener;
///
/// let listener = match take_listener("http").unwrap() {
///     Some(passed) => passed,
///     None => TcpListener::bind("127.0.0.1:0").unwrap(),
/// };
/// # drop(listener);
/// ```
pub fn take_listener(name: &str) -> io::Result<Option<TcpListener>> {
    static PASSED: OnceLock<Mutex<io::Result<Activated>>> = OnceLock::new();
    let mut passed = PASSED
        .get_or_init(|| Mutex::new(Activated::from_env()))
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    match &mut *passed {
        Ok(activated) => activated.take_tcp_listener(name),
        Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
    }
}

/// [`take_listener`], or else a new listener bound to `addr`. In a
/// process run by greenline's command (which can upgrade), a duplicate of
/// it is kept under `name`, so that an upgrade (`greenline upgrade`) can
/// hand it to the successor process, which takes it back with this same
/// call; the port then stays bound until the process exits. Elsewhere
/// nothing is kept, and closing the listener frees the port.
///
/// # Errors
///
/// As [`take_listener`], and the bind's error naming the address
/// (`AddrInUse` for a port already taken).
pub fn listener_or_bind(name: &str, addr: &str) -> io::Result<TcpListener> {
    let listener = match take_listener(name)? {
        Some(l) => l,
        None => TcpListener::bind(addr)
            .map_err(|e| io::Error::new(e.kind(), format!("bind {name} {addr}: {e}")))?,
    };
    if !KEEP.load(Ordering::Relaxed) {
        return Ok(listener);
    }
    let dup = dup_cloexec(listener.as_raw_fd())?;
    let mut kept = HANDOVER.lock().unwrap_or_else(|p| p.into_inner());
    kept.retain(|(n, _)| n != name);
    kept.push((name.to_string(), dup));
    Ok(listener)
}

/// Whether [`listener_or_bind`] keeps duplicates for an upgrade: set by
/// the command before it builds the application's tree.
static KEEP: AtomicBool = AtomicBool::new(false);

/// From now on, [`listener_or_bind`] keeps a duplicate of each listener
/// for an upgrade to hand over.
pub(crate) fn keep_for_upgrade() {
    KEEP.store(true, Ordering::Relaxed);
}

/// Duplicates of the listeners [`listener_or_bind`] made, by name.
static HANDOVER: Mutex<Vec<(String, OwnedFd)>> = Mutex::new(Vec::new());

/// Fresh duplicates of the listeners to hand to a successor, by name.
pub(crate) fn handover() -> io::Result<Vec<(String, OwnedFd)>> {
    let kept = HANDOVER.lock().unwrap_or_else(|p| p.into_inner());
    kept.iter()
        .map(|(name, fd)| Ok((name.clone(), dup_cloexec(fd.as_raw_fd())?)))
        .collect()
}
