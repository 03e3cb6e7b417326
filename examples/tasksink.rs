//! Task sink (zguide `tasksink`): waits for the ventilator's start of
//! batch, collects one result per task from the workers, and prints how
//! long the batch took (`:` every ten results, `.` otherwise).
//!
//! Run: `cargo run --example tasksink -- [ENDPOINT [COUNT]]` (defaults:
//! zguide's `tcp://*:5558`, 100 results); see `taskvent`.
//! Wiring: taskvent (PUSH, bind tcp://*:5557) ──▶ taskwork (PULL, connect;
//! PUSH, connect) ──▶ tasksink (PULL, bind tcp://*:5558).

use std::io::Write;
use std::time::Instant;

use greenline::zmq;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let endpoint = args.next().unwrap_or_else(|| "tcp://*:5558".into());
    let count: u32 = args
        .next()
        .map_or(100, |n| n.parse().expect("COUNT must be a number"));

    let context = zmq::Context::new();
    let receiver = context.socket(zmq::PULL)?;
    receiver.bind(&endpoint)?;

    // Wait for start of batch.
    receiver.recv(0)?;

    // Start our clock now.
    let start = Instant::now();

    // Process the confirmations.
    let mut stdout = std::io::stdout();
    for task_nbr in 0..count {
        receiver.recv(0)?;
        stdout.write_all(if task_nbr % 10 == 0 { b":" } else { b"." })?;
        stdout.flush()?;
    }
    println!("\nTotal elapsed time: {} msec", start.elapsed().as_millis());
    Ok(())
}
