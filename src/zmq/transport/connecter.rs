//! The connecter greenlet of a tcp:// or ipc:// endpoint a socket connects
//! to: connects, runs the connection to its end, and reconnects.
//!
//! ```text
//!   ┌─▶ Stream::connect ──ok──▶ engine::run, until the connection ends
//!   │        │ refused           (the interval goes back to reconnect_ivl)
//!   │        ▼                              ▼
//!   │   socket shut (closed, linger over)? ──yes──▶ end
//!   │        │ no
//!   │        ▼
//!   │   reconnect_ivl None? ──yes──▶ end
//!   │        │ no
//!   └── sleep the interval; double it, up to reconnect_ivl_max
//! ```
//!
//! The connect side's pipes outlive its connections: they are made and
//! attached when `connect` is called, so messages queue up to `sndhwm`
//! while the connection is down or not made yet. ROUTER is the exception:
//! it knows a peer only by the routing id its connection announces, so
//! each connection attaches pipes of its own, as on the bind side.

use std::io;
use std::sync::Arc;

use super::Stream;
use crate::zmq::codec::SocketType;
use crate::zmq::core::{Core, NewPeer};
use crate::zmq::endpoint::Endpoint;
use crate::zmq::engine;
use crate::zmq::pipe::Pipe;
use crate::{Builder, Greenlet};

/// Attaches the connect side's pipes (not on ROUTER) and starts the
/// connecter greenlet for `ep` (`endpoint` as the user wrote it). Returns
/// at once with the greenlet, or `None` when the socket refuses a peer (a
/// PAIR that has one): then nothing is started.
///
/// # Errors
///
/// A failure to spawn the greenlet.
pub(crate) fn connect(
    core: &Arc<Core>,
    ep: Endpoint,
    endpoint: &str,
) -> io::Result<Option<Greenlet<()>>> {
    let opts = core.options();
    let persistent = if core.kind == SocketType::Router {
        None
    } else {
        let rx_hwm = match core.kind {
            SocketType::Pub | SocketType::XPub => 0,
            _ => opts.rcvhwm,
        };
        let (tx, rx) = (Pipe::new(opts.sndhwm), Pipe::new(rx_hwm));
        let peer = NewPeer {
            tx: tx.clone(),
            rx: rx.clone(),
            identity: None,
            endpoint: endpoint.to_string(),
            inproc: false,
        };
        if core.attach(peer).is_none() {
            log::info!("zmq {endpoint}: PAIR already has its peer, not connecting");
            return Ok(None);
        }
        Some((tx, rx))
    };
    let core = core.clone();
    let name = endpoint.to_string();
    let task = Builder::new()
        .name("zmq-connecter")
        .spawn(move || connect_loop(core, ep, name, persistent))?;
    Ok(Some(task))
}

/// The connecter greenlet (see the module docs). The options are read
/// once, when it starts.
fn connect_loop(
    core: Arc<Core>,
    ep: Endpoint,
    endpoint: String,
    persistent: Option<(Arc<Pipe>, Arc<Pipe>)>,
) {
    let opts = core.options();
    let mut ivl = opts.reconnect_ivl;
    loop {
        match Stream::connect(&ep) {
            Ok(stream) => {
                let _ = engine::run(&core, stream, &endpoint, persistent.clone(), None);
                ivl = opts.reconnect_ivl;
            }
            Err(e) => log::debug!("zmq {endpoint}: connect failed: {e}"),
        }
        if core.is_shut() {
            return;
        }
        let Some(wait) = ivl else {
            return;
        };
        let _ = crate::sleep(wait);
        if opts.reconnect_ivl_max > wait {
            ivl = Some((wait * 2).min(opts.reconnect_ivl_max));
        }
    }
}
