//! The notification outbox (NOT-4, NOT-5), on each test database.

use crate::support;

use airlock_core::audit::AuditType;
use airlock_core::effect::Effect;
use airlock_core::notification::{EventType, Notification};
use airlock_store::db::outbox::{
    attempts, claim, due_notifications, mark_delivered, mark_failed, next_notification_due,
    stuck_notifications,
};
use airlock_store::db::{DbConnection, DbError, apply_effects};
use airlock_store::testing::test_databases;
use support::db::{audit, request, rid, t};

fn notify(event_type: EventType, request: &str) -> Effect {
    Effect::Notify(Notification {
        event_type,
        workspace: "ws".into(),
        request: request.into(),
        request_author: "alice".into(),
        user: "bob".into(),
        updates: None,
    })
}

fn ids(conn: &mut DbConnection, now: i64) -> Vec<i64> {
    due_notifications(conn, t(now), 10)
        .expect("due")
        .into_iter()
        .map(|e| e.id)
        .collect()
}

/// NOT-5: id order, never past an undelivered earlier notification of the same request.
#[test]
fn not_5_delivery_order_and_retries() {
    for db in test_databases() {
        let mut conn = db.conn().expect("connection");
        let (r1, r2) = (rid(1), rid(2));
        for (id, author) in [(&r1, "alice"), (&r2, "carol")] {
            apply_effects(
                &mut conn,
                id,
                &[Effect::CreateRequest(request(id, "ws", author))],
                None,
            )
            .expect("create");
        }
        apply_effects(
            &mut conn,
            &r1,
            &[
                Effect::Audit(audit(AuditType::RequestSubmit, "alice", "ws", &r1, 1)),
                notify(EventType::RequestSubmitted, &r1),
            ],
            None,
        )
        .expect("submit");
        apply_effects(
            &mut conn,
            &r2,
            &[
                Effect::Audit(audit(AuditType::RequestSubmit, "carol", "ws", &r2, 2)),
                notify(EventType::RequestSubmitted, &r2),
            ],
            None,
        )
        .expect("submit");
        apply_effects(
            &mut conn,
            &r1,
            &[
                Effect::Audit(audit(AuditType::RequestWithdraw, "alice", "ws", &r1, 3)),
                notify(EventType::RequestWithdrawn, &r1),
            ],
            None,
        )
        .expect("withdraw");

        let due = due_notifications(&mut conn, t(100), 10).expect("due");
        assert_eq!(
            due.iter().map(|e| e.id).collect::<Vec<_>>(),
            vec![1, 2],
            "{}",
            db.name()
        );
        // NOT-4: queued at the time of the audit entry written with it, due at once.
        assert_eq!(due[0].created_at, t(10), "{}", db.name());
        assert_eq!(due[0].next_attempt_at, Some(t(10)), "{}", db.name());
        assert_eq!(due[0].event_type, "request_submitted");
        assert_eq!(due[0].username, "bob");

        // NOT-5 claims: exactly one of two claims of a due row wins; a claimed row is not
        // due (and blocks its request's later rows) until its claim ends.
        assert!(
            claim(&mut conn, 1, t(100), t(150)).expect("claim"),
            "{}",
            db.name()
        );
        assert!(
            !claim(&mut conn, 1, t(100), t(150)).expect("claim"),
            "{}",
            db.name()
        );
        assert_eq!(ids(&mut conn, 149), vec![2], "{}", db.name());
        assert_eq!(attempts(&mut conn, 1).expect("attempts"), 1);
        mark_failed(&mut conn, 1, "timeout", t(200)).expect("fail");
        assert_eq!(ids(&mut conn, 100), vec![2], "{}: 3 waits for 1", db.name());
        assert_eq!(ids(&mut conn, 200), vec![1, 2], "{}", db.name());
        assert_eq!(
            next_notification_due(&mut conn).expect("next"),
            Some(t(20)),
            "{}",
            db.name()
        );
        assert_eq!(stuck_notifications(&mut conn, 1).expect("stuck").len(), 1);

        mark_delivered(&mut conn, 1, t(201), Some("unknown workspace")).expect("deliver");
        mark_delivered(&mut conn, 2, t(201), None).expect("deliver");
        let due = due_notifications(&mut conn, t(300), 10).expect("due");
        assert_eq!(
            due.iter().map(|e| e.id).collect::<Vec<_>>(),
            vec![3],
            "{}",
            db.name()
        );
        assert!(stuck_notifications(&mut conn, 1).expect("stuck").is_empty());
        assert!(matches!(
            mark_delivered(&mut conn, 99, t(1), None),
            Err(DbError::NotFound(_))
        ));
    }
}
