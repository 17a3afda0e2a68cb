//! Concurrent actions on every test database (§0.4, ONE-2): checks that read state inside the
//! transaction cannot both pass when only one should, and nothing is lost.

use crate::support;

use airlock_core::action::{Action, Answer};
use airlock_core::audit::AuditType;
use airlock_core::testing;
use airlock_core::{Rules, Status, VoteStatus};
use airlock_store::store::Target;
use std::sync::Barrier;
use support::store::{harnesses, pending_with_files};

/// REV-9, ST-3: two checkers submit their reviews at the same moment. Both reviews are
/// recorded, the status is REVIEWED, each review is audited once and the chain verifies.
#[test]
fn two_reviews_submitted_at_the_same_moment() {
    for h in harnesses(Rules::default()) {
        for round in 0..5 {
            let mut state = pending_with_files(3);
            state.request.id = format!("01JCONCURRENTREVIEW{round:07}");
            state.request.author = format!("author{round}");
            state.request.status = Status::Submitted;
            state.request.review_turn = 1;
            state.request.last_submitted_at = Some(testing::t0());
            for reviewer in ["checker1", "checker2"] {
                for f in &state.files {
                    state
                        .votes
                        .push(testing::vote(&f.relpath, reviewer, VoteStatus::Approved, 1));
                }
            }
            let id = state.request.id.clone();
            h.seed(&state);
            let barrier = Barrier::new(2);
            let results: Vec<_> = std::thread::scope(|s| {
                let handles: Vec<_> = ["checker1", "checker2"]
                    .map(|name| {
                        let (store, barrier, id) = (&h.store, &barrier, &id);
                        s.spawn(move || {
                            let checker = testing::checker(name);
                            barrier.wait();
                            store.act(&checker, Target::Request(id), &Action::SubmitReview)
                        })
                    })
                    .into_iter()
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("thread"))
                    .collect()
            });
            let mut counts: Vec<usize> = results
                .into_iter()
                .map(|r| match r.expect("both reviews succeed").answer {
                    Answer::Reviewed { reviews } => reviews,
                    other => panic!("a review answers its count, not {other:?}"),
                })
                .collect();
            counts.sort();
            assert_eq!(counts, vec![1, 2], "{}: round {round}", h.name());
            let after = h.state(&id);
            assert_eq!(after.request.status, Status::Reviewed, "{}", h.name());
            assert_eq!(
                after.request.submitted_reviews.keys().collect::<Vec<_>>(),
                vec!["checker1", "checker2"]
            );
            let reviews = h
                .audit_types(&id)
                .into_iter()
                .filter(|t| *t == AuditType::RequestReview)
                .count();
            assert_eq!(reviews, 2, "{}", h.name());
        }
        assert!(h.verify_chain().is_ok(), "{}", h.name());
    }
}

/// Many concurrent actions on different requests keep one unforked audit chain (AUD-4).
#[test]
fn concurrent_actions_on_different_requests_keep_one_chain() {
    for h in harnesses(Rules::default()) {
        let ids: Vec<String> = (0..8)
            .map(|i| {
                let mut state = pending_with_files(1);
                state.request.id = format!("01JCONCURRENTSUBMIT{i:07}");
                state.request.author = format!("author{i}");
                h.seed(&state);
                state.request.id
            })
            .collect();
        let barrier = Barrier::new(ids.len());
        std::thread::scope(|s| {
            for (i, id) in ids.iter().enumerate() {
                let (store, barrier) = (&h.store, &barrier);
                s.spawn(move || {
                    let author = testing::researcher(&format!("author{i}"));
                    barrier.wait();
                    store
                        .act(&author, Target::Request(id), &Action::Submit)
                        .expect("submit");
                });
            }
        });
        for id in &ids {
            assert_eq!(h.status(id), Status::Submitted, "{}", h.name());
        }
        assert_eq!(h.verify_chain(), Ok(8), "{}", h.name());
    }
}
