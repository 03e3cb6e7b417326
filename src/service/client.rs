//! [`TcpClient`]: the talk's client service, a connection made when the
//! service starts and a handler run on it in the service's greenlets.

use std::fmt;
use std::io;
use std::net::Shutdown;
use std::sync::{Arc, Mutex};

use super::context::ServiceContext;
use super::hooks::Service;
use super::retry::{connect_and_retry, RetryPolicy};
use super::state::Ready;
use crate::net::TcpStream;
use crate::sync::waiter::lock;

/// The handler: given the connected stream; an error it returns is logged.
type HandlerFn = dyn Fn(TcpStream) -> io::Result<()> + Send + Sync;

/// A client service: connects to an address when it starts and runs a
/// handler with the stream in a greenlet of the service (gservice's
/// `TcpClient`).
///
/// `do_start` connects (with [`connect_and_retry`] and the client's
/// [`RetryPolicy`], by default one attempt with a 10 s timeout), so the
/// service is ready once connected; a connection that cannot be made fails
/// the start with an error naming the address. `do_stop` shuts the
/// connection down both ways, so a handler blocked reading it sees end of
/// file and returns within the stop's grace period. The handler is not run
/// again when it returns: the service stays ready with no connection.
///
/// # Examples
///
/// ```
/// use std::io::Write;
/// use greenline::service::{ServiceTree, TcpClient};
/// use greenline::sync::Queue;
///
/// let listener = greenline::net::TcpListener::bind("127.0.0.1:0").unwrap();
/// let addr = listener.local_addr().unwrap().to_string();
/// greenline::spawn(move || listener.accept().unwrap().0.write_all(b"hello\n"));
/// let lines = Queue::new();
/// let got = lines.clone();
/// let app = ServiceTree::new("app");
/// app.add_service(TcpClient::new("client", addr, move |stream| {
///     let mut file = stream.makefile()?;
///     while let Some(line) = file.readline()? {
///         got.put(line).unwrap();
///     }
///     Ok(())
/// })).unwrap();
/// app.start().unwrap();
/// assert_eq!(lines.get().unwrap(), "hello\n");
/// assert!(app.stop().is_clean());
/// ```
pub struct TcpClient {
    name: String,
    addr: String,
    policy: RetryPolicy,
    handler: Arc<HandlerFn>,
    /// A clone of the connection while the service runs, for `do_stop`.
    conn: Mutex<Option<TcpStream>>,
}

impl TcpClient {
    /// A client service named `name` that connects to `addr` (`host:port`)
    /// and runs `handler` with the stream.
    pub fn new(
        name: impl Into<String>,
        addr: impl Into<String>,
        handler: impl Fn(TcpStream) -> io::Result<()> + Send + Sync + 'static,
    ) -> TcpClient {
        TcpClient {
            name: name.into(),
            addr: addr.into(),
            policy: RetryPolicy::new().max_attempts(1),
            handler: Arc::new(handler),
            conn: Mutex::new(None),
        }
    }

    /// Connects as `policy` says (retries with back-off), instead of one
    /// attempt. Keep the policy's deadline within the service's ready
    /// timeout's spirit: `start` waits for the connect.
    pub fn retry(mut self, policy: RetryPolicy) -> TcpClient {
        self.policy = policy;
        self
    }

    /// The address it connects to.
    pub fn addr(&self) -> &str {
        &self.addr
    }
}

impl Service for TcpClient {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn do_start(&self, ctx: &ServiceContext) -> io::Result<Ready> {
        let addr = &self.addr;
        let stream = connect_and_retry(addr.as_str(), &self.policy)
            .map_err(|e| io::Error::new(e.kind(), format!("cannot connect to {addr}: {e}")))?;
        *lock(&self.conn) = Some(stream.try_clone()?);
        let handler = self.handler.clone();
        let addr = addr.clone();
        ctx.spawn(move || {
            if let Err(e) = handler(stream) {
                log::warn!("client of {addr}: {e}");
            }
        });
        Ok(Ready::Now)
    }

    fn do_stop(&self, _ctx: &ServiceContext) -> io::Result<()> {
        if let Some(conn) = lock(&self.conn).take() {
            // Already closed by the peer: nothing left to wake.
            let _ = conn.shutdown(Shutdown::Both);
        }
        Ok(())
    }
}

impl fmt::Debug for TcpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpClient")
            .field("name", &self.name)
            .field("addr", &self.addr)
            .finish()
    }
}
