//! Weather update server (zguide `wuserver`): a PUB socket publishing
//! random weather updates, `"ZIPCODE TEMPERATURE RELHUMIDITY"`, as fast as
//! it can, forever.
//!
//! Run: `cargo run --example wuserver -- [ENDPOINT [ZIPCODES]]`, then
//! `cargo run --example wuclient`. ENDPOINT defaults to zguide's
//! `tcp://*:5556`; zip codes are drawn from `0..ZIPCODES` (default 100000,
//! as in zguide; a test passes a small number so a client's zip comes up
//! often).
//! Wiring: wuserver (PUB, bind tcp://*:5556) ──▶ wuclient (SUB, connect).

use greenline::zmq;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let endpoint = args.next().unwrap_or_else(|| "tcp://*:5556".into());
    let zipcodes: u32 = args
        .next()
        .map_or(100_000, |n| n.parse().expect("ZIPCODES must be a number"));

    let context = zmq::Context::new();
    let publisher = context.socket(zmq::PUB)?;
    publisher.bind(&endpoint)?;

    let mut rng = Rng::seeded();
    loop {
        // Get values that will fool the boss.
        let zipcode = rng.randof(zipcodes);
        let temperature = rng.randof(215) as i32 - 80;
        let relhumidity = rng.randof(50) + 10;
        publisher.send_string(format!("{zipcode:05} {temperature} {relhumidity}"), 0)?;
    }
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
