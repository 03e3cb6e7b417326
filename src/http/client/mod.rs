//! An HTTP/1.1 client whose calls yield: what a gevent program gets from
//! `requests` after `monkey.patch_all()` (feature `client`, on by default).
//!
//! It is [ureq](https://docs.rs/ureq/3) on greenline's sockets: ureq
//! builds requests, keeps the connection pool, follows redirects, decodes
//! `Content-Length`, chunked and close-delimited bodies and keeps its
//! timeouts; greenline supplies every connection ([`TcpConnector`], a
//! greenline [`TcpStream`](crate::net::TcpStream) under each
//! [`TcpTransport`]) and every name lookup ([`Resolver`], on the blocking
//! pool). So a download in one greenlet parks only that greenlet, and a
//! thousand downloads share the workers.
//!
//! ```
//! use greenline::http::client;
//! use greenline::http::{HttpServer, Request, Response};
//! let server = HttpServer::bind("127.0.0.1:0", |req: &mut Request| {
//!     Response::text(200, format!("you asked for {}", req.path()))
//! }).unwrap();
//! server.start().unwrap();
//! let base = format!("http://{}", server.local_addr());
//! // gevent's concurrent_download: a greenlet per URL, then wait for all.
//! let jobs: Vec<_> = ["/a", "/b", "/c"]
//!     .map(|path| {
//!         let url = format!("{base}{path}");
//!         greenline::spawn(move || client::get(&url).call()?.body_mut().read_to_string())
//!     })
//!     .into_iter()
//!     .collect();
//! for (job, path) in jobs.into_iter().zip(["/a", "/b", "/c"]) {
//!     assert_eq!(job.get()?, format!("you asked for {path}"));
//! }
//! # Ok::<(), client::Error>(())
//! ```
//!
//! The API is ureq's, re-exported ([`ureq`]), so its documentation is this
//! module's: [`get`], [`post`] and the other verbs return ureq's
//! `RequestBuilder` (`.header(..)`, `.query(..)`, `.config()`, then
//! `.call()` or `.send(body)`), a response is an `http::Response<Body>`
//! (`.status()`, `.headers()`, `.body_mut().read_to_string()`,
//! `.read_to_vec()`, `.as_reader()`, and with feature `client-json`
//! `.read_json()` and `send_json`), and errors are [`Error`]. By ureq's
//! defaults, which this module keeps: a 4xx or 5xx status is
//! `Err(Error::StatusCode(code))` (`http_status_as_error(false)` to get
//! the response instead), redirects are followed up to 10
//! (`max_redirects`), then `Error::TooManyRedirects`; a `POST` answered
//! 301–303 is followed with a `GET`, one answered 307 or 308 fails with
//! `Error::RedirectFailed`; `read_to_string` and `read_to_vec` refuse a
//! body over 10 MB (`body_mut().with_config().limit(n)` to allow more);
//! an HTTP proxy named by the environment (`HTTP_PROXY`, `HTTPS_PROXY`,
//! `ALL_PROXY`, `NO_PROXY`) is used through a `CONNECT` tunnel.
//!
//! # Yielding, timeouts, kill
//!
//! * Every wait parks only the calling greenlet: the lookup of a host name
//!   waits for a thread of the blocking pool; a connect, for the socket to
//!   become writable; a request, for room in the socket's buffer; a
//!   response, for bytes to arrive. On a plain thread the same calls block
//!   the thread.
//! * No timeout by default. ureq's (`Config::builder().timeout_global(..)`,
//!   `timeout_connect`, `timeout_recv_response`, `timeout_per_read`, ...)
//!   and a greenline [`Timeout`](crate::Timeout) in force (or
//!   [`with_timeout`](crate::with_timeout)) both bound every wait above,
//!   whichever ends first, and end the call with `Error::Timeout`
//!   ([`io_error`] makes it `ErrorKind::TimedOut`). The connection is then
//!   closed.
//! * Killing a greenlet blocked in a call unwinds it out of the wait; its
//!   connection is closed, not pooled.
//!
//! # Connections
//!
//! An [`Agent`] pools idle connections per scheme, host and port (at most
//! 3 per host and 10 in all, each for 15 s, by default), so requests to one
//! server, the redirects a request follows included, reuse a connection
//! once the previous response was read to its end. [`get`] and the other
//! free functions share one agent, made on first use, so they pool too
//! (unlike `ureq::get`, which makes an agent per call). [`agent`] makes
//! one with a [`Config`] of your own.
//!
//! **Make agents with [`agent`], never with ureq's constructors**:
//! `ureq::get`, `ureq::agent()`, `Agent::new_with_defaults`,
//! `Agent::new_with_config`, `Config::new_agent` and `Agent::from(config)`
//! give ureq's own connector, whose std sockets and resolver block the
//! worker thread, and with it every greenlet on it.
//!
//! # What is missing
//!
//! * TLS: an `https` URL fails with `Error::Io` of kind
//!   `ErrorKind::Unsupported` once its host is looked up, before any
//!   connection is made. ureq can wrap greenline's transport in rustls,
//!   which is how TLS will come.
//! * Compressed bodies (ureq's `gzip` and `brotli` features are off, so
//!   no `Accept-Encoding` is sent), cookies, multipart, SOCKS proxies.
//! * HTTP/2: ureq speaks HTTP/1.1 only.
//!
//! ```text
//!  mod.rs        agent, the shared agent, get/post/...
//!  connector.rs  TcpConnector, TcpTransport, the https refusal
//!  resolver.rs   Resolver: names on the blocking pool
//!  error.rs      io_error, and socket errors as ureq's
//! ```

mod connector;
mod error;
mod resolver;

use std::sync::OnceLock;

use ureq::http::Uri;
use ureq::typestate::{WithBody, WithoutBody};
use ureq::unversioned::transport::{ConnectProxyConnector, Connector};
use ureq::RequestBuilder;

pub use connector::{TcpConnector, TcpTransport};
pub use error::io_error;
pub use resolver::Resolver;
pub use ureq;
pub use ureq::config::Config;
pub use ureq::{Agent, Body, Error};

/// A new agent on greenline's sockets and resolver, with `config`: ureq's
/// [`Agent`], whose connections are greenline streams.
///
/// Cloning an agent is cheap and shares its pool and configuration, so
/// one agent serves any number of greenlets.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use greenline::http::client;
/// use greenline::http::{HttpServer, Request, Response};
/// let server = HttpServer::bind("127.0.0.1:0", |req: &mut Request| {
///     Response::text(200, req.header("User-Agent").unwrap_or("").to_string())
/// }).unwrap();
/// server.start().unwrap();
/// let agent = client::agent(
///     client::Config::builder()
///         .timeout_global(Some(Duration::from_secs(5)))
///         .user_agent("greenline-test")
///         .build(),
/// );
/// let url = format!("http://{}/", server.local_addr());
/// assert_eq!(agent.get(&url).call()?.body_mut().read_to_string()?, "greenline-test");
/// # Ok::<(), client::Error>(())
/// ```
pub fn agent(config: Config) -> Agent {
    let connector =
        ().chain(connector::NoTls)
            .chain(ConnectProxyConnector::default())
            .chain(TcpConnector::default());
    Agent::with_parts(config, connector, Resolver::default())
}

/// The agent the free functions share, made with the default [`Config`]
/// on first use.
fn shared() -> &'static Agent {
    static SHARED: OnceLock<Agent> = OnceLock::new();
    SHARED.get_or_init(|| agent(Config::default()))
}

/// A `GET` request on the shared agent: `requests.get(url)`. Send it with
/// `.call()`, which returns once the response head has arrived; the body
/// is read from the response.
///
/// # Examples
///
/// ```
/// use greenline::http::client;
/// use greenline::http::{HttpServer, Request, Response};
/// let server = HttpServer::bind("127.0.0.1:0", |req: &mut Request| {
///     Response::text(200, req.header("X-Greeting").unwrap_or("none").to_string())
/// }).unwrap();
/// server.start().unwrap();
/// let url = format!("http://{}/", server.local_addr());
/// let mut response = client::get(&url).header("X-Greeting", "hello").call()?;
/// assert_eq!(response.status(), 200);
/// assert_eq!(response.body_mut().read_to_string()?, "hello");
/// # Ok::<(), client::Error>(())
/// ```
#[must_use = "a request is sent by .call()"]
pub fn get<T>(uri: T) -> RequestBuilder<WithoutBody>
where
    Uri: TryFrom<T>,
    <Uri as TryFrom<T>>::Error: Into<ureq::http::Error>,
{
    shared().get(uri)
}

/// A `POST` request on the shared agent: `requests.post(url, data)`. Send
/// it with `.send(body)` (a `&str`, `String`, `&[u8]`, `Vec<u8>`, a
/// `Read`er as `SendBody::from_reader`, ...), `.send_form(..)` or
/// `.send_empty()`.
///
/// # Examples
///
/// ```
/// use greenline::http::client;
/// use greenline::http::{HttpServer, Request, Response};
/// let server = HttpServer::bind("127.0.0.1:0", |req: &mut Request| -> std::io::Result<Response> {
///     Ok(Response::text(200, req.read_body_to_end()?))
/// }).unwrap();
/// server.start().unwrap();
/// let url = format!("http://{}/echo", server.local_addr());
/// let echoed = client::post(&url).send("payload")?.body_mut().read_to_string()?;
/// assert_eq!(echoed, "payload");
/// # Ok::<(), client::Error>(())
/// ```
#[must_use = "a request is sent by .send(body)"]
pub fn post<T>(uri: T) -> RequestBuilder<WithBody>
where
    Uri: TryFrom<T>,
    <Uri as TryFrom<T>>::Error: Into<ureq::http::Error>,
{
    shared().post(uri)
}

/// A `PUT` request on the shared agent; sent like [`post`].
///
/// # Examples
///
/// ```
/// use greenline::http::client;
/// use greenline::http::{HttpServer, Request, Response};
/// let server = HttpServer::bind("127.0.0.1:0", |req: &mut Request| {
///     Response::text(200, req.method().to_string())
/// }).unwrap();
/// server.start().unwrap();
/// let url = format!("http://{}/", server.local_addr());
/// assert_eq!(client::put(&url).send(&b"x"[..])?.body_mut().read_to_string()?, "PUT");
/// # Ok::<(), client::Error>(())
/// ```
#[must_use = "a request is sent by .send(body)"]
pub fn put<T>(uri: T) -> RequestBuilder<WithBody>
where
    Uri: TryFrom<T>,
    <Uri as TryFrom<T>>::Error: Into<ureq::http::Error>,
{
    shared().put(uri)
}

/// A `PATCH` request on the shared agent; sent like [`post`].
///
/// # Examples
///
/// ```
/// use greenline::http::client;
/// use greenline::http::{HttpServer, Request, Response};
/// let server = HttpServer::bind("127.0.0.1:0", |req: &mut Request| {
///     Response::text(200, req.method().to_string())
/// }).unwrap();
/// server.start().unwrap();
/// let url = format!("http://{}/", server.local_addr());
/// assert_eq!(client::patch(&url).send("x")?.body_mut().read_to_string()?, "PATCH");
/// # Ok::<(), client::Error>(())
/// ```
#[must_use = "a request is sent by .send(body)"]
pub fn patch<T>(uri: T) -> RequestBuilder<WithBody>
where
    Uri: TryFrom<T>,
    <Uri as TryFrom<T>>::Error: Into<ureq::http::Error>,
{
    shared().patch(uri)
}

/// A `DELETE` request on the shared agent; sent like [`get`].
///
/// # Examples
///
/// ```
/// use greenline::http::client;
/// use greenline::http::{HttpServer, Request, Response};
/// let server = HttpServer::bind("127.0.0.1:0", |req: &mut Request| {
///     Response::text(200, req.method().to_string())
/// }).unwrap();
/// server.start().unwrap();
/// let url = format!("http://{}/", server.local_addr());
/// assert_eq!(client::delete(&url).call()?.body_mut().read_to_string()?, "DELETE");
/// # Ok::<(), client::Error>(())
/// ```
#[must_use = "a request is sent by .call()"]
pub fn delete<T>(uri: T) -> RequestBuilder<WithoutBody>
where
    Uri: TryFrom<T>,
    <Uri as TryFrom<T>>::Error: Into<ureq::http::Error>,
{
    shared().delete(uri)
}

/// A `HEAD` request on the shared agent; sent like [`get`]. The response
/// has the head `GET` would get, and no body.
///
/// # Examples
///
/// ```
/// use greenline::http::client;
/// use greenline::http::{HttpServer, Request, Response};
/// let server = HttpServer::bind("127.0.0.1:0", |_: &mut Request| Response::text(200, "hello")).unwrap();
/// server.start().unwrap();
/// let url = format!("http://{}/", server.local_addr());
/// let response = client::head(&url).call()?;
/// assert_eq!(response.headers()["content-length"], "5");
/// # Ok::<(), client::Error>(())
/// ```
#[must_use = "a request is sent by .call()"]
pub fn head<T>(uri: T) -> RequestBuilder<WithoutBody>
where
    Uri: TryFrom<T>,
    <Uri as TryFrom<T>>::Error: Into<ureq::http::Error>,
{
    shared().head(uri)
}
