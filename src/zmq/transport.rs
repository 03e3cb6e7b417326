//! The byte streams under tcp:// and ipc:// endpoints.

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::endpoint::{self, Endpoint};
use crate::net::{TcpListener, TcpStream, UnixListener, UnixStream};

/// A connection over either stream transport.
pub(crate) enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
    pub(crate) fn try_clone(&self) -> io::Result<Stream> {
        Ok(match self {
            Stream::Tcp(s) => Stream::Tcp(s.try_clone()?),
            Stream::Unix(s) => Stream::Unix(s.try_clone()?),
        })
    }

    pub(crate) fn shutdown(&self) {
        let _ = match self {
            Stream::Tcp(s) => s.shutdown(Shutdown::Both),
            Stream::Unix(s) => s.shutdown(Shutdown::Both),
        };
    }

    pub(crate) fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_read_timeout(t),
            Stream::Unix(s) => s.set_read_timeout(t),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A bound tcp or ipc endpoint.
pub(crate) enum Listener {
    Tcp(TcpListener),
    /// The path is removed when the listener goes.
    Unix(UnixListener, PathBuf),
}

impl Listener {
    /// Binds `ep`; returns the listener and the endpoint as
    /// `last_endpoint` reports it (the real port for `*`/0).
    pub(crate) fn bind(ep: &Endpoint) -> io::Result<(Listener, String)> {
        match ep {
            Endpoint::Tcp { host, port } => {
                let addr = Endpoint::bind_addr(host, *port)?;
                let l = TcpListener::bind(addr)?;
                let local = l.local_addr()?;
                Ok((Listener::Tcp(l), format!("tcp://{local}")))
            }
            Endpoint::Ipc(path) => {
                remove_stale(path)?;
                let l = UnixListener::bind(path)?;
                Ok((
                    Listener::Unix(l, path.clone()),
                    format!("ipc://{}", path.display()),
                ))
            }
            Endpoint::Inproc(_) => unreachable!("inproc is bound by the context"),
        }
    }

    pub(crate) fn accept(&self) -> io::Result<Stream> {
        match self {
            Listener::Tcp(l) => {
                let (s, _) = l.accept()?;
                let _ = s.set_nodelay(true);
                Ok(Stream::Tcp(s))
            }
            Listener::Unix(l, _) => Ok(Stream::Unix(l.accept()?.0)),
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Listener::Unix(_, path) = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// An ipc path left behind by a process that died is removed; one that
/// something still listens on is `AddrInUse`.
fn remove_stale(path: &Path) -> io::Result<()> {
    if !path.exists() {
        return Ok(());
    }
    match std::os::unix::net::UnixStream::connect(path) {
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            format!("{} has a listener", path.display()),
        )),
        Err(_) => std::fs::remove_file(path),
    }
}

/// Opens a connection to a tcp or ipc endpoint (one attempt).
pub(crate) fn connect(ep: &Endpoint) -> io::Result<Stream> {
    match ep {
        Endpoint::Tcp { host, port } => {
            let addr = endpoint::resolve(host, *port)?;
            let s = TcpStream::connect(addr)?;
            let _ = s.set_nodelay(true);
            Ok(Stream::Tcp(s))
        }
        Endpoint::Ipc(path) => Ok(Stream::Unix(UnixStream::connect(path)?)),
        Endpoint::Inproc(_) => unreachable!("inproc is connected by the context"),
    }
}
