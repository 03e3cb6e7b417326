//! Helpers shared by the zmq tests.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A fresh endpoint of the transport `base` names: `tcp://127.0.0.1:*`
/// stays as is (bind, then read `last_endpoint`), `ipc://` and `inproc://`
/// get a unique path or name.
pub fn fresh(base: &str) -> String {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    match base {
        "ipc" => format!(
            "ipc://{}/greenline-zmq-{}-{n}.sock",
            std::env::temp_dir().display(),
            std::process::id()
        ),
        "inproc" => format!("inproc://test-{n}"),
        _ => "tcp://127.0.0.1:*".to_string(),
    }
}

/// Binds `socket` to a fresh endpoint of `transport`; returns where to connect.
pub fn bind(socket: &greenline::zmq::Socket, transport: &str) -> String {
    socket.bind(&fresh(transport)).expect("bind");
    socket.last_endpoint().expect("last_endpoint")
}
