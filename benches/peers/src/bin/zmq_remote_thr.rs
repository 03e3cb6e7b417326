//! libzmq's `remote_thr` on libzmq 4.3.4 through the `zmq` crate: a PUSH
//! socket connects and sends `message-count` messages of `message-size`
//! bytes; closing the context waits until all are delivered (linger -1).
//!
//! Usage: `zmq_remote_thr <connect-to> <message-size> <message-count>`

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        println!("usage: remote_thr <connect-to> <message-size> <message-count>");
        std::process::exit(1);
    }
    let size: usize = args[2].parse().expect("message-size");
    let count: usize = args[3].parse().expect("message-count");
    let ctx = zmq::Context::new();
    let s = ctx.socket(zmq::PUSH).expect("zmq_socket");
    s.connect(&args[1]).expect("zmq_connect");
    for _ in 0..count {
        let msg = zmq::Message::with_size(size);
        s.send(msg, 0).expect("zmq_sendmsg");
    }
    drop(s);
    drop(ctx);
}
