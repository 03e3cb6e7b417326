//! gevent's `geventsendfile` example: sendfile(2) made cooperative. It is
//! called on the non-blocking socket; on `EAGAIN` the greenlet waits for
//! room (`TcpStream::wait_write`, gevent's `wait_write`), so only it waits.
//! A port of `compat/geventsendfile.py`, which adds a server to run the
//! recipe: every client is sent FILE, then the connection closes.
//!
//! Run:   cargo run --example geventsendfile -- FILE [HOST:PORT]   (default 127.0.0.1:8000)
//! Talk:  nc 127.0.0.1 8000 > copy    (the file's bytes, then end of file)
//!
//! gevent's `patch_sendfile` (monkey patching the py-sendfile module) has
//! no counterpart: a Rust caller calls `gevent_sendfile` itself.

use std::fs::File;
use std::io;

use greenline::net::TcpStream;
use greenline::server::StreamServer;
use nix::errno::Errno;
use nix::sys::sendfile::sendfile as original_sendfile;

fn gevent_sendfile(
    out: &mut TcpStream,
    file: &File,
    offset: i64,
    count: usize,
) -> io::Result<(i64, usize)> {
    let mut total_sent = 0;
    while total_sent < count {
        let mut at = offset + total_sent as i64;
        match original_sendfile(&*out, file, Some(&mut at), count - total_sent) {
            Ok(sent) => total_sent += sent,
            Err(Errno::EAGAIN) => out.wait_write()?,
            Err(ex) => return Err(ex.into()),
        }
    }
    Ok((offset + total_sent as i64, total_sent))
}

fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: geventsendfile FILE [HOST:PORT]");
    let address = args.next().unwrap_or("127.0.0.1:8000".into());
    let server = StreamServer::bind(address.as_str(), move |mut socket, _address| {
        let sent = File::open(&path).and_then(|f| {
            let size = f.metadata()?.len() as usize;
            gevent_sendfile(&mut socket, &f, 0, size)
        });
        if let Err(e) = sent {
            eprintln!("geventsendfile: {e}");
        }
    })?;
    server.serve_forever()
}
