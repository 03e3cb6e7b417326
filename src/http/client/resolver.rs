//! Host names to addresses for the client, on the blocking pool.

use ureq::http::Uri;
use ureq::unversioned::resolver::{self, DefaultResolver, ResolvedSocketAddrs};
use ureq::unversioned::transport::NextTimeout;
use ureq::{config::Config, Error};

use super::error::{from_io, time_left};

/// ureq's [`Resolver`](resolver::Resolver) on greenline's
/// [`resolve`](crate::net::resolve): a literal address is read in place,
/// a host name is looked up (`getaddrinfo`) on the blocking thread pool,
/// never on a worker, where it would stall every greenlet and socket of
/// the worker while it waits for DNS.
///
/// The calling greenlet parks until the pool thread answers. ureq's
/// `timeout_resolve` (or what its global timeout leaves), or a greenline
/// [`Timeout`](crate::Timeout) in force, ends the wait with
/// `Error::Timeout`; the lookup itself cannot be interrupted and finishes
/// on its thread. The port is the URL's, or the scheme's (80 for `http`).
/// Addresses of the family the config's `ip_family` excludes are dropped;
/// at most 16 are kept, in the resolver's order.
///
/// [`agent`](super::agent) uses it; name it only to build an agent of your
/// own with [`Agent::with_parts`](ureq::Agent::with_parts).
///
/// # Errors
///
/// `Error::BadUri` for a URL without scheme or host; `Error::Io` with the
/// resolver's error when the name does not resolve; `Error::HostNotFound`
/// when no address of the wanted family is left.
///
/// # Examples
///
/// ```
/// use greenline::http::client::{self, Resolver};
/// use greenline::http::client::ureq::unversioned::resolver::Resolver as _;
/// use greenline::http::client::ureq::unversioned::transport::NextTimeout;
/// let uri = "http://localhost:8080/".parse().unwrap();
/// let addrs = Resolver::default().resolve(&uri, &client::Config::default(), NextTimeout::default())?;
/// assert!(addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 8080));
/// # Ok::<(), client::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct Resolver(());

impl resolver::Resolver for Resolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, Error> {
        let (Some(scheme), Some(authority)) = (uri.scheme(), uri.authority()) else {
            return Err(Error::BadUri(format!("{uri}: no scheme or host")));
        };
        // "host:port", the port defaulted by the scheme; an IPv6 literal
        // keeps its brackets, which greenline's address parsing reads.
        let Some(addr) = DefaultResolver::host_and_port(scheme, authority) else {
            return Err(Error::BadUri(format!("{uri}: no port for scheme {scheme}")));
        };
        let found = match time_left(timeout)? {
            Some(t) => crate::with_timeout(t, || crate::net::resolve(addr.as_str())),
            None => crate::net::resolve(addr.as_str()),
        }
        .map_err(|e| from_io(e, timeout.reason))?;
        let mut addrs = resolver::Resolver::empty(self);
        for a in config.ip_family().keep_wanted(found.into_iter()) {
            if addrs.try_push(a).is_err() {
                break;
            }
        }
        if addrs.is_empty() {
            return Err(Error::HostNotFound);
        }
        Ok(addrs)
    }
}
