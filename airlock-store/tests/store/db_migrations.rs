//! Migrations, the ONE-2 index, connection errors; every test runs on each test database.

use crate::support;

use airlock_core::Status;
use airlock_core::effect::Effect;
use airlock_store::db::{
    Backend, DbError, apply_effects, current_request_id, pending_migrations, run_migrations,
};
use airlock_store::testing::{TestDb, test_databases};
use std::time::{Duration, Instant};
use support::db::{request, rid};

fn migration_names(folder: &str) -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(folder);
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("migrations folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn both_backends_have_the_same_migrations() {
    let sqlite = migration_names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, migration_names("postgres"));
}

#[test]
fn migrations_apply_once() {
    let dbs = test_databases();
    let pg = airlock_store::testing::postgres_url().expect("postgres");
    assert_eq!(dbs.len(), 1 + usize::from(pg.is_some()));
    for db in dbs {
        let mut conn = db.conn().expect("connection");
        assert_eq!(
            pending_migrations(&mut conn).expect("pending"),
            Vec::<String>::new(),
            "{}",
            db.name()
        );
        assert_eq!(
            run_migrations(&mut conn).expect("rerun"),
            Vec::<String>::new(),
            "{}",
            db.name()
        );
        assert_eq!(conn.backend(), db.backend, "{}", db.name());
    }
}

#[test]
fn fresh_database_reports_and_applies_every_migration() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("fresh.db").display());
    let pool = airlock_store::db::connect(&url, 1).expect("pool");
    let mut conn = pool.get().expect("connection");
    let want = migration_names("sqlite");
    assert_eq!(pending_migrations(&mut conn).expect("pending"), want);
    assert_eq!(run_migrations(&mut conn).expect("run"), want);
    assert!(pending_migrations(&mut conn).expect("pending").is_empty());
}

/// ONE-2: for each status, a second request of the same author in the same workspace is
/// refused exactly when the first is active.
#[test]
fn one_2_unique_index_covers_exactly_the_active_statuses() {
    for db in test_databases() {
        let mut conn = db.conn().expect("connection");
        for (i, status) in Status::ALL.into_iter().enumerate() {
            let workspace = format!("ws-{i}");
            let mut first = request(&rid(100 + i as u32), &workspace, "alice");
            first.status = status;
            apply_effects(
                &mut conn,
                &first.id,
                &[Effect::CreateRequest(first.clone())],
                None,
            )
            .expect("first request");
            let second = request(&rid(200 + i as u32), &workspace, "alice");
            let result = apply_effects(
                &mut conn,
                &second.id,
                &[Effect::CreateRequest(second.clone())],
                None,
            );
            if status.is_active() {
                assert!(
                    matches!(result, Err(DbError::Conflict(_))),
                    "{}: {status} must block a second active request, got {result:?}",
                    db.name()
                );
            } else {
                assert!(result.is_ok(), "{}: {status}: {result:?}", db.name());
            }
            // Another author is never blocked (ONE-1).
            let other = request(&rid(300 + i as u32), &workspace, "bob");
            apply_effects(
                &mut conn,
                &other.id,
                &[Effect::CreateRequest(other.clone())],
                None,
            )
            .unwrap_or_else(|e| panic!("{}: other author: {e}", db.name()));
        }
    }
}

/// ONE-2, ONE-3: once the first request is final, a new one may start and becomes current.
#[test]
fn one_2_allows_a_new_request_once_the_first_is_final() {
    for db in test_databases() {
        let mut conn = db.conn().expect("connection");
        let first = request(&rid(1), "ws", "alice");
        apply_effects(
            &mut conn,
            &first.id,
            &[Effect::CreateRequest(first.clone())],
            None,
        )
        .expect("create");
        assert_eq!(
            current_request_id(&mut conn, "ws", "alice").expect("current"),
            Some(first.id.clone()),
            "{}",
            db.name()
        );
        let second = request(&rid(2), "ws", "alice");
        let refused = apply_effects(
            &mut conn,
            &second.id,
            &[Effect::CreateRequest(second.clone())],
            None,
        );
        assert!(
            refused.as_ref().is_err_and(DbError::is_conflict),
            "{}: {refused:?}",
            db.name()
        );

        let mut withdrawn = first.clone();
        withdrawn.status = Status::Withdrawn;
        apply_effects(
            &mut conn,
            &first.id,
            &[Effect::UpdateRequest(withdrawn)],
            None,
        )
        .expect("withdraw");
        assert_eq!(
            current_request_id(&mut conn, "ws", "alice").expect("current"),
            None,
            "{}",
            db.name()
        );
        apply_effects(
            &mut conn,
            &second.id,
            &[Effect::CreateRequest(second.clone())],
            None,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", db.name()));
        assert_eq!(
            current_request_id(&mut conn, "ws", "alice").expect("current"),
            Some(second.id),
            "{}",
            db.name()
        );
        assert_eq!(
            current_request_id(&mut conn, "ws", "bob").expect("current"),
            None,
            "{}",
            db.name()
        );
    }
}

#[test]
fn unreachable_postgres_is_an_error_not_a_skip() {
    let started = Instant::now();
    let result = TestDb::postgres("postgres://nobody@127.0.0.1:1/none?connect_timeout=2");
    match result {
        Err(DbError::Connect { backend, message }) => {
            assert_eq!(backend, Backend::Postgres);
            assert!(!message.is_empty());
        }
        other => panic!("expected a connection error, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn bad_urls_are_refused() {
    assert!(matches!(
        airlock_store::db::connect("mysql://localhost/db", 1),
        Err(DbError::BadUrl(_))
    ));
}
