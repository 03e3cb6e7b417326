//! The built-in proxy and the three classic devices (libzmq `zmq_proxy`,
//! `zmq_device`).

use std::io;

use super::poller::Poller;
use super::socket::{Socket, DONTWAIT, POLLIN};

/// Forwards whole messages between `frontend` and `backend`, both ways,
/// copying each to `capture` (if given, without blocking) on the way.
///
/// Runs until an error: it returns only when a socket's context is
/// terminated ([`Context::term`](super::Context::term), kind
/// `ConnectionAborted`), a socket is closed through another handle
/// (`NotConnected`), the caller's [`Timeout`](crate::Timeout) passes, or
/// a send fails. A full destination blocks the proxy (as libzmq's does).
///
/// # Examples
///
/// A queue device between REQ clients and REP workers, stopped by `term`:
///
/// ```
/// use greenline::zmq;
/// let ctx = zmq::Context::new();
/// let (frontend, backend) = (ctx.socket(zmq::ROUTER)?, ctx.socket(zmq::DEALER)?);
/// frontend.bind("inproc://clients")?;
/// backend.bind("inproc://workers")?;
/// let device = greenline::spawn(move || zmq::proxy(&frontend, &backend, None));
/// let worker = ctx.socket(zmq::REP)?;
/// worker.connect("inproc://workers")?;
/// let client = ctx.socket(zmq::REQ)?;
/// client.connect("inproc://clients")?;
/// client.send("ping", 0)?;
/// assert_eq!(worker.recv(0)?, "ping");
/// worker.send("pong", 0)?;
/// assert_eq!(client.recv(0)?, "pong");
/// drop((worker, client)); // term waits for every socket to be closed
/// ctx.term()?; // the device returns, dropping its two sockets
/// assert_eq!(device.join().unwrap().unwrap_err().kind(), std::io::ErrorKind::ConnectionAborted);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn proxy(frontend: &Socket, backend: &Socket, capture: Option<&Socket>) -> io::Result<()> {
    let mut poller = Poller::new();
    poller.register(frontend, POLLIN);
    poller.register(backend, POLLIN);
    loop {
        let socks = poller.poll(None)?;
        if socks.contains(frontend) {
            forward(frontend, backend, capture)?;
        }
        if socks.contains(backend) {
            forward(backend, frontend, capture)?;
        }
    }
}

/// Moves one message from `from` (which polled readable) to `to`.
fn forward(from: &Socket, to: &Socket, capture: Option<&Socket>) -> io::Result<()> {
    let msg = match from.recv_multipart(DONTWAIT) {
        Ok(msg) => msg,
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
        Err(e) => return Err(e),
    };
    if let Some(capture) = capture {
        let _ = capture.send_multipart(msg.iter().cloned(), DONTWAIT);
    }
    to.send_multipart(msg, 0)
}

/// The QUEUE device: ROUTER `frontend` for clients, DEALER `backend` for
/// workers ([`proxy`] without capture).
///
/// # Errors
///
/// As [`proxy`].
pub fn queue(frontend: &Socket, backend: &Socket) -> io::Result<()> {
    proxy(frontend, backend, None)
}

/// The FORWARDER device: XSUB `frontend` to publishers, XPUB `backend` to
/// subscribers; subscriptions flow upstream through it.
///
/// # Errors
///
/// As [`proxy`].
pub fn forwarder(frontend: &Socket, backend: &Socket) -> io::Result<()> {
    proxy(frontend, backend, None)
}

/// The STREAMER device: PULL `frontend` from producers, PUSH `backend` to
/// consumers.
///
/// # Errors
///
/// As [`proxy`].
pub fn streamer(frontend: &Socket, backend: &Socket) -> io::Result<()> {
    proxy(frontend, backend, None)
}
