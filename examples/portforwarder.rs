//! gevent's `portforwarder` example: a `StreamServer` forwarding each
//! connection to a destination, both ways, with a graceful exit: on SIGTERM
//! or SIGINT (Ctrl-C) it stops accepting, lets the open connections finish,
//! and exits once the last one is closed; a second signal aborts. A port of
//! `compat/portforwarder.py`, line for line.
//!
//! Run:   cargo run --example portforwarder -- 127.0.0.1:8080 127.0.0.1:80
//! Talk:  curl http://127.0.0.1:8080/   (answered by 127.0.0.1:80); Ctrl-C to end.
//!
//! Logs to stderr: `ADDR accepted`, `SRC->DEST: b'DATA'` per read (Python's
//! repr of the bytes), `Closing listener socket`. The gevent original, on
//! Python 3, also closes its listener when its first connection ends (see
//! `compat/README.md`); this port keeps serving until signalled, as the
//! original's docstring says.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::process::exit;

use greenline::net::{create_connection, resolve, ConnectOptions, TcpStream};
use greenline::server::{ServerOptions, StreamServer};
use greenline::signal::signal_handler;
use signal_hook::consts::{SIGINT, SIGTERM};

fn handle(source: TcpStream, address: SocketAddr, dest: SocketAddr, server: &StreamServer) {
    log(format!("{address} accepted"));
    let dest = match create_connection(dest, ConnectOptions::new()) {
        Ok(dest) => dest,
        Err(ex) => return log(format!("{address} failed to connect to {dest}: {ex}")),
    };
    let forwarders = [
        spawn_forward(&source, &dest, server),
        spawn_forward(&dest, &source, server),
    ];
    // if we return from this function, the stream will be closed out
    // from under us, so wait for our children
    greenline::joinall(forwarders.iter().flatten(), None);
}

// Python's close() override: the first call closes, a second one aborts.
// Signal handlers may run at once on two workers: close() says which closed.
fn close(server: &StreamServer) {
    if !server.close() {
        eprintln!("Multiple exit signals received - aborting.");
        exit(1);
    }
    log("Closing listener socket".into());
}

fn spawn_forward(
    source: &TcpStream,
    dest: &TcpStream,
    server: &StreamServer,
) -> Option<greenline::Greenlet<()>> {
    let (source, dest) = (source.try_clone().ok()?, dest.try_clone().ok()?);
    let server = server.clone();
    Some(greenline::spawn(move || forward(source, dest, server)))
}

fn forward(mut source: TcpStream, mut dest: TcpStream, server: StreamServer) {
    let (Ok(source_address), Ok(dest_address)) = (source.peer_addr(), dest.peer_addr()) else {
        return log("Failed to get all peer names".into());
    };
    let mut data = [0; 1024];
    let copied = (|| -> io::Result<()> {
        loop {
            let n = source.read(&mut data)?;
            log(format!(
                "{source_address}->{dest_address}: b'{}'",
                data[..n].escape_ascii()
            ));
            if n == 0 {
                return Ok(());
            }
            dest.write_all(&data[..n])?;
        }
    })();
    if copied.is_err() && server.close() {
        log("Closing listener socket".into());
    }
    let _ = source.shutdown(Shutdown::Both);
    let _ = dest.shutdown(Shutdown::Both);
}

fn parse_address(address: &str) -> SocketAddr {
    match resolve(address).map(|addrs| addrs.first().copied()) {
        Ok(Some(addr)) => addr,
        _ => {
            eprintln!("Expected HOST:PORT: {address:?}");
            exit(1)
        }
    }
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 2 {
        eprintln!("Usage: portforwarder source-address destination-address");
        exit(1);
    }
    let dest = parse_address(&args[1]);
    let server = StreamServer::bind_with_server(
        args[0].as_str(),
        ServerOptions::new(),
        move |source, address, server| handle(source, address, dest, server),
    )?;
    log(format!(
        "Starting port forwarder {} -> {dest}",
        server.local_addr()
    ));
    for signal in [SIGTERM, SIGINT] {
        let server = server.clone();
        signal_handler(signal, move || close(&server))?;
    }
    server.start()?;
    greenline::wait(None);
    Ok(())
}

fn log(message: String) {
    eprintln!("{message}");
}
