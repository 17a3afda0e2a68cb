//! The request aggregate survives apply_effects + load_request_state exactly as the in-memory
//! `effect::apply` builds it; queries over requests, files and users.

use crate::support;

use airlock_core::audit::{AuditType, EXTRA_REVIEW_TURN};
use airlock_core::effect::{self, Effect};
use airlock_core::notification::{EventType, Notification};
use airlock_core::{FileType, RequestState, Status, User, Visibility, VoteStatus};
use airlock_store::db::schema::notifications;
use airlock_store::db::{
    AuditFilter, DbError, RequestFilter, apply_effects, audit_entries, get_user, list_requests,
    load_request, load_request_state, released_hashes, upsert_user, write_tx,
};
use airlock_store::testing::test_databases;
use diesel::prelude::*;
use support::db::{audit, comment, file, group, request, rid, t, vote};

/// Batches of effects touching every kind of row, as a request lives through several actions.
fn scenario(id: &str) -> Vec<Vec<Effect>> {
    let created = request(id, "ws", "alice");
    let mut submitted = created.clone();
    submitted.status = Status::Submitted;
    submitted.review_turn = 1;
    submitted.last_submitted_at = Some(t(50));
    submitted.updated_at = t(50);
    let mut reviewed = submitted.clone();
    reviewed.status = Status::PartiallyReviewed;
    reviewed.submitted_reviews.insert("carol".into(), t(70));
    reviewed.turn_reviewers.insert("dave".into());
    reviewed.updated_at = t(70);

    let mut g1_edited = group("tables", 10);
    g1_edited.context = "Counts by region".into();
    g1_edited.controls = "Rounded to 5".into();
    g1_edited.updated_at = t(40);

    let mut released = file("output/a.csv", "tables", FileType::Output);
    released.upload.released_at = Some(t(80));
    released.upload.released_by = Some("carol".into());
    released.upload.uploaded = true;
    released.upload.uploaded_at = Some(t(81));
    released.upload.upload_attempts = 2;
    released.upload.upload_attempted_at = Some(t(81));
    released.upload.upload_next_attempt_at = Some(t(90));
    released.upload.upload_last_error = Some("timeout".into());

    let mut made_public = comment(
        "01JC0000000000000000000001",
        "tables",
        "carol",
        Visibility::Private,
        60,
    );
    made_public.visibility = Visibility::Public;

    let notify = Notification {
        event_type: EventType::RequestSubmitted,
        workspace: "ws".into(),
        request: id.into(),
        request_author: "alice".into(),
        user: "alice".into(),
        updates: None,
    };

    vec![
        vec![
            Effect::CreateRequest(created),
            Effect::CreateGroup(group("tables", 10)),
            Effect::InsertFile(file("output/a.csv", "tables", FileType::Output)),
            Effect::InsertFile(file("output/b.csv", "tables", FileType::Supporting)),
            Effect::Audit(
                audit(AuditType::RequestFileAdd, "alice", "ws", id, 0).path("tables/output/a.csv"),
            ),
        ],
        vec![
            Effect::CreateGroup(group("figures", 20)),
            Effect::InsertFile(file("output/c.png", "figures", FileType::Output)),
            Effect::UpdateGroup(g1_edited),
        ],
        vec![
            Effect::UpdateRequest(submitted),
            Effect::Audit(audit(AuditType::RequestSubmit, "alice", "ws", id, 1)),
            Effect::Notify(notify),
        ],
        vec![
            Effect::PutVote(vote("output/a.csv", "carol", VoteStatus::Approved, 1, 60)),
            Effect::PutVote(vote(
                "output/a.csv",
                "dave",
                VoteStatus::ChangesRequested,
                1,
                61,
            )),
            Effect::PutVote(vote("output/c.png", "carol", VoteStatus::Approved, 1, 62)),
            Effect::PutVote(vote(
                "output/a.csv",
                "carol",
                VoteStatus::ChangesRequested,
                1,
                63,
            )),
            Effect::DeleteVote {
                relpath: "output/c.png".into(),
                reviewer: "carol".into(),
            },
            Effect::PutVote(vote("output/c.png", "carol", VoteStatus::Undecided, 1, 64)),
            Effect::InsertComment(comment(
                "01JC0000000000000000000001",
                "tables",
                "carol",
                Visibility::Private,
                60,
            )),
            Effect::InsertComment(comment(
                "01JC0000000000000000000002",
                "figures",
                "dave",
                Visibility::Public,
                65,
            )),
            Effect::InsertComment(comment(
                "01JC0000000000000000000003",
                "figures",
                "dave",
                Visibility::Public,
                66,
            )),
            Effect::UpdateComment(made_public),
            Effect::DeleteComment {
                id: "01JC0000000000000000000002".into(),
            },
            Effect::UpdateRequest(reviewed),
        ],
        vec![
            Effect::UpdateFile(released),
            Effect::DeleteFile {
                relpath: "output/b.csv".into(),
            },
            Effect::InsertFile(file("output/d.txt", "figures", FileType::Withdrawn)),
        ],
    ]
}

#[test]
fn round_trip_matches_the_in_memory_model() {
    for db in test_databases() {
        let mut conn = db.conn().expect("connection");
        let id = rid(1);
        let batches = scenario(&id);
        let mut model: Option<RequestState> = None;
        let mut audit_ids = Vec::new();
        for batch in &batches {
            audit_ids.extend(
                apply_effects(&mut conn, &id, batch, Some(("opensafely", "study")))
                    .unwrap_or_else(|e| panic!("{}: {e}", db.name())),
            );
            let state = model.get_or_insert_with(|| match &batch[0] {
                Effect::CreateRequest(r) => RequestState::new(r.clone()),
                _ => unreachable!("the first batch creates the request"),
            });
            effect::apply(state, batch);
            let loaded = load_request_state(&mut conn, &id).expect("load");
            assert_eq!(loaded.as_ref(), Some(&*state), "{}", db.name());
        }
        assert_eq!(audit_ids, vec![1, 2], "{}", db.name());
        let state = model.expect("model");
        assert_eq!(
            load_request(&mut conn, &id).expect("load"),
            Some(state.request.clone()),
            "{}",
            db.name()
        );
        assert_eq!(state.files.len(), 3);
        assert_eq!(state.votes.len(), 3);
        assert_eq!(state.comments.len(), 2);
        assert_eq!(load_request_state(&mut conn, &rid(9)).expect("load"), None);

        // NOT-4: the outbox row, with org/repo in the payload, queued at the audit entry's time.
        let rows: Vec<(String, String, String, i64, Option<chrono::NaiveDateTime>)> =
            notifications::table
                .select((
                    notifications::request_id,
                    notifications::event_type,
                    notifications::payload,
                    notifications::attempts,
                    notifications::delivered_at,
                ))
                .load(&mut *conn)
                .expect("outbox");
        assert_eq!(rows.len(), 1, "{}", db.name());
        assert_eq!(rows[0].0, id);
        assert_eq!(rows[0].1, "request_submitted");
        let payload: serde_json::Value = serde_json::from_str(&rows[0].2).expect("json");
        assert_eq!(payload["org"], "opensafely");
        assert_eq!(payload["repo"], "study");
        assert_eq!(payload["request_author"], "alice");
        assert_eq!((rows[0].3, rows[0].4), (0, None));

        // AUD-2: the audit entries read back with their extra.
        let entries = audit_entries(
            &mut conn,
            AuditFilter {
                request: Some(id.clone()),
                ..Default::default()
            },
        )
        .expect("audit");
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].entry.kind, AuditType::RequestSubmit);
        assert_eq!(
            entries[1].entry.path.as_deref(),
            Some("tables/output/a.csv")
        );
        assert_eq!(entries[1].entry.extra[EXTRA_REVIEW_TURN], "0");
    }
}

#[test]
fn updates_of_missing_rows_are_not_found_and_change_nothing() {
    for db in test_databases() {
        let mut conn = db.conn().expect("connection");
        let id = rid(1);
        apply_effects(
            &mut conn,
            &id,
            &[Effect::CreateRequest(request(&id, "ws", "alice"))],
            None,
        )
        .expect("create");
        let result = apply_effects(
            &mut conn,
            &id,
            &[
                Effect::CreateGroup(group("g", 1)),
                Effect::UpdateFile(file("missing.csv", "g", FileType::Output)),
            ],
            None,
        );
        assert!(
            matches!(result, Err(DbError::NotFound(_))),
            "{}: {result:?}",
            db.name()
        );
        let state = load_request_state(&mut conn, &id)
            .expect("load")
            .expect("exists");
        assert!(state.groups.is_empty(), "{}: rolled back", db.name());

        let missing = request(&rid(2), "ws", "bob");
        let result = apply_effects(
            &mut conn,
            &missing.id,
            &[Effect::UpdateRequest(missing.clone())],
            None,
        );
        assert!(matches!(result, Err(DbError::NotFound(_))), "{}", db.name());
    }
}

/// §0.2: a file in a group that does not exist is refused when the transaction commits
/// (deferred foreign key), and nothing of the action remains.
#[test]
fn file_in_a_missing_group_is_refused_at_commit() {
    for db in test_databases() {
        let mut conn = db.conn().expect("connection");
        let id = rid(1);
        let result: Result<Vec<i64>, DbError> = write_tx(&mut conn, |conn| {
            apply_effects(
                conn,
                &id,
                &[
                    Effect::CreateRequest(request(&id, "ws", "alice")),
                    Effect::InsertFile(file("a.csv", "nogroup", FileType::Output)),
                    Effect::Audit(audit(AuditType::RequestFileAdd, "alice", "ws", &id, 0)),
                ],
                None,
            )
        });
        assert!(result.is_err(), "{}: {result:?}", db.name());
        assert_eq!(
            load_request(&mut conn, &id).expect("load"),
            None,
            "{}",
            db.name()
        );
        assert!(
            audit_entries(&mut conn, AuditFilter::default())
                .expect("audit")
                .is_empty()
        );
        // The connection is usable afterwards.
        apply_effects(
            &mut conn,
            &id,
            &[Effect::CreateRequest(request(&id, "ws", "alice"))],
            None,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", db.name()));
    }
}

#[test]
fn list_requests_filters_and_orders_newest_first() {
    for db in test_databases() {
        let mut conn = db.conn().expect("connection");
        for (n, (workspace, author, status)) in [
            ("ws1", "alice", Status::Released),
            ("ws1", "alice", Status::Pending),
            ("ws1", "bob", Status::Submitted),
            ("ws2", "alice", Status::Returned),
        ]
        .into_iter()
        .enumerate()
        {
            let mut r = request(&rid(n as u32), workspace, author);
            r.status = status;
            r.created_at = t(n as i64);
            apply_effects(&mut conn, &r.id, &[Effect::CreateRequest(r.clone())], None)
                .expect("create");
        }
        let ids =
            |filter: RequestFilter, conn: &mut airlock_store::db::DbConnection| -> Vec<String> {
                list_requests(conn, filter)
                    .expect("list")
                    .into_iter()
                    .map(|r| r.id)
                    .collect()
            };
        assert_eq!(
            ids(RequestFilter::default(), &mut conn),
            vec![rid(3), rid(2), rid(1), rid(0)],
            "{}",
            db.name()
        );
        assert_eq!(
            ids(
                RequestFilter {
                    workspace: Some("ws1".into()),
                    author: Some("alice".into()),
                    ..Default::default()
                },
                &mut conn
            ),
            vec![rid(1), rid(0)],
            "{}",
            db.name()
        );
        assert_eq!(
            ids(
                RequestFilter {
                    statuses: vec![Status::Submitted, Status::Returned],
                    ..Default::default()
                },
                &mut conn
            ),
            vec![rid(3), rid(2)],
            "{}",
            db.name()
        );
        assert_eq!(
            ids(
                RequestFilter {
                    limit: Some(2),
                    offset: Some(1),
                    ..Default::default()
                },
                &mut conn
            ),
            vec![rid(2), rid(1)],
            "{}",
            db.name()
        );
    }
}

/// WS-5 row 2: file_ids of released files of any request of the workspace.
#[test]
fn ws_5_released_hashes_of_a_workspace() {
    for db in test_databases() {
        let mut conn = db.conn().expect("connection");
        for (n, workspace) in ["ws1", "ws1", "ws2"].into_iter().enumerate() {
            let mut r = request(&rid(n as u32), workspace, &format!("user{n}"));
            r.status = Status::Approved;
            let mut released = file(&format!("out/{n}.csv"), "g", FileType::Output);
            released.file_id = format!("released-{n}");
            released.upload.released_at = Some(t(5));
            let mut unreleased = file("out/x.csv", "g", FileType::Output);
            unreleased.file_id = format!("unreleased-{n}");
            apply_effects(
                &mut conn,
                &r.id,
                &[
                    Effect::CreateRequest(r.clone()),
                    Effect::CreateGroup(group("g", 1)),
                    Effect::InsertFile(released),
                    Effect::InsertFile(unreleased),
                ],
                None,
            )
            .expect("create");
        }
        let hashes = released_hashes(&mut conn, "ws1").expect("hashes");
        let mut hashes: Vec<_> = hashes.into_iter().collect();
        hashes.sort();
        assert_eq!(hashes, vec!["released-0", "released-1"], "{}", db.name());
        assert!(
            released_hashes(&mut conn, "nope")
                .expect("hashes")
                .is_empty()
        );
    }
}

/// USR-3: the stored record is replaced wholesale.
#[test]
fn usr_3_upsert_replaces_the_record() {
    for db in test_databases() {
        let mut conn = db.conn().expect("connection");
        assert_eq!(get_user(&mut conn, "alice").expect("get"), None);
        let first = User::new("alice").with_role("ws", airlock_core::Grant::active("P"));
        upsert_user(&mut conn, &first, t(1)).expect("insert");
        assert_eq!(
            get_user(&mut conn, "alice").expect("get"),
            Some((first, t(1))),
            "{}",
            db.name()
        );
        let mut second = User::new("alice").checker();
        second.fullname = Some("Alice A".into());
        upsert_user(&mut conn, &second, t(2)).expect("replace");
        assert_eq!(
            get_user(&mut conn, "alice").expect("get"),
            Some((second, t(2))),
            "{}",
            db.name()
        );
    }
}
