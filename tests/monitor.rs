//! The blocking detector names a greenlet that holds its worker.
//! (Its own test binary: the monitor is process-wide.)

use std::time::Duration;

use greenline::monitor::{self, BlockingReport};
use greenline::sync::Queue;

#[test]
fn a_std_sleep_in_a_greenlet_is_reported_with_its_name() {
    let reports: Queue<BlockingReport> = Queue::new();
    {
        let reports = reports.clone();
        monitor::set_hook(move |r| {
            let _ = reports.try_put(r.clone());
        });
    }
    monitor::start(Duration::from_millis(50));
    assert!(monitor::enabled());

    // A well-behaved greenlet that sleeps through greenline is never reported.
    let polite = greenline::Builder::new()
        .name("polite")
        .spawn(|| greenline::sleep(Duration::from_millis(200)))
        .unwrap();
    let rude = greenline::Builder::new()
        .name("rude-blocker")
        // The mistake the monitor exists for: a std call that blocks the worker.
        .spawn(|| std::thread::sleep(Duration::from_millis(300)))
        .unwrap();
    let rude_id = rude.id();
    rude.join().unwrap();
    polite.join().unwrap().unwrap();

    let report = loop {
        let r = reports
            .get_timeout(Duration::from_secs(5))
            .expect("a report for the blocking greenlet");
        if r.greenlet == "rude-blocker" {
            break r;
        }
        assert_ne!(r.greenlet, "polite", "a greenline sleep is not blocking");
    };
    assert_eq!(report.greenlet_id, rude_id);
    assert!(
        report.blocked_for >= Duration::from_millis(50),
        "{report:?}"
    );
    // One report per episode.
    while let Ok(r) = reports.try_get() {
        assert_ne!(r.greenlet, "rude-blocker", "reported twice: {r:?}");
    }
    monitor::stop();
    monitor::clear_hook();
}
