//! Model-based property test: random sequences of actions by random users, with the invariants
//! of the rules checked after every step.

use airlock_core::access::is_reviewer;
use airlock_core::action::{
    self, Action, AddCandidate, Facts, GroupChoice, NewFile, Subject, UploadAnswer,
};
use airlock_core::audit::AuditType;
use airlock_core::decision::shown_decisions;
use airlock_core::model::{Decision, FileType, OutputMeta, Visibility, VoteStatus};
use airlock_core::testing::*;
use airlock_core::visibility::{activity, visible_comments};
use airlock_core::{Phase, Rules, Status, User};
use proptest::prelude::*;

const PATHS: [&str; 3] = ["output/a.csv", "output/b.csv", "output/c.png"];
const GROUPS: [&str; 2] = ["default", "extra"];

fn users() -> Vec<User> {
    vec![
        author(),
        researcher("researcher"),
        checker("c1"),
        checker("c2"),
        checker("c3"),
        collaborating_checker("collab"),
        copilot("copilot"),
        tech_support("support"),
    ]
}

#[derive(Debug, Clone)]
enum Step {
    Add {
        path: usize,
        group: usize,
        supporting: bool,
    },
    Edit {
        group: usize,
        blank: bool,
    },
    Submit,
    Withdraw,
    Vote {
        path: usize,
        approve: bool,
    },
    ResetVote {
        path: usize,
    },
    GroupChanges {
        group: usize,
    },
    Review,
    Return,
    Reject,
    Release,
    Comment {
        group: usize,
        public: bool,
    },
    DeleteComment,
    MakePublic,
    WithdrawFile {
        path: usize,
    },
    Retype {
        path: usize,
        output: bool,
    },
    Update {
        path: usize,
    },
    /// One worker pass: every due file is claimed, then uploaded or failed (bit i of the
    /// mask fails the i-th due file).
    Upload {
        fail_mask: u8,
    },
}

fn step() -> impl Strategy<Value = (usize, Step)> {
    let s = prop_oneof![
        (0..3usize, 0..2usize, any::<bool>()).prop_map(|(path, group, supporting)| Step::Add {
            path,
            group,
            supporting
        }),
        (0..2usize, prop::bool::weighted(0.2))
            .prop_map(|(group, blank)| Step::Edit { group, blank }),
        Just(Step::Submit),
        Just(Step::Withdraw),
        (0..3usize, prop::bool::weighted(0.7))
            .prop_map(|(path, approve)| Step::Vote { path, approve }),
        (0..3usize).prop_map(|path| Step::ResetVote { path }),
        (0..2usize).prop_map(|group| Step::GroupChanges { group }),
        Just(Step::Review),
        Just(Step::Review),
        Just(Step::Return),
        Just(Step::Reject),
        Just(Step::Release),
        (0..2usize, any::<bool>()).prop_map(|(group, public)| Step::Comment { group, public }),
        Just(Step::DeleteComment),
        Just(Step::MakePublic),
        (0..3usize).prop_map(|path| Step::WithdrawFile { path }),
        (0..3usize, any::<bool>()).prop_map(|(path, output)| Step::Retype { path, output }),
        (0..3usize).prop_map(|path| Step::Update { path }),
        any::<u8>().prop_map(|fail_mask| Step::Upload { fail_mask }),
    ];
    (0..8usize, s)
}

fn candidate(path: &str, version: i64) -> AddCandidate {
    AddCandidate {
        unreadable: None,
        relpath: path.to_string(),
        shown: true,
        output: Some(OutputMeta::default()),
        content_hash: Some(fake_hash(&format!("{path}{version}"))),
        released: false,
    }
}

fn run(w: &mut World, user: &User, step: &Step, created: &mut bool) {
    let clock = w.clock;
    let result: Result<(), airlock_core::AirlockError> = match step {
        Step::Add {
            path,
            group,
            supporting,
        } => {
            w.clock += 1;
            let rules = w.rules.clone();
            let ctx = airlock_core::Ctx::new(user, &rules, at(w.clock));
            let filetype = if *supporting {
                FileType::Supporting
            } else {
                FileType::Output
            };
            let add = Action::AddFiles {
                group: GroupChoice::Named(GROUPS[*group].to_string()),
                files: vec![NewFile {
                    path: PATHS[*path].to_string(),
                    filetype,
                }],
            };
            let facts = |id: &str| Facts {
                fresh_id: id.to_string(),
                candidate: Some(candidate(PATHS[*path], 0)),
                ..Facts::default()
            };
            if user.id() != AUTHOR {
                // Another user's own request is outside the model; the call must not panic.
                let subject = Subject::Current {
                    workspace: WS,
                    current: None,
                };
                let _ = action::run(&ctx, subject, &add, &facts("01OTHER000000000000000000"));
                return;
            }
            if *created && !w.state.request.status.is_active() {
                return; // a new request after a final one is a different request
            }
            let current = created.then(|| w.state.clone());
            let subject = Subject::Current {
                workspace: WS,
                current: current.as_ref(),
            };
            action::run(&ctx, subject, &add, &facts("01MODEL000000000000000000")).map(|out| {
                w.apply(out.effects());
                *created = true;
            })
        }
        _ if !*created => return,
        Step::Edit { group, blank } => {
            let text = if *blank { "" } else { "text" };
            w.act(
                user,
                Action::EditGroup {
                    group: GROUPS[*group].into(),
                    context: text.into(),
                    controls: text.into(),
                },
            )
            .map(|_| ())
        }
        Step::Submit => w.act(user, Action::Submit).map(|_| ()),
        Step::Withdraw => w.act(user, Action::Withdraw).map(|_| ()),
        Step::Vote { path, approve } => {
            let vote = if *approve {
                VoteStatus::Approved
            } else {
                VoteStatus::ChangesRequested
            };
            w.act(
                user,
                Action::Vote {
                    path: PATHS[*path].into(),
                    vote,
                },
            )
            .map(|_| ())
        }
        Step::ResetVote { path } => w
            .act(
                user,
                Action::ResetVote {
                    path: PATHS[*path].into(),
                },
            )
            .map(|_| ()),
        Step::GroupChanges { group } => w
            .act(
                user,
                Action::RequestChangesOnGroup {
                    group: GROUPS[*group].into(),
                },
            )
            .map(|_| ()),
        Step::Review => w.act(user, Action::SubmitReview).map(|_| ()),
        Step::Return => w.act(user, Action::Return).map(|_| ()),
        Step::Reject => w.act(user, Action::Reject).map(|_| ()),
        Step::Release => w.act(user, Action::Release).map(|_| ()),
        Step::Comment { group, public } => {
            let visibility = Some(if *public {
                Visibility::Public
            } else {
                Visibility::Private
            });
            w.act(
                user,
                Action::Comment {
                    group: GROUPS[*group].into(),
                    text: "t".into(),
                    visibility,
                    file: None,
                },
            )
            .map(|_| ())
        }
        Step::DeleteComment | Step::MakePublic => {
            let Some(c) = w.state.comments.first().cloned() else {
                return;
            };
            let group = Some(c.group.clone());
            let act = if matches!(step, Step::DeleteComment) {
                Action::DeleteComment {
                    comment: c.id,
                    group,
                }
            } else {
                Action::PublishComment {
                    comment: c.id,
                    group,
                }
            };
            w.act(user, act).map(|_| ())
        }
        Step::WithdrawFile { path } => w
            .act(
                user,
                Action::WithdrawFile {
                    path: PATHS[*path].into(),
                },
            )
            .map(|_| ()),
        Step::Retype { path, output } => {
            let ft = if *output {
                FileType::Output
            } else {
                FileType::Supporting
            };
            w.act(
                user,
                Action::ChangeFile {
                    path: PATHS[*path].into(),
                    group: None,
                    filetype: Some(ft),
                },
            )
            .map(|_| ())
        }
        Step::Update { path } => {
            let version = w.clock;
            let facts = Facts {
                candidate: Some(candidate(PATHS[*path], version)),
                ..Facts::default()
            };
            let update = Action::UpdateFiles {
                paths: vec![PATHS[*path].into()],
            };
            w.act_with(user, &update, &facts).map(|_| ())
        }
        Step::Upload { fail_mask } => {
            worker_pass(w, *fail_mask);
            Ok(())
        }
    };
    if result.is_err() {
        // §0.2: a refused action changes nothing (the world applies effects only on success).
        assert!(w.clock >= clock);
    }
}

/// One worker pass at the next tick (UPL-1 to UPL-5): every due file is claimed, then fails
/// (bit i of `fail_mask` for the i-th due file) or is uploaded; a complete request is RELEASED.
/// Checks that a claim counts the attempt and keeps the file from being claimed again, and that
/// a failure waits within the UPL-4 bounds.
fn worker_pass(w: &mut World, fail_mask: u8) {
    use airlock_core::action::UploadStep;
    w.clock += 1;
    let now = at(w.clock);
    let backoff = airlock_core::backoff::Backoff::from_rules(&w.rules);
    let due: Vec<String> = action::due_uploads(&w.state, now)
        .iter()
        .map(|f| f.relpath.clone())
        .collect();
    for (i, path) in due.iter().enumerate() {
        let before = w.state.file(path).map(|f| f.upload.upload_attempts);
        let claim = UploadStep::Claim {
            path: path.clone(),
            until: now + chrono::Duration::seconds(330),
        };
        assert_eq!(w.upload(&claim, now), Ok(UploadAnswer::Done), "due");
        let file = w.state.file(path).expect("file");
        let k = file.upload.upload_attempts;
        assert_eq!(
            Some(k),
            before.map(|a| a + 1),
            "UPL-2: the claim counts the attempt"
        );
        assert!(
            !action::upload_due(&w.state.request, file, now),
            "claimed twice"
        );
        let again = UploadStep::Claim {
            path: path.clone(),
            until: now,
        };
        assert_eq!(w.upload(&again, now), Ok(UploadAnswer::NotDue));
        if fail_mask & (1 << (i % 8)) != 0 {
            let failed = UploadStep::Failed {
                path: path.clone(),
                error: "HTTP 500".into(),
                unit_random: 0.5,
            };
            w.upload(&failed, now).expect("released");
            let next = w
                .state
                .file(path)
                .expect("file")
                .upload
                .upload_next_attempt_at;
            let (lo, hi) = backoff.bounds(k);
            assert!(
                next.is_some_and(|t| t >= now + lo && t <= now + hi),
                "UPL-4"
            );
        } else {
            let succeeded = UploadStep::Succeeded { path: path.clone() };
            w.upload(&succeeded, now).expect("released");
        }
    }
    w.upload(&UploadStep::Complete, now).expect("complete");
}

fn check_invariants(w: &World, before: Status, rules: &Rules) {
    // UPL rules: only released OUTPUT files are uploaded; an uploaded file is never due; a
    // RELEASED request has released files, all uploaded (UPL-5).
    for f in &w.state.files {
        if f.upload.uploaded {
            assert!(
                f.upload.released_at.is_some(),
                "{} uploaded unreleased",
                f.relpath
            );
            assert_eq!(f.filetype, FileType::Output, "{} uploaded", f.relpath);
            assert!(!action::upload_due(
                &w.state.request,
                f,
                at(i64::from(u32::MAX))
            ));
        }
    }
    if w.state.request.status == Status::Released {
        let released: Vec<_> = w
            .state
            .output_files()
            .filter(|f| f.upload.released_at.is_some())
            .collect();
        assert!(!released.is_empty(), "RELEASED with nothing released");
        assert!(
            released.iter().all(|f| f.upload.uploaded),
            "RELEASED with a pending file"
        );
    }
    let request = &w.state.request;
    let n = rules.required_reviews;
    // Final statuses never change (APPROVED only moves on to RELEASED).
    if before.is_final() {
        let allowed = before == request.status
            || (before == Status::Approved && request.status == Status::Released);
        assert!(
            allowed,
            "final status {before} changed to {}",
            request.status
        );
    }
    // APPROVED or RELEASED: every output file has N approvals from reviewers of that turn.
    if matches!(request.status, Status::Approved | Status::Released) {
        for f in w.state.output_files() {
            let approvals = w
                .state
                .votes_on(&f.relpath)
                .filter(|v| {
                    v.status == VoteStatus::Approved
                        && request.submitted_reviews.contains_key(&v.reviewer)
                })
                .count();
            assert!(
                approvals >= n,
                "{} released with {approvals} approvals",
                f.relpath
            );
        }
    }
    // The author never holds a vote on their own request.
    assert!(w.state.votes.iter().all(|v| v.reviewer != request.author));
    // TRN-4: odd turns are review turns, even turns author turns.
    match request.status.phase() {
        Phase::Independent | Phase::Consolidating => assert_eq!(request.review_turn % 2, 1),
        Phase::Author => assert_eq!(request.review_turn % 2, 0),
        Phase::Complete => {}
    }
    // Votes exist only on files that were OUTPUT (now OUTPUT or WITHDRAWN).
    for v in &w.state.votes {
        let file = w
            .state
            .file(&v.relpath)
            .expect("vote on a file of the request");
        assert_ne!(
            file.filetype,
            FileType::Supporting,
            "vote on a supporting file"
        );
    }
    // §12: nobody is shown what VIS-1 hides.
    let phase = request.status.phase();
    for user in users() {
        let reviewer = is_reviewer(&user, request);
        for group in GROUPS {
            for c in visible_comments(&user, request, &w.state.comments, group) {
                if c.author == user.id() {
                    continue;
                }
                if c.visibility == Visibility::Private {
                    assert!(reviewer, "{} saw a private comment", user.username);
                }
                if c.review_turn == request.review_turn {
                    assert!(
                        phase != Phase::Independent,
                        "{} saw a blinded comment",
                        user.username
                    );
                    assert!(
                        phase != Phase::Author,
                        "{} saw an author-turn comment",
                        user.username
                    );
                    if phase == Phase::Consolidating {
                        assert!(reviewer, "{} saw a consolidating comment", user.username);
                    }
                }
            }
        }
        for e in activity(&user, request, &w.audit, None) {
            assert!(!e.hidden);
            assert!(!matches!(
                e.entry.kind,
                AuditType::RequestFileView | AuditType::RequestFileUndecided
            ));
            if e.entry.user != user.id() && e.turn() == request.review_turn {
                assert!(
                    phase == Phase::Complete || (phase == Phase::Consolidating && reviewer),
                    "{} saw {:?} of the current turn in {phase:?}",
                    user.username,
                    e.entry.kind
                );
            }
            if e.visibility() == Visibility::Private && e.entry.user != user.id() {
                assert!(reviewer, "{} saw a private entry", user.username);
            }
        }
        if phase == Phase::Independent {
            assert!(
                shown_decisions(&user, &w.state, n)
                    .values()
                    .all(|d| *d == Decision::Incomplete)
            );
        }
        if user.id() == request.author || !user.output_checker {
            assert!(
                shown_decisions(&user, &w.state, n)
                    .values()
                    .all(|d| *d != Decision::Conflicted)
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_actions_keep_the_invariants(n in 2usize..4, steps in prop::collection::vec(step(), 1..80)) {
        let rules = Rules::with_reviews(n);
        let mut w = World::new(empty_request("01MODEL000000000000000000"), rules.clone());
        let all = users();
        let mut created = false;
        for (who, step) in &steps {
            let before = w.state.request.status;
            run(&mut w, &all[*who], step, &mut created);
            if created {
                check_invariants(&w, before, &rules);
            }
        }
    }
}

/// A step of the upload phase.
#[derive(Debug, Clone)]
enum UploadStep {
    /// A worker pass; bit i fails the i-th due file.
    Pass { fail_mask: u8 },
    /// Time passes.
    Tick { seconds: i64 },
    /// A second checker re-triggers the release (REL-5).
    Retrigger,
}

fn upload_step() -> impl Strategy<Value = UploadStep> {
    prop_oneof![
        3 => any::<u8>().prop_map(|fail_mask| UploadStep::Pass { fail_mask }),
        2 => (0i64..200).prop_map(|seconds| UploadStep::Tick { seconds }),
        1 => Just(UploadStep::Retrigger),
    ]
}

/// A REVIEWED request of three approved OUTPUT files and a SUPPORTING one, released by
/// reviewer1: APPROVED, every output due.
fn approved_world(rules: &Rules) -> World {
    let mut state = request_in(Status::Reviewed);
    for path in ["output/b.csv", "output/c.csv"] {
        state.files.push(file(path, "default", FileType::Output));
        for r in ["reviewer1", "reviewer2"] {
            state.votes.push(vote(path, r, VoteStatus::Approved, 1));
        }
    }
    state
        .files
        .push(file("output/notes.md", "default", FileType::Supporting));
    let mut w = World::new(state, rules.clone());
    w.act(&checker("reviewer1"), Action::Release)
        .expect("released");
    w
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// UPL-1 to UPL-5 and REL-5 over random worker passes, failures, time and re-triggers:
    /// a claimed file is never due while claimed, attempts only grow, failures wait within the
    /// UPL-4 bounds, uploaded files are never due, SUPPORTING files are never released, and the
    /// request is RELEASED exactly when every released file is uploaded.
    #[test]
    fn upl_random_passes_keep_the_upload_invariants(
        steps in prop::collection::vec(upload_step(), 1..60),
    ) {
        let rules = Rules::default();
        let mut w = approved_world(&rules);
        prop_assert_eq!(w.status(), Status::Approved);
        for step in &steps {
            let attempts_before: Vec<i64> =
                w.state.files.iter().map(|f| f.upload.upload_attempts).collect();
            match step {
                UploadStep::Tick { seconds } => w.clock += seconds,
                UploadStep::Retrigger => {
                    let status = w.status();
                    let queued = w.notifications.len();
                    let result = w.act(&checker("reviewer2"), Action::Release);
                    if status == Status::Approved {
                        prop_assert!(result.is_ok(), "REL-5 re-trigger refused: {:?}", result);
                        prop_assert_eq!(w.notifications.len(), queued, "REL-5 notifies nothing");
                        prop_assert_eq!(w.status(), Status::Approved);
                    } else {
                        prop_assert!(result.is_err(), "released twice");
                    }
                }
                UploadStep::Pass { fail_mask } => worker_pass(&mut w, *fail_mask),
            }
            for (f, before) in w.state.files.iter().zip(attempts_before) {
                prop_assert!(f.upload.upload_attempts >= before, "attempts went down");
                if f.filetype == FileType::Supporting {
                    prop_assert!(f.upload.released_at.is_none(), "SUPPORTING released");
                }
                if f.upload.uploaded {
                    prop_assert!(!action::upload_due(&w.state.request, f, at(i64::from(u32::MAX))));
                }
            }
            let all_uploaded = w
                .state
                .output_files()
                .all(|f| f.upload.released_at.is_some() && f.upload.uploaded);
            prop_assert_eq!(w.status() == Status::Released, all_uploaded, "UPL-5");
            let released_events = w
                .notifications
                .iter()
                .filter(|n| n.event_type == airlock_core::notification::EventType::RequestReleased)
                .count();
            prop_assert_eq!(released_events, usize::from(all_uploaded), "one request_released");
        }
    }
}
