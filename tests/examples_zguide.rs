//! The zguide examples run as processes on free ports, with small counts:
//! the weather pair (wuserver/wuclient), the pipeline trio
//! (taskvent/taskwork/tasksink) and the broker trio
//! (rrbroker/rrclient/rrworker). Every run is bounded (20 s) and whatever
//! still runs at the end is killed.

mod common;

use common::process::{example, free_endpoint, run, success, Running};

/// `tcp://*:PORT` for a binder, `tcp://127.0.0.1:PORT` for a connecter.
fn endpoints() -> (String, String) {
    let connect = free_endpoint();
    let bind = connect.replace("127.0.0.1", "*");
    (bind, connect)
}

#[test]
fn weather_client_averages_its_zipcode() {
    let (bind, connect) = endpoints();
    let mut server = example("wuserver");
    // Ten zip codes, so "00003" comes up every tenth update.
    server.args([&bind, "10"]);
    let server = Running::start("wuserver", server);
    let mut client = example("wuclient");
    client.args(["00003", &connect, "20"]);
    let out = success("wuclient", &run("wuclient", client));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!(lines[0], "Collecting updates from weather server...");
    let average: i64 = lines[1]
        .strip_prefix("Average temperature for zipcode '00003' was ")
        .and_then(|rest| rest.strip_suffix('F'))
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("unexpected line {:?}", lines[1]));
    assert!((-80..135).contains(&average), "{average}F");
    // The server publishes until killed.
    drop(server);
}

#[test]
fn pipeline_sink_collects_every_task() {
    const TASKS: usize = 10;
    let (vent_bind, vent) = endpoints();
    let (sink_bind, sink) = endpoints();
    let mut tasksink = example("tasksink");
    tasksink.args([&sink_bind, &TASKS.to_string()]);
    let tasksink = Running::start("tasksink", tasksink);
    let workers: Vec<Running> = (0..2)
        .map(|_| {
            let mut w = example("taskwork");
            w.args([&vent, &sink]);
            Running::start("taskwork", w)
        })
        .collect();
    // stdin is empty: the ventilator's "Press Enter" read sees EOF and goes
    // on. Its PUSH waits for a worker to connect before handing out tasks.
    let mut taskvent = example("taskvent");
    taskvent.args([&vent_bind, &sink, &TASKS.to_string()]);
    let vent_out = success("taskvent", &run("taskvent", taskvent));
    let lines: Vec<&str> = vent_out.lines().collect();
    assert_eq!(
        lines[..2],
        [
            "Press Enter when the workers are ready: ",
            "Sending tasks to workers..."
        ]
    );
    let cost: usize = lines[2]
        .strip_prefix("Total expected cost: ")
        .and_then(|rest| rest.strip_suffix(" msec"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected line {:?}", lines[2]));
    assert!((TASKS..=100 * TASKS).contains(&cost), "{cost} msec");

    let sink_out = success("tasksink", &tasksink.finish());
    let (progress, total) = sink_out.split_once('\n').expect("two lines");
    assert_eq!(progress, ":.........");
    assert!(total.starts_with("Total elapsed time: "), "{total}");
    // Each worker prints a dot per task before sending its result, so the
    // sink having all results means all dots are out.
    let dots: usize = workers
        .into_iter()
        .map(|w| w.stop().stdout.iter().filter(|&&b| b == b'.').count())
        .sum();
    assert_eq!(dots, TASKS);
}

#[test]
fn broker_carries_requests_to_workers_and_back() {
    let (front_bind, front) = endpoints();
    let (back_bind, back) = endpoints();
    let mut broker = example("rrbroker");
    broker.args([&front_bind, &back_bind]);
    let _broker = Running::start("rrbroker", broker);
    let mut worker = example("rrworker");
    worker.args([&back, "0"]);
    let worker = Running::start("rrworker", worker);
    let mut client = example("rrclient");
    client.args([&front, "3"]);
    let out = success("rrclient", &run("rrclient", client));
    assert_eq!(
        out,
        "Received reply 0 [World]\nReceived reply 1 [World]\nReceived reply 2 [World]\n"
    );
    let worker_out = String::from_utf8_lossy(&worker.stop().stdout).into_owned();
    assert_eq!(worker_out, "Received request: [Hello]\n".repeat(3));
}
