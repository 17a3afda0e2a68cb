//! The audit log: appends, hiding a turn (RET-3), filters (AUD-7) and the batched walk (AUD-5).

use crate::support;

use airlock_core::audit::{AuditType, NewAudit};
use airlock_core::chain::{GENESIS_HASH, entry_hash};
use airlock_core::effect::Effect;
use airlock_store::db::{
    AuditFilter, DbConnection, DbError, append_audit, apply_effects, audit_entries, db_time,
    for_each_audit_entry, write_tx,
};
use airlock_store::testing::test_databases;
use chrono::{TimeZone, Timelike};
use std::ops::ControlFlow;
use support::db::{audit, request, rid};

fn create(conn: &mut DbConnection, id: &str, author: &str) {
    let r = request(id, "ws", author);
    apply_effects(conn, id, &[Effect::CreateRequest(r)], None).expect("create");
}

/// RET-3 step 3: only the entries of that request and turn become hidden.
#[test]
fn ret_3_hide_audit_turn_hides_only_that_request_and_turn() {
    for db in test_databases() {
        let mut conn = db.conn().expect("connection");
        let (r1, r2) = (rid(1), rid(2));
        create(&mut conn, &r1, "alice");
        create(&mut conn, &r2, "bob");
        let setup = [
            (r1.as_str(), 1, AuditType::RequestSubmit),
            (r1.as_str(), 1, AuditType::RequestFileApprove),
            (r1.as_str(), 0, AuditType::RequestFileAdd),
            (r1.as_str(), 3, AuditType::RequestComment),
            (r2.as_str(), 1, AuditType::RequestFileApprove),
        ];
        for (request_id, turn, kind) in setup {
            append_audit(&mut conn, &audit(kind, "carol", "ws", request_id, turn)).expect("append");
        }
        let view = NewAudit::about_workspace(
            AuditType::WorkspaceFileView,
            "carol",
            "ws",
            "a.csv",
            support::db::t(1),
        );
        append_audit(&mut conn, &view).expect("append");

        let ids = apply_effects(
            &mut conn,
            &r1,
            &[
                Effect::HideAuditTurn { turn: 1 },
                Effect::Audit(audit(AuditType::RequestEarlyReturn, "carol", "ws", &r1, 1)),
            ],
            None,
        )
        .expect("hide");
        assert_eq!(ids, vec![7], "{}", db.name());

        let hidden: Vec<i64> = audit_entries(&mut conn, AuditFilter::default())
            .expect("entries")
            .into_iter()
            .filter(|e| e.hidden)
            .map(|e| e.id)
            .collect();
        assert_eq!(hidden, vec![2, 1], "{}", db.name());
    }
}

/// AUD-7: filters combine with AND; newest first; hidden entries included; limit and after_id.
#[test]
fn aud_7_filters_and_order() {
    for db in test_databases() {
        let mut conn = db.conn().expect("connection");
        create(&mut conn, &rid(1), "alice");
        let entries = [
            ("alice", "ws", Some(rid(1))),
            ("bob", "ws", Some(rid(1))),
            ("alice", "other", None),
            ("alice", "ws", None),
            ("alice", "ws", Some(rid(1))),
        ];
        for (user, workspace, request) in entries {
            let mut a = NewAudit::about_workspace(
                AuditType::WorkspaceFileView,
                user,
                workspace,
                "p",
                support::db::t(0),
            );
            if let Some(r) = request {
                a = NewAudit::about_request(
                    AuditType::RequestFileView,
                    user,
                    workspace,
                    &r,
                    0,
                    support::db::t(0),
                );
            }
            append_audit(&mut conn, &a).expect("append");
        }
        let ids = |conn: &mut DbConnection, f: AuditFilter| -> Vec<i64> {
            audit_entries(conn, f)
                .expect("entries")
                .into_iter()
                .map(|e| e.id)
                .collect()
        };
        assert_eq!(
            ids(&mut conn, AuditFilter::default()),
            vec![5, 4, 3, 2, 1],
            "{}",
            db.name()
        );
        let f = AuditFilter {
            user: Some("alice".into()),
            workspace: Some("ws".into()),
            ..Default::default()
        };
        assert_eq!(ids(&mut conn, f), vec![5, 4, 1], "{}", db.name());
        let f = AuditFilter {
            request: Some(rid(1)),
            user: Some("alice".into()),
            ..Default::default()
        };
        assert_eq!(ids(&mut conn, f), vec![5, 1], "{}", db.name());
        let f = AuditFilter {
            limit: Some(2),
            ..Default::default()
        };
        assert_eq!(ids(&mut conn, f), vec![5, 4], "{}", db.name());
        let f = AuditFilter {
            after_id: Some(3),
            ..Default::default()
        };
        assert_eq!(ids(&mut conn, f), vec![5, 4], "{}", db.name());
    }
}

/// AUD-5: the batched walk visits every entry once, in id order, and stops when asked.
#[test]
fn aud_5_walk_in_batches() {
    for db in test_databases() {
        let mut conn = db.conn().expect("connection");
        for n in 0..23 {
            let a = NewAudit::about_workspace(
                AuditType::WorkspaceFileView,
                "u",
                "ws",
                &format!("f{n}"),
                support::db::t(n),
            );
            append_audit(&mut conn, &a).expect("append");
        }
        for batch in [1, 4, 23, 100] {
            let mut seen = Vec::new();
            let count = for_each_audit_entry(&mut conn, batch, |e| {
                seen.push(e.id);
                ControlFlow::Continue(())
            })
            .expect("walk");
            assert_eq!(count, 23, "{}: batch {batch}", db.name());
            assert_eq!(
                seen,
                (1..=23).collect::<Vec<_>>(),
                "{}: batch {batch}",
                db.name()
            );
        }
        let mut seen = 0;
        let count = for_each_audit_entry(&mut conn, 5, |e| {
            seen += 1;
            if e.id == 7 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .expect("walk");
        assert_eq!((count, seen), (7, 7), "{}", db.name());
    }
}

/// AUD-4: the hash covers the stored time (microseconds), and a rolled-back append leaves no
/// gap in the chain.
#[test]
fn aud_4_hash_covers_what_is_stored_and_rollback_leaves_no_gap() {
    for db in test_databases() {
        let mut conn = db.conn().expect("connection");
        let precise = chrono::Utc
            .timestamp_opt(1_735_689_600, 987_654_321)
            .single()
            .expect("time");
        let first =
            NewAudit::about_workspace(AuditType::WorkspaceFileView, "u", "ws", "a", precise);
        assert_eq!(append_audit(&mut conn, &first).expect("append"), 1);

        let rolled_back: Result<(), DbError> = write_tx(&mut conn, |conn| {
            append_audit(conn, &first)?;
            Err(DbError::NotFound("forced rollback".into()))
        });
        assert!(rolled_back.is_err());
        assert_eq!(
            append_audit(&mut conn, &first).expect("append"),
            2,
            "{}",
            db.name()
        );

        let entries = audit_entries(&mut conn, AuditFilter::default()).expect("entries");
        let (second, first_stored) = (&entries[0], &entries[1]);
        assert_eq!(first_stored.entry.created_at, db_time(precise));
        assert_eq!(first_stored.entry.created_at.nanosecond(), 987_654_000);
        assert_eq!(first_stored.prev_hash, GENESIS_HASH);
        assert_eq!(
            first_stored.hash,
            entry_hash(GENESIS_HASH, 1, &first_stored.entry),
            "{}",
            db.name()
        );
        assert_eq!(second.prev_hash, first_stored.hash, "{}", db.name());
    }
}
