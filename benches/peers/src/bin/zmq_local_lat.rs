//! libzmq's `local_lat` on libzmq 4.3.4 through the `zmq` crate: a REP
//! socket binds and echoes `roundtrip-count` messages of `message-size`
//! bytes, then lingers one second as libzmq's tool does.
//!
//! Usage: `zmq_local_lat <bind-to> <message-size> <roundtrip-count>`

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        println!("usage: local_lat <bind-to> <message-size> <roundtrip-count>");
        std::process::exit(1);
    }
    let size: usize = args[2].parse().expect("message-size");
    let count: usize = args[3].parse().expect("roundtrip-count");
    let ctx = zmq::Context::new();
    let s = ctx.socket(zmq::REP).expect("zmq_socket");
    s.bind(&args[1]).expect("zmq_bind");
    let mut msg = zmq::Message::new();
    for _ in 0..count {
        s.recv(&mut msg, 0).expect("zmq_recvmsg");
        assert_eq!(msg.len(), size, "message of incorrect size received");
        s.send(&msg[..], 0).expect("zmq_sendmsg");
    }
    std::thread::sleep(std::time::Duration::from_secs(1));
}
