//! greenline: gevent's programming model for Rust, on the `may` coroutine runtime.

pub mod http;
