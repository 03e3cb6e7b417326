//! Task ventilator (zguide `taskvent`): waits for Enter, tells the sink a
//! batch starts, then pushes tasks (a random workload in msec each) to the
//! workers.
//!
//! Run: `cargo run --example tasksink`, a few `cargo run --example taskwork`,
//! then `cargo run --example taskvent -- [ENDPOINT [SINK [COUNT]]]`
//! (defaults: zguide's `tcp://*:5557`, `tcp://127.0.0.1:5558`, 100 tasks)
//! and press Enter once the workers are up.
//! Wiring: taskvent (PUSH, bind tcp://*:5557) ──▶ taskwork (PULL, connect;
//! PUSH, connect) ──▶ tasksink (PULL, bind tcp://*:5558); taskvent also
//! PUSHes the start-of-batch signal to tasksink.

use std::io::BufRead;
use std::time::Duration;

use greenline::zmq;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let endpoint = args.next().unwrap_or_else(|| "tcp://*:5557".into());
    let sink_endpoint = args.next().unwrap_or_else(|| "tcp://127.0.0.1:5558".into());
    let count: u32 = args
        .next()
        .map_or(100, |n| n.parse().expect("COUNT must be a number"));

    let context = zmq::Context::new();
    // Socket to send messages on.
    let sender = context.socket(zmq::PUSH)?;
    sender.bind(&endpoint)?;
    // Socket to send the start of batch message on.
    let sink = context.socket(zmq::PUSH)?;
    sink.connect(&sink_endpoint)?;

    println!("Press Enter when the workers are ready: ");
    // The main thread is a plain thread, so a blocking stdin read is fine.
    std::io::stdin().lock().read_line(&mut String::new())?;
    println!("Sending tasks to workers...");

    // The first message is "0" and signals start of batch.
    sink.send("0", 0)?;

    let mut rng = Rng::seeded();
    let mut total_msec = 0;
    for _ in 0..count {
        // Random workload from 1 to 100 msecs.
        let workload = rng.randof(100) + 1;
        total_msec += workload;
        sender.send_string(workload.to_string(), 0)?;
    }
    println!("Total expected cost: {total_msec} msec");
    // zguide sleeps a second "to let 0MQ deliver"; closing with a linger
    // does that without guessing.
    sender.set_linger(Some(Duration::from_secs(1)));
    sink.set_linger(Some(Duration::from_secs(1)));
    sink.close()?;
    sender.close()
}

/// zguide's `randof`, on xorshift64* (no dependency for a toy generator).
struct Rng(u64);

impl Rng {
    fn seeded() -> Rng {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Rng(nanos | 1)
    }

    /// A number in `0..n`.
    fn randof(&mut self, n: u32) -> u32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) as u32 % n
    }
}
