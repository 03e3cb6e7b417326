//! Applications as trees of services, with settings and a command line:
//! gservice's application framework.

pub mod pidfile;
pub mod systemd;
