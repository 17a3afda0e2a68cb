//! The store's operations end to end on every test database: each action reads, asks core and
//! writes its change, audit entries and notifications in one transaction (§0.4); a refused action
//! writes nothing (§0.2).

use crate::support;

use airlock_core::action::{Action, Answer, UploadAnswer, UploadStep};
use airlock_core::audit::AuditType;
use airlock_core::testing::{self, AUTHOR};
use airlock_core::{ErrorCode, Rules, Status, VoteStatus};
use airlock_store::store::Target;
use support::store::{harnesses, pending_with_files};

fn rules() -> Rules {
    Rules::default()
}

/// ST-7 from PENDING to RELEASED through the store, with the audit chain intact (AUD-4, AUD-5).
#[test]
fn st_7_whole_life_of_a_request() {
    for h in harnesses(rules()) {
        let state = pending_with_files(2);
        let id = state.request.id.clone();
        h.seed(&state);
        let (author, c1, c2) = (
            testing::author(),
            testing::checker("checker1"),
            testing::checker("checker2"),
        );
        h.store
            .act(&author, Target::Request(&id), &Action::Submit)
            .expect("submit");
        assert_eq!(h.status(&id), Status::Submitted, "{}", h.name());
        for checker in [&c1, &c2] {
            for f in &state.files {
                h.store
                    .act(
                        checker,
                        Target::Request(&id),
                        &Action::Vote {
                            path: f.relpath.to_string(),
                            vote: VoteStatus::Approved,
                        },
                    )
                    .expect("vote");
            }
            h.store
                .act(checker, Target::Request(&id), &Action::SubmitReview)
                .expect("review");
        }
        assert_eq!(h.status(&id), Status::Reviewed, "{}", h.name());
        assert_eq!(
            airlock_store::testing::record_release(&h.store, &c1, &id)
                .expect("release")
                .answer,
            Answer::Released { files: 2 }
        );
        assert_eq!(h.status(&id), Status::Approved, "{}", h.name());
        for f in &state.files {
            let job = h
                .store
                .claim_upload(&id, &f.relpath, std::time::Duration::ZERO)
                .expect("claim")
                .expect("due");
            assert_eq!((job.attempt, job.released_by.as_str()), (1, c1.id()));
        }
        let first = &state.files[0].relpath;
        let second = &state.files[1].relpath;
        let succeeded = |path: &str| UploadStep::Succeeded { path: path.into() };
        assert_ne!(
            h.store
                .act_upload(&id, &succeeded(first))
                .expect("uploaded"),
            UploadAnswer::Completed(true)
        );
        h.store
            .act_upload(
                &id,
                &UploadStep::Failed {
                    path: second.to_string(),
                    error: "connection reset".into(),
                    unit_random: 0.5,
                },
            )
            .expect("failed");
        let failed = h.state(&id);
        let upload = &failed.file(second).expect("file").upload;
        assert_eq!(upload.upload_attempts, 1);
        assert_eq!(
            upload.upload_last_error.as_deref(),
            Some("connection reset")
        );
        assert!(upload.upload_next_attempt_at.is_some());
        assert_eq!(
            h.store
                .act_upload(&id, &succeeded(second))
                .expect("uploaded"),
            UploadAnswer::Completed(true)
        );
        assert_eq!(h.status(&id), Status::Released, "{}", h.name());

        let types = h.audit_types(&id);
        assert_eq!(
            types.first(),
            Some(&AuditType::RequestSubmit),
            "{}",
            h.name()
        );
        assert_eq!(
            types.last(),
            Some(&AuditType::RequestRelease),
            "{}",
            h.name()
        );
        assert_eq!(
            types
                .iter()
                .filter(|t| **t == AuditType::RequestReview)
                .count(),
            2
        );
        assert_eq!(
            types
                .iter()
                .filter(|t| **t == AuditType::RequestFileUpload)
                .count(),
            2
        );
        assert_eq!(
            h.outbox(),
            vec![
                "request_submitted",
                "request_partially_reviewed",
                "request_reviewed",
                "request_approved",
                "request_released"
            ],
            "{}",
            h.name()
        );
        assert_eq!(h.verify_chain().map(|n| n > 10), Ok(true), "{}", h.name());
    }
}

/// §0.2: a refused action changes nothing: no row, no audit entry, no notification.
#[test]
fn refused_actions_write_nothing() {
    for h in harnesses(rules()) {
        let state = pending_with_files(1);
        let id = state.request.id.clone();
        h.seed(&state);
        let relpath = state.files[0].relpath.clone();
        let before = h.state(&id);
        let audit_before = h.audit_count();
        let outsider = testing::outsider("mallory");
        let c1 = testing::checker("checker1");
        let refusals = [
            (
                h.store
                    .act(&outsider, Target::Request(&id), &Action::Submit)
                    .map(drop),
                ErrorCode::PermissionDenied,
            ),
            (
                h.store
                    .act(
                        &c1,
                        Target::Request(&id),
                        &Action::Vote {
                            path: relpath.to_string(),
                            vote: VoteStatus::Approved,
                        },
                    )
                    .map(drop),
                ErrorCode::NotUnderReview,
            ),
            (
                h.store
                    .act(
                        &testing::author(),
                        Target::Request(&id),
                        &Action::SubmitReview,
                    )
                    .map(drop),
                ErrorCode::PermissionDenied,
            ),
            (
                h.store
                    .act(
                        &testing::author(),
                        Target::Request(&id),
                        &Action::EditGroup {
                            group: "default".into(),
                            context: "context".into(),
                            controls: "controls".into(),
                        },
                    )
                    .map(drop),
                ErrorCode::NoChanges,
            ),
            (
                h.store
                    .act(&c1, Target::Request(&id), &Action::Reject)
                    .map(drop),
                ErrorCode::InvalidTransition,
            ),
            (
                h.store
                    .act(
                        &testing::author(),
                        Target::Request("no-such-request"),
                        &Action::Submit,
                    )
                    .map(drop),
                ErrorCode::NotFound,
            ),
        ];
        for (i, (result, code)) in refusals.into_iter().enumerate() {
            let err = result.expect_err("refused");
            assert_eq!(err.error_code(), code, "{}: refusal {i}: {err:?}", h.name());
        }
        assert_eq!(h.state(&id), before, "{}", h.name());
        assert_eq!(h.audit_count(), audit_before, "{}", h.name());
        assert!(h.outbox().is_empty(), "{}", h.name());
    }
}

/// RET-3 through the store: an early return resets the turn and hides its audit entries, and
/// the chain still verifies (AUD-5 accepts entries hidden by an early return).
#[test]
fn ret_3_early_return_hides_the_turn() {
    for h in harnesses(rules()) {
        let state = pending_with_files(1);
        let id = state.request.id.clone();
        let relpath = state.files[0].relpath.clone();
        h.seed(&state);
        let c1 = testing::checker("checker1");
        h.store
            .act(&testing::author(), Target::Request(&id), &Action::Submit)
            .expect("submit");
        h.store
            .act(
                &c1,
                Target::Request(&id),
                &Action::Vote {
                    path: relpath.to_string(),
                    vote: VoteStatus::ChangesRequested,
                },
            )
            .expect("vote");
        let comment = Action::Comment {
            group: "default".into(),
            text: "needs rounding".into(),
            visibility: None,
            file: None,
        };
        h.store
            .act(&c1, Target::Request(&id), &comment)
            .expect("comment");
        assert_eq!(
            h.store
                .act(&c1, Target::Request(&id), &Action::Return)
                .expect("return early")
                .answer,
            Answer::Returned { early: true }
        );
        let after = h.state(&id);
        assert_eq!(after.request.status, Status::Returned);
        assert!(
            after.votes.is_empty(),
            "{}: unsubmitted vote deleted",
            h.name()
        );
        assert!(
            after.comments.is_empty(),
            "{}: turn comments deleted",
            h.name()
        );
        let hidden: Vec<AuditType> = h
            .audit(&id)
            .into_iter()
            .filter(|e| e.hidden)
            .map(|e| e.entry.kind)
            .collect();
        assert!(
            hidden.contains(&AuditType::RequestFileRequestChanges),
            "{hidden:?}"
        );
        assert!(
            hidden.contains(&AuditType::RequestCommentDelete),
            "{hidden:?}"
        );
        assert!(
            !hidden.contains(&AuditType::RequestEarlyReturn),
            "the return itself stays visible: {hidden:?}"
        );
        assert!(h.verify_chain().is_ok(), "{}", h.name());
        // The author sees none of the hidden turn, but sees the return (AUD-6, VIS-1).
        let seen: Vec<AuditType> = h
            .store
            .request_activity(&testing::author(), &id, None)
            .expect("activity")
            .into_iter()
            .map(|e| e.entry.kind)
            .collect();
        assert!(seen.contains(&AuditType::RequestEarlyReturn), "{seen:?}");
        assert!(
            !seen.contains(&AuditType::RequestFileRequestChanges),
            "{seen:?}"
        );
    }
}

/// OPS-1: the forced status needs a known user and an active request, and is marked automated.
#[test]
fn ops_1_forced_status() {
    for h in harnesses(rules()) {
        let state = pending_with_files(1);
        let id = state.request.id.clone();
        h.seed(&state);
        let force = |to| Action::ForceStatus { to };
        let err = h.store.local_user("operator").expect_err("unknown user");
        assert_eq!(err.error_code(), ErrorCode::NotFound);
        h.save_user(&testing::checker("operator"));
        let operator = h.store.local_user("operator").expect("known");
        let automated = h.store.automated();
        automated
            .act(&operator, Target::Request(&id), &force(Status::Rejected))
            .expect("forced");
        assert_eq!(h.status(&id), Status::Rejected, "{}", h.name());
        let last = h.audit(&id).pop().expect("entry");
        assert_eq!(last.entry.kind, AuditType::RequestReject);
        assert_eq!(
            last.entry.extra.get("automated_action").map(String::as_str),
            Some("true")
        );
        assert_eq!(h.outbox(), vec!["request_rejected"]);
        let again = automated
            .act(&operator, Target::Request(&id), &force(Status::Withdrawn))
            .expect_err("final");
        assert_eq!(
            again.error_code(),
            ErrorCode::InvalidTransition,
            "{}",
            h.name()
        );
    }
}

/// ONE-3 and WEB-6/WEB-7 listings with their permission checks.
#[test]
fn listings_and_current_request() {
    for h in harnesses(rules()) {
        let state = pending_with_files(1);
        let id = state.request.id.clone();
        h.seed(&state);
        let author = testing::author();
        let current = h
            .store
            .current_request(&author, testing::WS)
            .expect("current")
            .expect("exists");
        assert_eq!(current.request.id, id);
        let other = testing::researcher("someone");
        assert!(
            h.store
                .current_request(&other, testing::WS)
                .expect("ok")
                .is_none()
        );
        assert_eq!(
            h.store
                .current_request(&testing::outsider("x"), testing::WS)
                .expect_err("no view")
                .error_code(),
            ErrorCode::PermissionDenied
        );
        let mine = h
            .store
            .my_requests(&author, Default::default())
            .expect("mine");
        assert_eq!(mine.len(), 1);
        assert_eq!(
            h.store
                .reviews(&author)
                .expect_err("not a checker")
                .error_code(),
            ErrorCode::PermissionDenied
        );
        h.store
            .act(&author, Target::Request(&id), &Action::Submit)
            .expect("submit");
        let c1 = testing::checker("checker1");
        let reviews = h.store.reviews(&c1).expect("reviews");
        assert_eq!(reviews.under_review.len(), 1);
        assert_eq!(
            (reviews.under_review[0].voted, reviews.under_review[0].total),
            (0, 1)
        );
        // A checker's own request is never on their Reviews page (WEB-7).
        let own = testing::collaborating_checker(AUTHOR);
        assert!(
            h.store
                .reviews(&own)
                .expect("reviews")
                .under_review
                .is_empty()
        );
        let listed = h
            .store
            .workspace_requests(&c1, testing::WS, &[Status::Submitted], Default::default())
            .expect("workspace list");
        assert_eq!(listed.len(), 1, "{}", h.name());
    }
}

/// WEB-7: each request's progress on the Reviews page is the checker's own, computed from
/// aggregates loaded together (no query per request), and equal to loading each alone.
#[test]
fn web_7_review_progress_of_many_requests() {
    for h in harnesses(rules()) {
        let c1 = testing::checker("checker1");
        let mut expected = Vec::new();
        for (n, files) in [1usize, 3, 5].into_iter().enumerate() {
            let author = testing::researcher(&format!("author{n}"));
            let mut state = pending_with_files(files);
            state.request.id = format!("01JREQUEST000000000000000{n}");
            state.request.author = author.username.clone();
            h.seed(&state);
            h.store
                .act(&author, Target::Request(&state.request.id), &Action::Submit)
                .expect("submit");
            for file in state.files.iter().take(n) {
                h.store
                    .act(
                        &c1,
                        Target::Request(&state.request.id),
                        &Action::Vote {
                            path: file.relpath.to_string(),
                            vote: VoteStatus::Approved,
                        },
                    )
                    .expect("vote");
            }
            expected.push((state.request.id.clone(), n, files));
        }
        let reviews = h.store.reviews(&c1).expect("reviews");
        let mut got: Vec<(String, usize, usize)> = reviews
            .under_review
            .iter()
            .map(|item| (item.request.id.clone(), item.voted, item.total))
            .collect();
        got.sort();
        assert_eq!(got, expected, "{}", h.name());
        // The other checker has voted on nothing.
        let c2 = testing::checker("checker2");
        let other = h.store.reviews(&c2).expect("reviews");
        assert!(other.under_review.iter().all(|i| i.voted == 0));

        let mut conn = h.db.conn().expect("conn");
        let requests: Vec<_> = expected
            .iter()
            .map(|(id, _, _)| {
                airlock_store::db::load_request(&mut conn, id)
                    .expect("load")
                    .expect("exists")
            })
            .collect();
        let together =
            airlock_store::db::load_request_states(&mut conn, requests).expect("together");
        for (state, (id, _, _)) in together.iter().zip(&expected) {
            let alone = airlock_store::db::load_request_state(&mut conn, id)
                .expect("alone")
                .expect("exists");
            assert_eq!(state, &alone, "{}", h.name());
        }
    }
}
