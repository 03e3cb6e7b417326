//! What the server calls for each request.

use std::fmt::Display;

use super::{Request, Response};

/// Answers requests: gevent pywsgi's WSGI application.
///
/// Called in the connection's greenlet, once per request, in the order the
/// requests arrived on the connection; different connections call it
/// concurrently, hence `Sync`. It may block in any greenline call (a
/// database query, a sleep): only this connection waits.
///
/// Implemented for closures `Fn(&mut Request) -> R` where `R` is a
/// [`Response`] or a `Result<Response, E>` ([`IntoResponse`]). A closure
/// passed straight to [`HttpServer::bind`](super::HttpServer::bind) needs
/// its argument type written out: `|req: &mut Request| ...`.
///
/// # Errors and panics
///
/// A handler that returns `Err(e)` or panics gets a `500` with a generic
/// body (never the error's text), and the error is logged with
/// `log::error!`. The server keeps serving; the connection stays open if
/// the request's body framing is intact.
///
/// # Examples
///
/// ```
/// use greenline::http::{Handler, Request, Response};
///
/// struct Hello;
/// impl Handler for Hello {
///     fn call(&self, req: &mut Request) -> Response {
///         Response::text(200, format!("hello {}\n", req.path()))
///     }
/// }
///
/// // A closure returning a Result: `?` works, errors become a 500.
/// let upload = |req: &mut Request| -> std::io::Result<Response> {
///     let body = req.read_body_to_end()?;
///     Ok(Response::text(200, format!("{} bytes\n", body.len())))
/// };
/// fn assert_handler(_: &impl Handler) {}
/// assert_handler(&Hello);
/// assert_handler(&upload);
/// ```
pub trait Handler: Send + Sync + 'static {
    /// Produces the response to `req`.
    fn call(&self, req: &mut Request<'_>) -> Response;
}

impl<F, R> Handler for F
where
    F: Fn(&mut Request<'_>) -> R + Send + Sync + 'static,
    R: IntoResponse,
{
    fn call(&self, req: &mut Request<'_>) -> Response {
        self(req).into_response()
    }
}

/// What a handler closure may return.
pub trait IntoResponse {
    /// Converts to the response to send.
    fn into_response(self) -> Response;
}

impl IntoResponse for Response {
    fn into_response(self) -> Response {
        self
    }
}

/// `Ok(r)` sends `r`; `Err(e)` logs `e` with `log::error!` and sends a
/// generic 500.
impl<E: Display> IntoResponse for Result<Response, E> {
    fn into_response(self) -> Response {
        self.unwrap_or_else(|e| {
            log::error!("http handler failed: {e}");
            Response::internal_error()
        })
    }
}
