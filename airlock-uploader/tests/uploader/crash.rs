//! Crash safety (issue: release, upload worker and notifications): the standalone worker is
//! killed with SIGKILL at random moments while it uploads, twenty times in a row, restarted
//! each time; in the end the request is RELEASED and every file reached the Jobs-site double's
//! store exactly once, with the reviewed bytes. On every test database.

use crate::support;

use airlock_store::testing::test_databases;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Kills of the worker in a row.
const KILLS: usize = 20;

#[test]
fn upl_2_a_worker_killed_twenty_times_mid_upload_still_delivers_each_file_exactly_once() {
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
        | 1;
    eprintln!("kill times seed: {seed}");
    let mut x = seed;
    let mut next_delay = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        Duration::from_millis(20 + x % 130)
    };
    for db in test_databases() {
        let r = support::released(db, 32, 1024 * 1024);
        for _ in 0..KILLS {
            let mut worker = r.spawn_worker();
            std::thread::sleep(next_delay());
            worker.kill().expect("SIGKILL");
            worker.wait().expect("reaped");
        }
        let stored_before_last_run: usize = r.site.stored_counts().values().sum();
        let mut worker = r.spawn_worker();
        r.wait_released(Duration::from_secs(120));
        worker.kill().expect("stop");
        worker.wait().expect("reaped");
        eprintln!(
            "{}: {stored_before_last_run} of {} stored across the kills",
            r.db.name(),
            r.files.len()
        );
        assert!(
            stored_before_last_run < r.files.len(),
            "{}: the kills interrupted the uploads",
            r.db.name()
        );
        r.assert_each_file_stored_once();
        // UPL-3: a file the double stored just before a kill is answered "already uploaded"
        // on the next attempt, which counts as success; nothing else repeats.
        let answers: Vec<u16> = r
            .site
            .calls_to(airlock_jobsite_double::Endpoint::Upload)
            .iter()
            .map(|c| c.status)
            .filter(|s| *s != 201)
            .collect();
        assert!(
            answers.iter().all(|s| *s == 400 || *s == 0),
            "{}: {answers:?}",
            r.db.name()
        );
    }
}
