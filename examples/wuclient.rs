//! Weather update client (zguide `wuclient`): a SUB socket that subscribes
//! to one zip code, collects updates for it and prints the average
//! temperature.
//!
//! Run: `cargo run --example wuserver` first, then
//! `cargo run --example wuclient -- [ZIPCODE [ENDPOINT [COUNT]]]`
//! (defaults: zguide's `10001`, `tcp://127.0.0.1:5556`, 100 updates).
//! Wiring: wuserver (PUB, bind tcp://*:5556) ──▶ wuclient (SUB, connect).

use greenline::zmq;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let zipcode = args.next().unwrap_or_else(|| "10001".into());
    let endpoint = args.next().unwrap_or_else(|| "tcp://127.0.0.1:5556".into());
    let count: i64 = args
        .next()
        .map_or(100, |n| n.parse().expect("COUNT must be a number"));

    let context = zmq::Context::new();
    println!("Collecting updates from weather server...");
    let subscriber = context.socket(zmq::SUB)?;
    subscriber.connect(&endpoint)?;
    // Subscribe to the zip code, with the space after it so that 10001
    // does not also match 100010.
    subscriber.subscribe(format!("{zipcode} "))?;

    let mut total_temp = 0;
    for _ in 0..count {
        let update = subscriber.recv_string(0)?;
        let fields: Vec<i64> = update
            .split_whitespace()
            .map(|f| f.parse().expect("a weather update is three numbers"))
            .collect();
        total_temp += fields[1];
    }
    println!(
        "Average temperature for zipcode '{zipcode}' was {}F",
        total_temp / count
    );
    Ok(())
}
