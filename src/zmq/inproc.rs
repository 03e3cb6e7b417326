//! inproc:// endpoints: sockets of one context wired pipe to pipe.
//!
//! An inproc peer is the same pair of [`Pipe`]s a tcp connection would
//! have, but with a socket at each end instead of a reader and a writer
//! greenlet: a message crosses as the same `Bytes` frames, never encoded or
//! copied. One pipe holds the sender's SNDHWM plus the receiver's RCVHWM
//! (libzmq `test_hwm`: 1000 + 1000 by default).
//!
//! libzmq 4.x lets a socket connect before the name is bound: the
//! connecting side gets its pipes at once (so it can queue, up to its own
//! SNDHWM) and the binder picks them up when it binds.

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex, Weak};

use bytes::Bytes;

use super::core::{Core, NewPeer};
use super::error::ZmqError;
use super::pipe::Pipe;
use crate::sync::waiter::lock;

/// A connection waiting for its name to be bound.
struct Pending {
    core: Weak<Core>,
    /// The connecter's outbound pipe (the binder's inbound).
    tx: Arc<Pipe>,
    rx: Arc<Pipe>,
}

#[derive(Default)]
struct Name {
    bound: Option<Weak<Core>>,
    pending: Vec<Pending>,
}

/// The inproc names of one context.
#[derive(Default)]
pub(crate) struct Registry {
    names: Mutex<HashMap<String, Name>>,
}

/// libzmq sums the two high-water marks; either unlimited makes it unlimited.
fn sum(a: usize, b: usize) -> usize {
    if a == 0 || b == 0 {
        0
    } else {
        a + b
    }
}

/// Wires `binder` to a connecter's pipes, after checking the pair.
fn wire(binder: &Arc<Core>, connecter: &Arc<Core>, tx: Arc<Pipe>, rx: Arc<Pipe>, endpoint: &str) {
    if !connecter.kind.is_compatible(binder.kind) {
        log::info!(
            "zmq {endpoint}: {} cannot talk to {}, closing",
            connecter.kind,
            binder.kind
        );
        for s in tx.close().into_iter().chain(rx.close()).flatten() {
            s.notify();
        }
        return;
    }
    let (b, c) = (binder.options(), connecter.options());
    tx.set_hwm(sum(c.sndhwm, b.rcvhwm));
    rx.set_hwm(sum(b.sndhwm, c.rcvhwm));
    let peer = NewPeer {
        tx: rx.clone(),
        rx: tx.clone(),
        identity: identity_of(connecter),
        endpoint: endpoint.to_string(),
        inproc: true,
    };
    if binder.attach(peer).is_none() {
        for s in tx.close().into_iter().chain(rx.close()).flatten() {
            s.notify();
        }
    }
}

fn identity_of(core: &Core) -> Option<Bytes> {
    core.options().routing_id
}

impl Registry {
    pub(crate) fn bind(&self, core: &Arc<Core>, name: &str) -> io::Result<()> {
        let pending = {
            let mut names = lock(&self.names);
            let entry = names.entry(name.to_string()).or_default();
            if entry.bound.as_ref().is_some_and(|w| w.strong_count() > 0) {
                return Err(ZmqError::AddressInUse(name.to_string()).into());
            }
            entry.bound = Some(Arc::downgrade(core));
            std::mem::take(&mut entry.pending)
        };
        let endpoint = format!("inproc://{name}");
        for p in pending {
            if let Some(c) = p.core.upgrade() {
                wire(core, &c, p.tx, p.rx, &endpoint);
            }
        }
        Ok(())
    }

    pub(crate) fn unbind(&self, core: &Arc<Core>, name: &str) -> bool {
        let mut names = lock(&self.names);
        match names.get_mut(name) {
            Some(entry)
                if entry
                    .bound
                    .as_ref()
                    .is_some_and(|w| w.as_ptr() == Arc::as_ptr(core)) =>
            {
                entry.bound = None;
                if entry.pending.is_empty() {
                    names.remove(name);
                }
                true
            }
            _ => false,
        }
    }

    pub(crate) fn connect(&self, core: &Arc<Core>, name: &str) -> io::Result<()> {
        let endpoint = format!("inproc://{name}");
        let opts = core.options();
        let (tx, rx) = (Pipe::new(opts.sndhwm), Pipe::new(opts.rcvhwm));
        let binder = {
            let mut names = lock(&self.names);
            let entry = names.entry(name.to_string()).or_default();
            match entry.bound.as_ref().and_then(Weak::upgrade) {
                Some(b) => Some(b),
                None => {
                    entry.pending.push(Pending {
                        core: Arc::downgrade(core),
                        tx: tx.clone(),
                        rx: rx.clone(),
                    });
                    None
                }
            }
        };
        if let Some(b) = &binder {
            if !core.kind.is_compatible(b.kind) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{} cannot talk to {} at {endpoint}", core.kind, b.kind),
                ));
            }
        }
        let peer = NewPeer {
            tx: tx.clone(),
            rx: rx.clone(),
            identity: binder.as_ref().and_then(|b| identity_of(b)),
            endpoint: endpoint.clone(),
            inproc: true,
        };
        if core.attach(peer).is_none() {
            tx.close();
            rx.close();
            return Ok(());
        }
        if let Some(b) = binder {
            wire(&b, core, tx, rx, &endpoint);
        }
        Ok(())
    }
}
