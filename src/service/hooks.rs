//! The [`Service`] trait: the hooks a service implements, gservice's
//! `pre_start`/`do_start`/`post_start`, `pre_stop`/`do_stop`/`post_stop`
//! and `do_reload`.

use std::io;
use std::time::Duration;

use super::context::ServiceContext;
use super::state::Ready;

/// How long `start` waits for a service that answered
/// [`Ready::Later`] (gservice's `ready_timeout`).
pub const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// How long `stop` lets a service's greenlets finish before it kills them
/// (gservice's `stop_timeout`).
pub const STOP_TIMEOUT: Duration = Duration::from_secs(1);

/// A service: a part of an application with a start and a stop, put in a
/// [`ServiceTree`](super::ServiceTree).
///
/// Only [`name`](Service::name) must be given; every hook does nothing by
/// default. Hooks take `&self` (the tree shares the service with the
/// greenlets it spawns): keep what a start makes (a bound server) behind a
/// `Mutex` held briefly, never across a blocking call.
///
/// Hooks run in the greenlet (or thread) that called `start`, `stop` or
/// `reload`, one after another within that call; a `reload` (or a
/// `stop`) called from elsewhere may run a hook at the same time, so a
/// hook must not assume it runs alone. A hook that returns `Err` or
/// panics fails the start (the error names the service and the hook); a
/// failed stop hook is reported and the stop goes on.
///
/// # Examples
///
/// ```
/// use std::io;
/// use std::time::Duration;
/// use greenline::service::{Ready, Service, ServiceContext, ServiceTree, State};
///
/// struct Ticker;
///
/// impl Service for Ticker {
///     fn name(&self) -> String {
///         "ticker".into()
///     }
///     fn do_start(&self, ctx: &ServiceContext) -> io::Result<Ready> {
///         let me = ctx.clone();
///         ctx.spawn(move || {
///             me.set_ready(); // ready once its greenlet runs
///             while me.state() <= State::Ready {
///                 greenline::sleep(Duration::from_millis(5))?;
///             }
///             Ok::<(), io::Error>(()) // returns once the stop has begun
///         });
///         Ok(Ready::Later)
///     }
/// }
///
/// let app = ServiceTree::new("app");
/// app.add_service(Ticker).unwrap();
/// app.start().unwrap();
/// assert_eq!(app.states()[1], ("app/ticker".to_string(), State::Ready));
/// assert!(app.stop().is_clean());
/// ```
pub trait Service: Send + Sync + 'static {
    /// The service's name among its siblings: not empty, no `/`. Read once,
    /// when it is added to a tree.
    fn name(&self) -> String;

    /// Runs first in `start`, before the children start.
    ///
    /// # Errors
    ///
    /// An error fails the start; nothing of this service has started.
    fn pre_start(&self, ctx: &ServiceContext) -> io::Result<()> {
        let _ = ctx;
        Ok(())
    }

    /// Starts the service, once its children are ready: bind and start
    /// serving, spawn its greenlets (through `ctx`). Returns
    /// [`Ready::Now`] when it is ready on return, or [`Ready::Later`] when
    /// a greenlet of its own will call
    /// [`ServiceContext::set_ready`]; `start` then waits up to
    /// [`ready_timeout`](Service::ready_timeout).
    ///
    /// # Errors
    ///
    /// An error fails the start (a port in use: `AddrInUse`); the
    /// children, and this service, are stopped.
    fn do_start(&self, ctx: &ServiceContext) -> io::Result<Ready> {
        let _ = ctx;
        Ok(Ready::Now)
    }

    /// Runs last in `start`, once the service is ready.
    ///
    /// # Errors
    ///
    /// An error fails the start; the service and its children are stopped.
    fn post_start(&self, ctx: &ServiceContext) -> io::Result<()> {
        let _ = ctx;
        Ok(())
    }

    /// Runs first in `stop`, as the service leaves `Ready`.
    ///
    /// # Errors
    ///
    /// Reported in the [`StopReport`](super::StopReport); the stop goes on.
    fn pre_stop(&self, ctx: &ServiceContext) -> io::Result<()> {
        let _ = ctx;
        Ok(())
    }

    /// Stops what `do_start` started (close listeners, stop servers), before
    /// the service's greenlets are joined and its children stop.
    ///
    /// # Errors
    ///
    /// As [`pre_stop`](Service::pre_stop).
    fn do_stop(&self, ctx: &ServiceContext) -> io::Result<()> {
        let _ = ctx;
        Ok(())
    }

    /// Runs last in `stop`, once the service's greenlets and children have
    /// stopped.
    ///
    /// # Errors
    ///
    /// As [`pre_stop`](Service::pre_stop).
    fn post_stop(&self, ctx: &ServiceContext) -> io::Result<()> {
        let _ = ctx;
        Ok(())
    }

    /// Applies changed settings, named by `changed` (the keys, as the
    /// settings name them). Called for every service of a ready tree,
    /// parents before children.
    ///
    /// # Errors
    ///
    /// The error is returned by
    /// [`ServiceTree::reload`](super::ServiceTree::reload), naming the
    /// service; services after it are still told.
    fn do_reload(&self, ctx: &ServiceContext, changed: &[String]) -> io::Result<()> {
        let _ = (ctx, changed);
        Ok(())
    }

    /// How long `start` waits after `do_start` returned [`Ready::Later`];
    /// [`READY_TIMEOUT`] by default.
    fn ready_timeout(&self) -> Duration {
        READY_TIMEOUT
    }

    /// How long `stop` lets the service's greenlets finish before it kills
    /// them; [`STOP_TIMEOUT`] by default.
    fn stop_timeout(&self) -> Duration {
        STOP_TIMEOUT
    }
}
