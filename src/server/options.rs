//! Options for building a [`StreamServer`](super::StreamServer).

use crate::net::ListenOptions;

/// Options for [`StreamServer::bind_with`](super::StreamServer::bind_with) and
/// [`StreamServer::with_options`](super::StreamServer::with_options).
///
/// # Examples
///
/// ```
/// use greenline::server::{ServerOptions, StreamServer};
/// let options = ServerOptions::new().max_connections(100);
/// let server = StreamServer::bind_with("127.0.0.1:0", options, |_conn, _peer| {}).unwrap();
/// assert!(server.local_addr().port() != 0);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    listen: ListenOptions,
    max_connections: Option<usize>,
    stack_size: Option<usize>,
}

impl ServerOptions {
    /// No connection limit, default listen options and stack size.
    pub fn new() -> ServerOptions {
        ServerOptions::default()
    }

    /// At most `n` handlers run at once: gevent's `spawn=Pool(n)`.
    ///
    /// While `n` are running the server does not call `accept`: new
    /// connections wait in the kernel's backlog (see
    /// [`ListenOptions::backlog`]) and are served, in order, as handlers
    /// finish. None is accepted and dropped.
    ///
    /// # Panics
    ///
    /// When `n` is 0.
    pub fn max_connections(mut self, n: usize) -> ServerOptions {
        assert!(n > 0, "max_connections must be at least 1");
        self.max_connections = Some(n);
        self
    }

    /// The listen options [`StreamServer::bind_with`](super::StreamServer::bind_with) uses (backlog,
    /// `SO_REUSEPORT`); ignored for a listener passed in.
    pub fn listen(mut self, options: ListenOptions) -> ServerOptions {
        self.listen = options;
        self
    }

    /// The stack size of each handler greenlet, in bytes.
    ///
    /// By default handlers get the runtime's default stack (see
    /// [`crate::config`]: 128 KiB, mapped lazily, and recycled by may's stack
    /// pool, which only pools default-size stacks). Raise it for handlers that
    /// recurse deeply or keep large buffers on the stack; an overflow ends
    /// the connection's greenlet without unwinding.
    pub fn stack_size(mut self, bytes: usize) -> ServerOptions {
        self.stack_size = Some(bytes);
        self
    }

    pub(super) fn listen_options(&self) -> ListenOptions {
        self.listen.clone()
    }

    pub(super) fn connection_limit(&self) -> Option<usize> {
        self.max_connections
    }

    pub(super) fn handler_stack_size(&self) -> Option<usize> {
        self.stack_size
    }
}
