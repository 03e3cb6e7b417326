//! Parsing `transport://address` endpoint strings.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use super::error::ZmqError;

/// A parsed endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// `tcp://host:port`; for bind, `*` means every interface and port `*`
    /// or `0` an ephemeral one.
    Tcp { host: String, port: u16 },
    /// `ipc:///path` (a Unix domain socket).
    Ipc(PathBuf),
    /// `inproc://name`, within one [`Context`](super::Context).
    Inproc(String),
}

impl Endpoint {
    pub(crate) fn parse(s: &str) -> io::Result<Endpoint> {
        let bad = || io::Error::from(ZmqError::InvalidEndpoint(s.to_string()));
        let (scheme, rest) = s.split_once("://").ok_or_else(bad)?;
        match scheme {
            "tcp" => {
                let (host, port) = rest.rsplit_once(':').ok_or_else(bad)?;
                let host = host.trim_start_matches('[').trim_end_matches(']');
                if host.is_empty() {
                    return Err(bad());
                }
                let port = if port == "*" {
                    0
                } else {
                    port.parse().map_err(|_| bad())?
                };
                Ok(Endpoint::Tcp {
                    host: host.to_string(),
                    port,
                })
            }
            "ipc" if !rest.is_empty() => Ok(Endpoint::Ipc(PathBuf::from(rest))),
            "inproc" if !rest.is_empty() => Ok(Endpoint::Inproc(rest.to_string())),
            _ => Err(bad()),
        }
    }

    /// The address to listen on: `*` is every IPv4 interface.
    pub(crate) fn bind_addr(host: &str, port: u16) -> io::Result<SocketAddr> {
        if host == "*" {
            return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port));
        }
        resolve(host, port)
    }
}

/// Resolves `host:port` to its first address. A name goes to the system
/// resolver on greenline's blocking pool, never on a worker (it blocks);
/// endpoints with IP addresses never reach the resolver.
pub(crate) fn resolve(host: &str, port: u16) -> io::Result<SocketAddr> {
    crate::net::resolve((host, port))?
        .into_iter()
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("cannot resolve {host}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_transports() {
        let cases: [(&str, Option<Endpoint>); 8] = [
            (
                "tcp://127.0.0.1:5555",
                Some(Endpoint::Tcp {
                    host: "127.0.0.1".into(),
                    port: 5555,
                }),
            ),
            (
                "tcp://*:*",
                Some(Endpoint::Tcp {
                    host: "*".into(),
                    port: 0,
                }),
            ),
            (
                "tcp://[::1]:7",
                Some(Endpoint::Tcp {
                    host: "::1".into(),
                    port: 7,
                }),
            ),
            (
                "ipc:///tmp/x.sock",
                Some(Endpoint::Ipc("/tmp/x.sock".into())),
            ),
            ("inproc://a", Some(Endpoint::Inproc("a".into()))),
            ("tcp://127.0.0.1", None),
            ("udp://1.2.3.4:5", None),
            ("inproc://", None),
        ];
        for (s, want) in cases {
            assert_eq!(Endpoint::parse(s).ok(), want, "{s}");
        }
    }
}
