//! A UDP socket whose receives and sends yield.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use super::deadline::{self, Dir, OwnTimeouts, Timeouts};

/// A UDP socket: `recv_from` parks the greenlet until a datagram arrives.
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
    io: may::net::UdpSocket,
    timeouts: OwnTimeouts,
}

impl UdpSocket {
    /// Binds to `addr` (without `SO_REUSEPORT`: a busy port is `AddrInUse`).
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        crate::config::ensure_started();
        let s = std::net::UdpSocket::bind(addr)?;
        Ok(UdpSocket {
            io: crate::glue::adopt_udp_socket(s)?,
            timeouts: OwnTimeouts::new(),
        })
    }

    /// Sets the default destination and the only accepted source.
    pub fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        self.io.connect(addr)
    }

    /// Waits for a datagram; returns its length and sender.
    ///
    /// Woken by a datagram, the read timeout or a deadline
    /// (`ErrorKind::TimedOut`).
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        deadline::call(&mut &*self, Dir::Read, "UdpSocket::recv_from", |s| {
            s.io.recv_from(buf)
        })
    }

    /// Waits for a datagram from the connected peer.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        deadline::call(&mut &*self, Dir::Read, "UdpSocket::recv", |s| {
            s.io.recv(buf)
        })
    }

    /// Sends a datagram to `addr`, waiting while the send buffer is full.
    pub fn send_to(&self, buf: &[u8], addr: SocketAddr) -> io::Result<usize> {
        deadline::call(&mut &*self, Dir::Write, "UdpSocket::send_to", |s| {
            s.io.send_to(buf, addr)
        })
    }

    /// Sends a datagram to the connected peer.
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        deadline::call(&mut &*self, Dir::Write, "UdpSocket::send", |s| {
            s.io.send(buf)
        })
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.local_addr()
    }

    /// Bounds each receive (`ErrorKind::TimedOut`); `None` waits forever.
    pub fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        self.set_own_timeout(Dir::Read, t)
    }

    /// Bounds each send.
    pub fn set_write_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        self.set_own_timeout(Dir::Write, t)
    }

    /// Allows sending to broadcast addresses.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.io.set_broadcast(on)
    }
}

deadline::impl_timeouts!(&UdpSocket);
