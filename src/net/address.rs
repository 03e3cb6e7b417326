//! Addresses to connect to, borrowed or owned: what `create_connection`
//! and `resolve` take.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// An address made owned: resolved already, or a name to resolve off the
/// worker threads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// Socket addresses, tried in order.
    Resolved(Vec<SocketAddr>),
    /// A host name and a port, for the system resolver.
    Name {
        /// The host name.
        host: String,
        /// The port.
        port: u16,
    },
}

/// What `create_connection`, `TcpStream::connect` and `resolve` accept:
/// every form std's `ToSocketAddrs` takes, borrowed or owned (`"host:80"`,
/// `("host", 80)`, `&String`, a `SocketAddr`, a slice of them, ...).
///
/// Unlike `ToSocketAddrs`, it never resolves: it only reads the address, so
/// a name can be resolved on the blocking pool instead of a worker.
pub trait ToAddress {
    /// The address, owned.
    ///
    /// # Errors
    ///
    /// `InvalidInput` when a `"host:port"` string has no port.
    fn to_address(&self) -> io::Result<Address>;
}

impl ToAddress for Address {
    fn to_address(&self) -> io::Result<Address> {
        Ok(self.clone())
    }
}

impl<T: ToAddress + ?Sized> ToAddress for &T {
    fn to_address(&self) -> io::Result<Address> {
        (**self).to_address()
    }
}

impl ToAddress for SocketAddr {
    fn to_address(&self) -> io::Result<Address> {
        Ok(Address::Resolved(vec![*self]))
    }
}

impl ToAddress for SocketAddrV4 {
    fn to_address(&self) -> io::Result<Address> {
        SocketAddr::V4(*self).to_address()
    }
}

impl ToAddress for SocketAddrV6 {
    fn to_address(&self) -> io::Result<Address> {
        SocketAddr::V6(*self).to_address()
    }
}

impl ToAddress for [SocketAddr] {
    fn to_address(&self) -> io::Result<Address> {
        Ok(Address::Resolved(self.to_vec()))
    }
}

impl ToAddress for Vec<SocketAddr> {
    fn to_address(&self) -> io::Result<Address> {
        self.as_slice().to_address()
    }
}

impl ToAddress for (IpAddr, u16) {
    fn to_address(&self) -> io::Result<Address> {
        SocketAddr::new(self.0, self.1).to_address()
    }
}

impl ToAddress for (Ipv4Addr, u16) {
    fn to_address(&self) -> io::Result<Address> {
        SocketAddr::new(self.0.into(), self.1).to_address()
    }
}

impl ToAddress for (Ipv6Addr, u16) {
    fn to_address(&self) -> io::Result<Address> {
        SocketAddr::new(self.0.into(), self.1).to_address()
    }
}

impl ToAddress for (&str, u16) {
    fn to_address(&self) -> io::Result<Address> {
        Ok(match self.0.parse::<IpAddr>() {
            Ok(ip) => Address::Resolved(vec![SocketAddr::new(ip, self.1)]),
            Err(_) => Address::Name {
                host: self.0.to_string(),
                port: self.1,
            },
        })
    }
}

impl ToAddress for (String, u16) {
    fn to_address(&self) -> io::Result<Address> {
        (self.0.as_str(), self.1).to_address()
    }
}

impl ToAddress for str {
    /// `"1.2.3.4:80"`, `"[::1]:80"` or `"host:80"`.
    fn to_address(&self) -> io::Result<Address> {
        if let Ok(a) = self.parse::<SocketAddr>() {
            return Ok(Address::Resolved(vec![a]));
        }
        let invalid = || io::Error::new(io::ErrorKind::InvalidInput, "invalid socket address");
        let (host, port) = self.rsplit_once(':').ok_or_else(invalid)?;
        let port = port.parse::<u16>().map_err(|_| invalid())?;
        (host, port).to_address()
    }
}

impl ToAddress for String {
    fn to_address(&self) -> io::Result<Address> {
        self.as_str().to_address()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_are_read_without_resolving() {
        let local: SocketAddr = "127.0.0.1:80".parse().unwrap();
        let cases: Vec<(Box<dyn Fn() -> io::Result<Address>>, Address)> = vec![
            (
                Box::new(|| "127.0.0.1:80".to_address()),
                Address::Resolved(vec![local]),
            ),
            (
                Box::new(move || local.to_address()),
                Address::Resolved(vec![local]),
            ),
            (
                Box::new(|| ("127.0.0.1", 80).to_address()),
                Address::Resolved(vec![local]),
            ),
            (
                Box::new(|| "example.org:443".to_string().to_address()),
                Address::Name {
                    host: "example.org".into(),
                    port: 443,
                },
            ),
            (
                Box::new(|| (&("localhost".to_string(), 8080)).to_address()),
                Address::Name {
                    host: "localhost".into(),
                    port: 8080,
                },
            ),
            (
                Box::new(|| "[::1]:9".to_address()),
                Address::Resolved(vec!["[::1]:9".parse().unwrap()]),
            ),
        ];
        for (f, want) in cases {
            assert_eq!(f().unwrap(), want);
        }
        assert_eq!(
            "no-port".to_address().unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        assert_eq!(
            "host:99999".to_address().unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
    }
}
