//! Several workers on one database (issue: release, upload worker and notifications): two
//! standalone workers upload a request of 50 files and no file is sent twice, because each
//! attempt is claimed in the database before it is sent. On PostgreSQL as the issue asks, and
//! on SQLite, where a second worker is harmless.

use crate::support;

use airlock_jobsite_double::Endpoint;
use airlock_store::testing::test_databases;
use std::collections::BTreeMap;
use std::time::Duration;

#[test]
fn upl_1_two_workers_never_upload_the_same_file() {
    for db in test_databases() {
        let r = support::released(db, 50, 64 * 1024);
        let mut workers = [r.spawn_worker(), r.spawn_worker()];
        r.wait_released(Duration::from_secs(120));
        for worker in &mut workers {
            worker.kill().expect("stop");
            worker.wait().expect("reaped");
        }
        r.assert_each_file_stored_once();
        // Not even a repeat answered "already uploaded": one call per file.
        let mut calls: BTreeMap<String, usize> = BTreeMap::new();
        for call in r.site.calls_to(Endpoint::Upload) {
            let name = call
                .header("content-disposition")
                .unwrap_or_default()
                .to_string();
            *calls.entry(name).or_insert(0) += 1;
        }
        assert_eq!(calls.len(), 50, "{}", r.db.name());
        assert!(
            calls.values().all(|n| *n == 1),
            "{}: {calls:?}",
            r.db.name()
        );
        // Each notification once, in order.
        let events: Vec<String> = r
            .site
            .calls_to(Endpoint::Events)
            .iter()
            .filter_map(|c| c.json()?["event_type"].as_str().map(str::to_string))
            .collect();
        assert_eq!(
            events,
            [
                "request_submitted",
                "request_partially_reviewed",
                "request_reviewed",
                "request_approved",
                "request_released"
            ],
            "{}",
            r.db.name()
        );
    }
}
