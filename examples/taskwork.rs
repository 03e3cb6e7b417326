//! Task worker (zguide `taskwork`): pulls workloads from the ventilator,
//! "works" (sleeps) that many msec, and pushes an empty result to the sink.
//! Prints a `.` per task. Runs until killed.
//!
//! Run: `cargo run --example taskwork -- [VENTILATOR [SINK]]` (defaults:
//! `tcp://127.0.0.1:5557`, `tcp://127.0.0.1:5558`); see `taskvent`.
//! Wiring: taskvent (PUSH, bind tcp://*:5557) ──▶ taskwork (PULL, connect;
//! PUSH, connect) ──▶ tasksink (PULL, bind tcp://*:5558).

use std::io::Write;
use std::time::Duration;

use greenline::zmq;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let ventilator = args.next().unwrap_or_else(|| "tcp://127.0.0.1:5557".into());
    let sink = args.next().unwrap_or_else(|| "tcp://127.0.0.1:5558".into());

    let context = zmq::Context::new();
    // Socket to receive messages on.
    let receiver = context.socket(zmq::PULL)?;
    receiver.connect(&ventilator)?;
    // Socket to send messages to.
    let sender = context.socket(zmq::PUSH)?;
    sender.connect(&sink)?;

    // Process tasks forever.
    loop {
        let workload = receiver.recv_string(0)?;
        let msec: u64 = workload.parse().expect("a workload is a number of msec");
        // Simple progress indicator for the viewer.
        print!(".");
        std::io::stdout().flush()?;
        greenline::sleep(Duration::from_millis(msec))?; // do the work
        sender.send("", 0)?; // send results to sink
    }
}
