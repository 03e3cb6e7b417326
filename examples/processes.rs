//! gevent's `processes` example: runs `uname` and `ls` at once as
//! cooperative child processes, waits at most 2 s for both, and prints what
//! each wrote (or that it is still running). A port of
//! `compat/processes.py`, line for line.
//!
//! Run:   cargo run --example processes
//!
//! Prints `uname: b'...'` and `ls: b'...'` (Python's repr of the bytes);
//! `ls` lists the directory it runs in.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use greenline::subprocess::Popen;

fn main() -> std::io::Result<()> {
    // run 2 jobs in parallel
    let p1 = Popen::spawn(Command::new("uname").stdout(Stdio::piped()))?;
    let p2 = Popen::spawn(Command::new("ls").stdout(Stdio::piped()))?;

    // gevent.wait([p1, p2], timeout=2): their exit watchers are the only greenlets
    greenline::wait(Some(Duration::from_secs(2)));

    // print the results (if available)
    for (name, mut p) in [("uname", p1), ("ls", p2)] {
        if p.poll()?.is_some() {
            let mut out = Vec::new();
            p.stdout.as_mut().expect("piped").read_to_end(&mut out)?;
            println!("{name}: b'{}'", out.escape_ascii());
        } else {
            println!("{name}: job is still running");
        }
    }
    Ok(())
}
