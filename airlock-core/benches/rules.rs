//! Benchmark: permission, decision and visibility evaluation of a request with 1 000 files
//! (target: under 1 ms per evaluation on a 2-core machine).
//!
//! Run: `cargo bench -p airlock-core --bench rules`. One evaluation is what a request page
//! needs: every ACC-6 action for the viewer, the decision of every file (REV-6, REV-7), the
//! review progress, and the visible comments and activity (VIS-1, AUD-6).

use airlock_core::access::{Permission, authorize};
use airlock_core::audit::{AuditEntry, AuditType, NewAudit};
use airlock_core::decision::{all_files_approved, review_progress, shown_decisions};
use airlock_core::testing::{self, AUTHOR, at};
use airlock_core::visibility::{activity, visible_comments};
use airlock_core::{Comment, FileType, Rules, Status, Visibility, VoteStatus};
use std::hint::black_box;
use std::time::{Duration, Instant};

const FILES: usize = 1_000;
const GROUPS: usize = 10;

fn request() -> (airlock_core::RequestState, Vec<AuditEntry>) {
    let mut state = testing::request_in(Status::PartiallyReviewed);
    state.files.clear();
    state.votes.clear();
    state.groups = (0..GROUPS)
        .map(|g| testing::group(&format!("group{g}")))
        .collect();
    let mut audit = Vec::new();
    for i in 0..FILES {
        let relpath = format!("output/dir{}/table_{i}.csv", i % 37);
        let group = format!("group{}", i % GROUPS);
        state
            .files
            .push(testing::file(&relpath, &group, FileType::Output));
        for reviewer in ["reviewer1", "reviewer2", "reviewer3"] {
            let status = if (i + reviewer.len()) % 11 == 0 {
                VoteStatus::ChangesRequested
            } else {
                VoteStatus::Approved
            };
            state
                .votes
                .push(testing::vote(&relpath, reviewer, status, 1));
            audit.push(AuditEntry {
                id: audit.len() as i64 + 1,
                entry: NewAudit::about_request(
                    AuditType::RequestFileApprove,
                    reviewer,
                    testing::WS,
                    &state.request.id,
                    1,
                    at(i as i64),
                )
                .path(&relpath)
                .extra("group", group.clone()),
                hidden: false,
                prev_hash: String::new(),
                hash: String::new(),
            });
        }
    }
    for i in 0..200 {
        state.comments.push(Comment {
            id: format!("comment{i:04}"),
            group: format!("group{}", i % GROUPS),
            author: ["reviewer1", "reviewer2", AUTHOR][i % 3].to_string(),
            text: "Please round these counts to the nearest 5.".into(),
            visibility: if i % 2 == 0 {
                Visibility::Private
            } else {
                Visibility::Public
            },
            review_turn: 1,
            created_at: at(i as i64),
            file: None,
        });
    }
    (state, audit)
}

fn main() {
    let (state, audit) = request();
    let rules = Rules::default();
    let viewers = [
        testing::checker("reviewer1"),
        testing::author(),
        testing::checker("reviewer9"),
    ];
    let evaluate = |viewer: &airlock_core::User| {
        let mut allowed = 0;
        for action in Permission::ALL {
            allowed += usize::from(authorize(viewer, &state.request, action).is_ok());
        }
        let decisions = shown_decisions(viewer, &state, rules.required_reviews);
        let progress = review_progress(&state, viewer.id());
        let ready = all_files_approved(&state, rules.required_reviews);
        let mut comments = 0;
        for g in &state.groups {
            comments += visible_comments(viewer, &state.request, &state.comments, &g.name).len();
        }
        let seen = activity(viewer, &state.request, &audit, None).len();
        black_box((allowed, decisions.len(), progress, ready, comments, seen))
    };
    for viewer in &viewers {
        evaluate(viewer);
    }
    let mut samples: Vec<Duration> = Vec::new();
    for _ in 0..200 {
        for viewer in &viewers {
            let start = Instant::now();
            evaluate(viewer);
            samples.push(start.elapsed());
        }
    }
    let time = |label: &str, f: &dyn Fn()| {
        let start = Instant::now();
        for _ in 0..100 {
            f();
        }
        println!("  {label}: {:.3} ms", start.elapsed().as_secs_f64() * 10.0);
    };
    let viewer = &viewers[0];
    time("authorize (all actions)", &|| {
        for action in Permission::ALL {
            black_box(authorize(viewer, &state.request, action).is_ok());
        }
    });
    time("shown_decisions", &|| {
        black_box(shown_decisions(viewer, &state, rules.required_reviews));
    });
    time("review_progress", &|| {
        black_box(review_progress(&state, viewer.id()));
    });
    time("all_files_approved", &|| {
        black_box(all_files_approved(&state, rules.required_reviews));
    });
    time("visible_comments (all groups)", &|| {
        for g in &state.groups {
            black_box(visible_comments(
                viewer,
                &state.request,
                &state.comments,
                &g.name,
            ));
        }
    });
    time("activity", &|| {
        black_box(activity(viewer, &state.request, &audit, None));
    });
    samples.sort();
    let median = samples[samples.len() / 2];
    let p99 = samples[samples.len() * 99 / 100];
    println!(
        "rules: {FILES} files, {} votes, {} comments, {} audit entries",
        state.votes.len(),
        state.comments.len(),
        audit.len()
    );
    println!(
        "permission + decision + visibility evaluation: median {:.3} ms, p99 {:.3} ms (target < 1 ms)",
        median.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
}
