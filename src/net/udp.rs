//! A UDP socket whose receives and sends yield.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

use super::socket::Socket;
use super::wait::Dir;

/// A UDP socket: `recv_from` parks the greenlet until a datagram arrives.
///
/// One greenlet at a time may wait on a socket (in a receive, or in a send
/// while the send buffer is full); a second gets `ErrorKind::ResourceBusy`.
/// Greenlets that share a socket should take turns, or use one socket each.
///
/// # Examples
///
/// ```
/// use greenline::net::UdpSocket;
/// let a = UdpSocket::bind("127.0.0.1:0").unwrap();
/// let b = UdpSocket::bind("127.0.0.1:0").unwrap();
/// b.send_to(b"ping", a.local_addr().unwrap()).unwrap();
/// let mut buf = [0; 16];
/// let (n, from) = a.recv_from(&mut buf).unwrap();
/// assert_eq!((&buf[..n], from), (&b"ping"[..], b.local_addr().unwrap()));
/// ```
#[derive(Debug)]
pub struct UdpSocket {
    sock: Socket<std::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds to `addr` (without `SO_REUSEPORT`: a busy port is `AddrInUse`).
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        UdpSocket::from_std(std::net::UdpSocket::bind(addr)?)
    }

    /// Wraps a bound std socket; it is made non-blocking.
    pub fn from_std(s: std::net::UdpSocket) -> io::Result<UdpSocket> {
        Ok(UdpSocket {
            sock: Socket::new(s)?,
        })
    }

    /// Sets the default destination and the only accepted source.
    pub fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        self.sock.inner().connect(addr)
    }

    /// Waits for a datagram; returns its length and sender.
    ///
    /// Woken by a datagram, the read timeout or a deadline
    /// (`ErrorKind::TimedOut`); killing the greenlet unwinds out of the
    /// wait.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.sock
            .op(Dir::Read, "UdpSocket::recv_from", |s| s.recv_from(buf))
    }

    /// Waits for a datagram from the connected peer.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.sock.op(Dir::Read, "UdpSocket::recv", |s| s.recv(buf))
    }

    /// Sends a datagram to `addr`, waiting while the send buffer is full.
    pub fn send_to(&self, buf: &[u8], addr: SocketAddr) -> io::Result<usize> {
        self.sock
            .op(Dir::Write, "UdpSocket::send_to", |s| s.send_to(buf, addr))
    }

    /// Sends a datagram to the connected peer.
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.sock.op(Dir::Write, "UdpSocket::send", |s| s.send(buf))
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.sock.inner().local_addr()
    }

    /// Bounds each receive (`ErrorKind::TimedOut`); `None` waits forever.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a zero duration, as std.
    pub fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        self.sock.set_timeout(Dir::Read, t)
    }

    /// Bounds each send.
    pub fn set_write_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        self.sock.set_timeout(Dir::Write, t)
    }

    /// The receive timeout.
    pub fn read_timeout(&self) -> Option<Duration> {
        self.sock.timeout(Dir::Read)
    }

    /// The send timeout.
    pub fn write_timeout(&self) -> Option<Duration> {
        self.sock.timeout(Dir::Write)
    }

    /// A second handle to the socket (a dup'd descriptor, registered on its
    /// own), so one greenlet can receive while another sends. Timeouts are
    /// copied.
    pub fn try_clone(&self) -> io::Result<UdpSocket> {
        let s = UdpSocket::from_std(self.sock.inner().try_clone()?)?;
        s.set_read_timeout(self.read_timeout())?;
        s.set_write_timeout(self.write_timeout())?;
        Ok(s)
    }

    /// Closes this handle for every greenlet and thread using it: gevent's
    /// `close()`. One waiting in a receive or send wakes with
    /// `ErrorKind::NotConnected` (a plain thread within 50 ms), as does
    /// every later call; a clone is not affected. The descriptor is
    /// released when the socket is dropped.
    pub fn close(&self) {
        self.sock.close();
    }

    /// Allows sending to broadcast addresses.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.sock.inner().set_broadcast(on)
    }
}

impl AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.sock.fd()
    }
}
