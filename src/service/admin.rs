//! Health endpoints for orchestrators: `/livez` and `/readyz` on an HTTP
//! listener of their own, derived from a tree's states.
//!
//! * `GET /livez`: `200 ok` while the process runs and answers.
//! * `GET /readyz`: `200 ready` while every service of the tree is ready;
//!   `503` with the services that are not (one `path state` a line) from
//!   the moment a stop begins, and while the tree starts.
//! * anything else: `404`.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use super::context::ServiceContext;
use super::hooks::Service;
use super::node::Node;
use super::state::{Ready, State};
use super::systemd::listener_or_bind;
use super::tree::ServiceTree;
use crate::http::{AccessLog, HttpServer, Request, Response, ServerConfig};
use crate::sync::waiter::lock;

/// The handler behind [`Admin`]: answers `/livez` and `/readyz` for `tree`.
///
/// # Examples
///
/// ```
/// use greenline::http::{HttpServer, Request};
/// use greenline::service::{admin, ServiceTree};
///
/// let app = ServiceTree::new("app");
/// let probes = HttpServer::bind("127.0.0.1:0", admin::handler(app.clone())).unwrap();
/// # drop(probes);
/// ```
pub fn handler(tree: ServiceTree) -> impl Fn(&mut Request) -> Response + Send + Sync + 'static {
    move |req: &mut Request| answer(req, Some(&tree))
}

/// The answer to `req` about `tree` (`None`: the tree is gone, not ready).
fn answer(req: &Request, tree: Option<&ServiceTree>) -> Response {
    match req.path() {
        "/livez" => Response::text(200, "ok\n"),
        "/readyz" => {
            let Some(tree) = tree else {
                return Response::text(503, "no tree\n");
            };
            let not_ready: Vec<String> = tree
                .states()
                .into_iter()
                .filter(|(_, s)| *s != State::Ready)
                .map(|(path, s)| format!("{path} {s}\n"))
                .collect();
            if not_ready.is_empty() {
                Response::text(200, "ready\n")
            } else {
                Response::text(503, not_ready.concat())
            }
        }
        _ => Response::text(404, "not found\n"),
    }
}

/// An admin listener as a service: an [`HttpServer`] serving
/// [`handler`]'s `/livez` and `/readyz` for a tree, bound when the service
/// starts (a port in use fails the start, naming the address).
///
/// Add it to the tree it reports on (then `/readyz` answers 503 until the
/// whole tree, the admin service too, is ready), or run it apart with
/// [`ServiceTree::with_service`].
///
/// The access log is off; the server is stopped with a short grace period
/// (probes are one-request connections). The handle is cheap to clone:
/// keep a clone to read the address it listens on.
///
/// Add it first: children stop in reverse, so the first one added answers
/// `/readyz` (with 503) while the others stop.
#[derive(Clone)]
pub struct Admin {
    name: String,
    addr: String,
    /// The tree reported on, held weakly: the admin service is usually a
    /// node of it, and must not keep it alive.
    tree: Weak<Node>,
    /// The server while the service runs, shared by the clones.
    server: Arc<Mutex<Option<HttpServer<Probes>>>>,
}

/// The admin server's handler.
type Probes = Box<dyn Fn(&mut Request) -> Response + Send + Sync>;

impl Admin {
    /// An admin service named `admin` listening on `addr`, reporting on
    /// `tree` (usually the root it is added to).
    pub fn new(addr: impl Into<String>, tree: &ServiceTree) -> Admin {
        Admin {
            name: "admin".into(),
            addr: addr.into(),
            tree: Arc::downgrade(&tree.node),
            server: Arc::new(Mutex::new(None)),
        }
    }

    /// Names the service `name` instead of `admin`.
    pub fn named(mut self, name: impl Into<String>) -> Admin {
        self.name = name.into();
        self
    }

    /// The address it listens on, while it runs.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        lock(&self.server).as_ref().map(HttpServer::local_addr)
    }
}

impl Service for Admin {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn do_start(&self, _ctx: &ServiceContext) -> io::Result<Ready> {
        let addr = &self.addr;
        let config = ServerConfig::new().access_log(AccessLog::Off);
        let tree = self.tree.clone();
        let handle: Probes = Box::new(move |req: &mut Request| {
            let tree = tree.upgrade().map(ServiceTree::from_node);
            answer(req, tree.as_ref())
        });
        // Taken from socket activation or a predecessor's upgrade under the
        // service's name when there is one, else bound (systemd/listen.rs).
        let listener = listener_or_bind(&self.name, addr)?;
        let server = HttpServer::new(listener, handle)?.with_config(config);
        server.start()?;
        *lock(&self.server) = Some(server);
        Ok(Ready::Now)
    }

    fn do_stop(&self, _ctx: &ServiceContext) -> io::Result<()> {
        if let Some(server) = lock(&self.server).take() {
            server.stop(Duration::from_millis(100));
        }
        Ok(())
    }
}

impl fmt::Debug for Admin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Admin")
            .field("name", &self.name)
            .field("addr", &self.addr)
            .finish()
    }
}
