//! The upload queue and its operator views (UPL-1, UPL-5 to UPL-7, OPS-5) and the daily-run
//! claim (OPS-3), on each test database.

use crate::support;

use airlock_core::action::{UploadAnswer, UploadStep};
use airlock_core::testing::{self, at};
use airlock_core::{ErrorCode, FileType, RequestState, Rules, Status};
use std::time::Duration;
use support::store::harnesses;

/// An APPROVED request of `author` with OUTPUT files; `released` of them released (at t0).
fn approved(id: &str, author: &str, paths: &[&str], released: usize) -> RequestState {
    let mut state = testing::request_in(Status::Approved);
    state.request.id = id.to_string();
    state.request.author = author.to_string();
    state.files.clear();
    for (i, path) in paths.iter().enumerate() {
        let mut file = testing::file(path, "default", FileType::Output);
        if i < released {
            file.upload.released_at = Some(testing::t0());
            file.upload.released_by = Some("reviewer1".into());
            file.upload.upload_next_attempt_at = Some(testing::t0());
        }
        state.files.push(file);
    }
    state.votes.clear();
    state
}

#[test]
fn upl_1_5_7_the_queue_lists_due_complete_and_stuck_work() {
    let rules = Rules {
        upload_stuck_after: 2,
        ..Rules::default()
    };
    for h in harnesses(rules) {
        let name = h.name();
        // A: two released files. B: APPROVED with nothing released. C: REVIEWED (not due).
        h.seed(&approved(
            "01AAAAAAAAAAAAAAAAAAAAAAAA",
            "a1",
            &["o/1.csv", "o/2.csv"],
            2,
        ));
        h.seed(&approved(
            "01BBBBBBBBBBBBBBBBBBBBBBBB",
            "a2",
            &["o/3.csv"],
            0,
        ));
        let mut reviewed = approved("01CCCCCCCCCCCCCCCCCCCCCCCC", "a3", &["o/4.csv"], 1);
        reviewed.request.status = Status::Reviewed;
        h.seed(&reviewed);
        let a = "01AAAAAAAAAAAAAAAAAAAAAAAA";

        let due = h.store.due_uploads(10).expect("due");
        assert_eq!(
            due,
            [
                (a.to_string(), "o/1.csv".to_string()),
                (a.to_string(), "o/2.csv".to_string())
            ],
            "{name}: only released files of APPROVED requests"
        );
        assert_eq!(
            h.store.next_upload_due().expect("next"),
            Some(testing::t0())
        );
        assert_eq!(
            h.store.approved_without_released().expect("listed"),
            ["01BBBBBBBBBBBBBBBBBBBBBBBB"],
            "{name}"
        );
        // Nothing is complete: A has pending files, B has none released (not complete).
        assert!(
            h.store
                .complete_uploaded_requests()
                .expect("complete")
                .is_empty()
        );

        // Two failed attempts of o/1.csv: stuck; o/2.csv uploaded.
        for _ in 0..2 {
            let job = h
                .store
                .claim_upload(a, "o/1.csv", Duration::from_secs(600))
                .expect("claim")
                .expect("due");
            assert!(
                h.store
                    .claim_upload(a, "o/1.csv", Duration::from_secs(600))
                    .expect("claim")
                    .is_none(),
                "{name}: a claimed file is not claimed twice"
            );
            h.store
                .act_upload(
                    a,
                    &UploadStep::Failed {
                        path: job.relpath.to_string(),
                        error: "HTTP 503: down".into(),
                        unit_random: 0.0,
                    },
                )
                .expect("failed");
            h.store.retry_uploads(a).expect("retry");
        }
        let succeeded = |path: &str| UploadStep::Succeeded { path: path.into() };
        assert_ne!(
            h.store
                .act_upload(a, &succeeded("o/2.csv"))
                .expect("uploaded"),
            UploadAnswer::Completed(true)
        );
        let stuck = h.store.stuck_uploads().expect("stuck");
        assert_eq!(stuck.len(), 1, "{name}");
        assert_eq!(
            (
                stuck[0].relpath.as_str(),
                stuck[0].attempts,
                stuck[0].last_error.as_deref()
            ),
            ("o/1.csv", 2, Some("HTTP 503: down"))
        );
        assert_eq!(h.store.pending_uploads().expect("pending").len(), 1);
        let unknown = h.store.retry_uploads("01ZZZZZZZZZZZZZZZZZZZZZZZZ");
        assert_eq!(
            unknown.expect_err("unknown").code(),
            ErrorCode::NotFound.as_str()
        );

        // The last file's success completes A (UPL-5) in the same transaction.
        assert_eq!(
            h.store
                .act_upload(a, &succeeded("o/1.csv"))
                .expect("uploaded"),
            UploadAnswer::Completed(true)
        );
        assert_eq!(h.status(a), Status::Released, "{name}");
        assert!(h.store.stuck_uploads().expect("stuck").is_empty());
        assert!(h.store.due_uploads(10).expect("due").is_empty());
        assert_eq!(h.store.next_upload_due().expect("next"), None);
    }
}

#[test]
fn ops_3_the_daily_run_is_claimed_once_per_day() {
    for h in harnesses(Rules::default()) {
        // The harness clock ticks a second per reading from t0: the same day throughout.
        assert!(
            h.store.claim_daily_run("job").expect("claim"),
            "{}",
            h.name()
        );
        assert!(!h.store.claim_daily_run("job").expect("claim"));
        assert!(h.store.claim_daily_run("other job").expect("claim"));
        let next_day = h.store.clone().with_clock(|| at(36 * 3600));
        assert!(
            next_day.claim_daily_run("job").expect("claim"),
            "{}",
            h.name()
        );
        assert!(!next_day.claim_daily_run("job").expect("claim"));
    }
}
