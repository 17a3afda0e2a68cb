//! The `airlock-uploader` binary: `--once` drains what is due and prints what it did; the
//! long-running worker stops cleanly on SIGTERM; a bad configuration is refused; a corrupt
//! outbox row is never sent.

use crate::support;

use airlock_store::testing::TestDb;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_airlock-uploader"));
    command.env_remove("AIRLOCK_CONFIG").env("RUST_LOG", "warn");
    command
}

#[test]
fn once_uploads_what_is_due_and_reports_it() {
    let r = support::released(TestDb::sqlite().expect("db"), 3, 1000);
    let output = binary()
        .arg("--config")
        .arg(&r.config_file)
        .arg("--once")
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
    assert_eq!(report["uploads"], 3);
    assert_eq!(report["released"], serde_json::json!([r.request_id]));
    // request_submitted ... request_approved, then request_released.
    assert_eq!(report["notifications"], 5);
    r.assert_each_file_stored_once();
}

#[test]
fn the_worker_stops_cleanly_on_sigterm() {
    let r = support::released(TestDb::sqlite().expect("db"), 1, 10);
    let mut child = r.spawn_worker();
    r.wait_released(Duration::from_secs(60));
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .expect("kill");
    assert!(status.success());
    let started = Instant::now();
    loop {
        if let Some(exit) = child.try_wait().expect("wait") {
            assert!(exit.success(), "{exit:?}");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_bad_configuration_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("airlock.toml");
    std::fs::write(&config, "work_dir = \"w\"\nrequired_reviews = 1\n").expect("write");
    let output = binary()
        .arg("--config")
        .arg(&config)
        .stdout(Stdio::null())
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("configuration"), "{stderr}");
}

#[test]
fn not_5_a_stored_payload_that_is_not_json_is_never_sent_and_stays_for_operators() {
    use diesel::RunQueryDsl;
    let r = support::released(TestDb::sqlite().expect("db"), 1, 10);
    let mut conn = r.db.conn().expect("conn");
    diesel::sql_query("UPDATE notifications SET payload = 'not json' WHERE id = 1")
        .execute(&mut conn)
        .expect("corrupt the first row");
    let config = airlock_store::config::Config::load(&r.config_file).expect("config");
    let worker = airlock_uploader::Worker::new(
        r.store.clone(),
        airlock_uploader::WorkerSettings::from_config(&config),
    );
    worker.pass().expect("a pass");
    let undelivered = r.store.undelivered_notifications().expect("outbox");
    let first = undelivered
        .iter()
        .find(|e| e.id == 1)
        .expect("still queued");
    assert!(
        first
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("not JSON")),
        "{first:?}"
    );
    // The later rows of the same request wait behind it (NOT-5): nothing reached the Jobs site.
    assert!(
        r.site
            .calls_to(airlock_jobsite_double::Endpoint::Events)
            .is_empty()
    );
}
