//! Helpers the integration tests share, one file per kind of test: each
//! test binary declares `mod common;` and uses the part it needs.
#![allow(dead_code)]

pub mod http;
pub mod process;
pub mod service;
pub mod zmq;
