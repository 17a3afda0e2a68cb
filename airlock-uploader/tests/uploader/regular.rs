//! OPS-3 inside the worker: the regular requests run once a UTC day, from the configured time,
//! whatever the number of workers; one entry's failure does not stop the others. On every test
//! database.

use airlock_core::users_file::parse_users_file;
use airlock_store::auth::Directory;
use airlock_store::blobstore::BlobStore;
use airlock_store::store::Store;
use airlock_store::testing::test_databases;
use airlock_store::workspace::WorkspaceReader;
use airlock_uploader::RegularSchedule;
use chrono::{NaiveTime, TimeZone, Utc};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

#[test]
fn ops_3_the_daily_run_happens_once_a_day_from_its_time() {
    for db in test_databases() {
        let dir = tempfile::tempdir().expect("tempdir");
        // The clock: seconds since 2026-03-02 00:00 UTC, set by the test.
        let clock = Arc::new(AtomicI64::new(2 * 3600));
        let reading = Arc::clone(&clock);
        let base = Utc
            .with_ymd_and_hms(2026, 3, 2, 0, 0, 0)
            .single()
            .expect("time");
        let store = Store::new(
            db.pool.clone(),
            airlock_core::Rules::default(),
            WorkspaceReader::new(fixtures().join("workspaces")),
            BlobStore::new(dir.path().join("requests")),
        )
        .with_clock(move || base + chrono::Duration::seconds(reading.load(Ordering::SeqCst)));
        let users = std::fs::read(fixtures().join("users.json")).expect("users");
        // The fixture's two entries with a failing one between them.
        let mut entries: Vec<serde_json::Value> = serde_json::from_slice(
            &std::fs::read(fixtures().join("regular-requests.json")).expect("file"),
        )
        .expect("JSON list");
        entries.insert(
            1,
            serde_json::json!({"username": "researcher_1", "workspace_name": "no-such-workspace",
                               "dirs": ["output"], "context": "", "controls": "",
                               "supporting_files": [], "submit": false}),
        );
        let file = dir.path().join("regular.json");
        std::fs::write(&file, serde_json::to_vec(&entries).expect("encode")).expect("write");
        let schedule = RegularSchedule {
            at: NaiveTime::from_hms_opt(3, 0, 0).expect("03:00"),
            file,
            directory: Directory::UsersFile(Arc::new(parse_users_file(&users).expect("valid"))),
        };
        let other_worker = schedule.clone();

        assert!(
            schedule.run_if_due(&store).is_none(),
            "{}: 02:00 is early",
            db.name()
        );
        clock.store(3 * 3600 + 5, Ordering::SeqCst);
        let results = schedule.run_if_due(&store).expect("due at 03:00:05");
        assert_eq!(results.len(), 3, "{}", db.name());
        let outcome: Vec<(bool, bool)> = results.iter().map(|r| (r.completed, r.failed)).collect();
        assert_eq!(
            outcome,
            [(true, false), (false, true), (true, false)],
            "{}: the failing entry stops nothing: {results:?}",
            db.name()
        );
        assert!(
            results[1].message.contains("no-such-workspace"),
            "{results:?}"
        );
        // Once a day, whichever worker asks.
        assert!(other_worker.run_if_due(&store).is_none(), "{}", db.name());
        clock.store(23 * 3600, Ordering::SeqCst);
        assert!(schedule.run_if_due(&store).is_none());
        // The next day it runs again: the request is under review, so "Already submitted".
        clock.store(27 * 3600, Ordering::SeqCst);
        let again = other_worker.run_if_due(&store).expect("next day");
        assert_eq!(again[0].message, "Already submitted", "{again:?}");
    }
}
