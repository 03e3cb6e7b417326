//! The byte stream of one tcp:// or ipc:// connection, whichever side
//! opened it.

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::time::Duration;

use crate::net::{TcpStream, UnixStream};
use crate::zmq::endpoint::{self, Endpoint};

/// A connection over either stream transport.
pub(crate) enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
    /// Opens a connection to a tcp or ipc endpoint (one attempt). Waits
    /// until it is made or refused: a greenlet yields, a thread blocks; a
    /// kill ends the wait. A host name goes through the system resolver,
    /// which blocks the thread (an IP address never does).
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

    /// A second handle to the same connection (the writer greenlet's).
    pub(crate) fn try_clone(&self) -> io::Result<Stream> {
        Ok(match self {
            Stream::Tcp(s) => Stream::Tcp(s.try_clone()?),
            Stream::Unix(s) => Stream::Unix(s.try_clone()?),
        })
    }

    /// Shuts both directions: a read or write blocked on any handle of the
    /// connection returns.
    pub(crate) fn shutdown(&self) {
        let _ = match self {
            Stream::Tcp(s) => s.shutdown(Shutdown::Both),
            Stream::Unix(s) => s.shutdown(Shutdown::Both),
        };
    }

    /// Bounds each later read: it fails with `TimedOut` after `t`.
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
