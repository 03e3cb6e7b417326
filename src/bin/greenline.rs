//! `greenline`: the talk's gservice example application (`MyApplication`:
//! an HTTP server, a TCP server, a TCP client) behind greenline's command
//! line, so the talk's command lines run as shown:
//!
//! ```text
//! greenline -C example.toml                  run in the foreground
//! greenline -C example.toml start            start as a daemon
//! greenline -C example.toml restart | reload | stop | status | upgrade
//! greenline -C example.toml -X 'http_port = 7070'
//! greenline -C example.toml config show | check | template
//! ```
//!
//! The application itself is `examples/service_settings.rs`; this file
//! only wires it to the command.

#[path = "../../examples/service_settings.rs"]
mod service_settings;

fn main() {
    greenline::service::command::main(service_settings::build)
}
