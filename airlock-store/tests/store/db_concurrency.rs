//! Concurrent writers (§0.4, ONE-2, AUD-4, REV-12), on each test database.

use crate::support;

use airlock_core::audit::{AuditEntry, AuditType, NewAudit};
use airlock_core::chain::{GENESIS_HASH, entry_hash};
use airlock_core::effect::Effect;
use airlock_store::db::{
    DbError, append_audit, apply_effects, current_request_id, for_each_audit_entry, list_requests,
    load_request, lock_request, write_tx,
};
use airlock_store::testing::{TestDb, test_databases};
use std::collections::HashSet;
use std::ops::ControlFlow;
use std::sync::{Arc, Barrier};
use std::thread;
use support::db::{audit, request, rid};

const THREADS: usize = 8;

/// Runs `f(thread index, db)` on THREADS threads started together; returns their results.
fn race<T: Send + 'static>(
    db: &Arc<TestDb>,
    f: impl Fn(usize, &TestDb) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let barrier = Arc::new(Barrier::new(THREADS));
    let f = Arc::new(f);
    let handles: Vec<_> = (0..THREADS)
        .map(|i| {
            let (db, barrier, f) = (Arc::clone(db), Arc::clone(&barrier), Arc::clone(&f));
            thread::spawn(move || {
                barrier.wait();
                f(i, &db)
            })
        })
        .collect();
    handles
        .into_iter()
        .map(|h| h.join().expect("thread"))
        .collect()
}

/// ONE-2: eight concurrent inserts of a request for the same author and workspace leave one
/// row; every other insert fails with `DbError::Conflict`.
#[test]
fn one_2_concurrent_inserts_leave_one_active_request() {
    for db in test_databases() {
        let db = Arc::new(db);
        let results = race(&db, |i, db| {
            let mut conn = db.conn()?;
            let r = request(&rid(i as u32), "ws", "alice");
            write_tx(&mut conn, |conn| {
                apply_effects(conn, &r.id, &[Effect::CreateRequest(r.clone())], None)
            })
        });
        let ok = results.iter().filter(|r| r.is_ok()).count();
        let conflicts = results
            .iter()
            .filter(|r| matches!(r, Err(DbError::Conflict(_))))
            .count();
        assert_eq!(
            (ok, conflicts),
            (1, THREADS - 1),
            "{}: {results:?}",
            db.name()
        );
        let mut conn = db.conn().expect("connection");
        let rows = list_requests(&mut conn, Default::default()).expect("list");
        assert_eq!(rows.len(), 1, "{}", db.name());
    }
}

/// ONE-2, D-m: the add-file pattern (read the current request, else create it) retried once on
/// a conflict gives every racer the same request.
#[test]
fn one_2_losers_reread_and_use_the_winners_request() {
    for db in test_databases() {
        let db = Arc::new(db);
        let attempt = |i: usize, db: &TestDb| -> Result<String, DbError> {
            let mut conn = db.conn()?;
            write_tx(&mut conn, |conn| {
                if let Some(id) = current_request_id(conn, "ws", "alice")? {
                    return Ok(id);
                }
                let r = request(&rid(i as u32), "ws", "alice");
                apply_effects(conn, &r.id, &[Effect::CreateRequest(r.clone())], None)?;
                Ok(r.id)
            })
        };
        let ids = race(&db, move |i, db| match attempt(i, db) {
            Err(DbError::Conflict(_)) => attempt(i, db),
            other => other,
        });
        let ids: HashSet<String> = ids
            .into_iter()
            .map(|r| r.unwrap_or_else(|e| panic!("{e}")))
            .collect();
        assert_eq!(ids.len(), 1, "{}: {ids:?}", db.name());
    }
}

/// §0.4: read-check-write inside `write_tx` after `lock_request` loses no update.
#[test]
fn write_tx_with_lock_request_serialises_read_modify_write() {
    const ROUNDS: i64 = 5;
    for db in test_databases() {
        let db = Arc::new(db);
        let id = rid(1);
        {
            let mut conn = db.conn().expect("connection");
            let r = request(&id, "ws", "alice");
            apply_effects(&mut conn, &id, &[Effect::CreateRequest(r)], None).expect("create");
        }
        let results = race(&db, move |_, db| -> Result<(), DbError> {
            let mut conn = db.conn()?;
            for _ in 0..ROUNDS {
                write_tx(&mut conn, |conn| {
                    lock_request(conn, &rid(1))?;
                    let mut r = load_request(conn, &rid(1))?
                        .ok_or_else(|| DbError::NotFound("request".into()))?;
                    r.review_turn += 1;
                    apply_effects(conn, &r.id.clone(), &[Effect::UpdateRequest(r)], None)
                })?;
            }
            Ok(())
        });
        assert!(
            results.iter().all(Result::is_ok),
            "{}: {results:?}",
            db.name()
        );
        let mut conn = db.conn().expect("connection");
        let turn = load_request(&mut conn, &id)
            .expect("load")
            .map(|r| r.review_turn);
        assert_eq!(turn, Some(THREADS as i64 * ROUNDS), "{}", db.name());
    }
}

/// Checks AUD-4 over the whole log: ids 1..=n, each prev_hash is the previous hash, each hash
/// recomputes, and no two entries share a prev_hash.
fn assert_chain(db: &TestDb, expected: u64) {
    let mut conn = db.conn().expect("connection");
    let mut prev: Option<AuditEntry> = None;
    let mut prev_hashes = HashSet::new();
    let seen = for_each_audit_entry(&mut conn, 7, |e| {
        let (want_id, want_prev) = match &prev {
            Some(p) => (p.id + 1, p.hash.clone()),
            None => (1, GENESIS_HASH.to_string()),
        };
        assert_eq!(e.id, want_id, "{}", db.name());
        assert_eq!(e.prev_hash, want_prev, "{}: entry {}", db.name(), e.id);
        assert_eq!(
            e.hash,
            entry_hash(&e.prev_hash, e.id, &e.entry),
            "{}",
            db.name()
        );
        assert!(
            prev_hashes.insert(e.prev_hash.clone()),
            "{}: fork at {}",
            db.name(),
            e.id
        );
        prev = Some(e.clone());
        ControlFlow::Continue(())
    })
    .expect("walk");
    assert_eq!(seen, expected, "{}", db.name());
}

/// AUD-4: appends from several threads, alone and inside effects, form one unforked chain.
#[test]
fn aud_4_concurrent_appends_never_share_prev_hash() {
    const PER_THREAD: usize = 12;
    for db in test_databases() {
        let db = Arc::new(db);
        {
            let mut conn = db.conn().expect("connection");
            for i in 0..THREADS {
                let r = request(&rid(i as u32), "ws", &format!("user{i}"));
                apply_effects(&mut conn, &r.id, &[Effect::CreateRequest(r.clone())], None)
                    .expect("create");
            }
        }
        let results = race(&db, |i, db| -> Result<(), DbError> {
            let mut conn = db.conn()?;
            let user = format!("user{i}");
            for n in 0..PER_THREAD {
                if n % 2 == 0 {
                    let view = NewAudit::about_workspace(
                        AuditType::WorkspaceFileView,
                        &user,
                        "ws",
                        &format!("output/{n}.csv"),
                        support::db::t(n as i64),
                    );
                    append_audit(&mut conn, &view)?;
                } else {
                    let id = rid(i as u32);
                    let a = audit(AuditType::RequestComment, &user, "ws", &id, 1);
                    let ids = apply_effects(
                        &mut conn,
                        &id,
                        &[Effect::Audit(a.clone()), Effect::Audit(a)],
                        None,
                    )?;
                    assert_eq!(ids.len(), 2);
                    assert_eq!(ids[1], ids[0] + 1, "entries of one action are consecutive");
                }
            }
            Ok(())
        });
        assert!(
            results.iter().all(Result::is_ok),
            "{}: {results:?}",
            db.name()
        );
        let per_thread = (PER_THREAD / 2 + PER_THREAD) as u64;
        assert_chain(&db, THREADS as u64 * per_thread);
    }
}
