//! Scenario tests of the actions, named by the rules they check.

use super::*;
use super::{comment::*, file::*, lifecycle::*, release::*, vote::*};
use crate::audit::AuditType;
use crate::context::Rules;
use crate::model::{Decision, FileType, OutputMeta, Visibility, VoteStatus};
use crate::notification::EventType;
use crate::status::Status;
use crate::testing::{
    AUTHOR, WS, World, at, author, checker, collaborating_checker, copilot, empty_request,
    fake_hash, outsider, request_in, researcher, t0, tech_support,
};
use crate::user::User;

fn cand(relpath: &str) -> AddCandidate {
    AddCandidate {
        relpath: relpath.to_string(),
        unreadable: None,
        shown: true,
        output: Some(OutputMeta {
            size: 5,
            job_id: "j".into(),
            ..OutputMeta::default()
        }),
        content_hash: Some(fake_hash(relpath)),
        released: false,
    }
}

fn code<T: std::fmt::Debug>(r: crate::error::Result<T>) -> &'static str {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.code(),
    }
}

/// A world whose PENDING request was created by adding `paths` to group `default`, with the
/// group's context and controls filled in.
fn pending_world(paths: &[&str], n: usize) -> World {
    let mut w = World::new(empty_request("placeholder"), Rules::with_reviews(n));
    let a = author();
    for (i, p) in paths.iter().enumerate() {
        let current = (i > 0).then(|| w.state.clone());
        let c = cand(p);
        let ctx_rules = w.rules.clone();
        let ctx = crate::context::Ctx::new(&a, &ctx_rules, at(i as i64));
        let out = add_file(
            &ctx,
            WS,
            current.as_ref(),
            "01REQUEST00000000000000000",
            GroupTarget::Named("default"),
            &c,
            FileType::Output,
        )
        .expect("add");
        w.apply(&out.effects);
    }
    w.act_rule(&a, |ctx, s| edit_group(ctx, s, "default", "ctx", "ctl"))
        .expect("edit");
    w
}

fn review_all(w: &mut World, reviewer: &User, status: VoteStatus) {
    let paths: Vec<String> = w.state.output_files().map(|f| f.relpath.clone()).collect();
    for p in paths {
        w.act_rule(reviewer, |ctx, s| vote(ctx, s, &p, status))
            .expect("vote");
    }
    if status == VoteStatus::ChangesRequested {
        let id = format!("c-{}-{}", reviewer.id(), w.clock);
        w.act_rule(reviewer, |ctx, s| {
            create_comment(
                ctx,
                s,
                &NewComment {
                    id: &id,
                    group: "default",
                    text: "please fix",
                    visibility: None,
                    file: None,
                },
            )
        })
        .expect("comment");
    }
    w.act_rule(reviewer, submit_review).expect("submit review");
}

#[test]
fn fil_5_first_add_creates_the_request_with_the_grant_project() {
    let w = pending_world(&["output/a.csv"], 2);
    assert_eq!(w.status(), Status::Pending);
    assert_eq!(w.state.request.project, "Project");
    assert_eq!(w.state.request.id, "01REQUEST00000000000000000");
    let kinds: Vec<_> = w.audit.iter().map(|e| e.entry.kind).collect();
    assert_eq!(
        kinds,
        [
            AuditType::RequestCreate,
            AuditType::RequestFileAdd,
            AuditType::RequestEdit
        ]
    );
    assert_eq!(
        w.audit[1].entry.extra.get("filetype").map(String::as_str),
        Some("OUTPUT")
    );
    assert!(
        w.notifications.is_empty(),
        "NOT-1: no notification for creation or files"
    );
}

#[test]
fn fil_4_per_path_checks_in_order() {
    let w = pending_world(&["output/a.csv"], 2);
    let a = author();
    let rules = Rules::default();
    let ctx = crate::context::Ctx::new(&a, &rules, t0());
    let add = |c: &AddCandidate, t: FileType| {
        add_file(
            &ctx,
            WS,
            Some(&w.state),
            "x",
            GroupTarget::Named("default"),
            c,
            t,
        )
    };
    let mut hidden = cand("output/b.csv");
    hidden.shown = false;
    assert_eq!(code(add(&hidden, FileType::Output)), "not_found");
    assert_eq!(
        code(add(&cand("metadata/job.log"), FileType::Output)),
        "metadata_file_not_addable"
    );
    let mut message = cand("output/big.csv.txt");
    message.output = None;
    message.content_hash = None;
    assert_eq!(code(add(&message, FileType::Output)), "not_an_output");
    assert_eq!(
        code(add(&cand("output/data.arrow"), FileType::Output)),
        "invalid_file_type"
    );
    let err = add(&cand("output/a.csv"), FileType::Supporting).expect_err("already on request");
    assert_eq!(err.code(), "file_already_on_request");
    assert!(err.message().contains("OUTPUT") && err.message().contains("default"));
    let mut released = cand("output/r.csv");
    released.released = true;
    assert_eq!(
        code(add(&released, FileType::Output)),
        "released_file_output"
    );
    assert!(add(&released, FileType::Supporting).is_ok());
}

#[test]
fn fil_4_batch_checks_role_and_status() {
    let rules = Rules::default();
    let c = cand("output/a.csv");
    for (user, expected) in [
        (outsider("o"), "permission_denied"),
        (checker("c"), "no_workspace_role"),
        (copilot("p"), "no_workspace_role"),
        (tech_support("t"), "no_workspace_role"),
    ] {
        let ctx = crate::context::Ctx::new(&user, &rules, t0());
        let got = add_file(
            &ctx,
            WS,
            None,
            "x",
            GroupTarget::Named("g"),
            &c,
            FileType::Output,
        );
        assert_eq!(code(got), expected, "{}", user.username);
    }
    let mut archived = author();
    if let Some(g) = archived.workspaces.get_mut(WS) {
        g.archived = true;
        g.project_details.ongoing = false;
    }
    let ctx = crate::context::Ctx::new(&archived, &rules, t0());
    let err = add_file(
        &ctx,
        WS,
        None,
        "x",
        GroupTarget::Named("g"),
        &c,
        FileType::Output,
    )
    .expect_err("archived");
    assert_eq!(err.code(), "workspace_archived");
    assert!(
        err.message().contains("not ongoing"),
        "ACC-2.3 names both: {}",
        err.message()
    );
    let under_review = request_in(Status::Submitted);
    let a = author();
    let ctx = crate::context::Ctx::new(&a, &rules, t0());
    let got = add_file(
        &ctx,
        WS,
        Some(&under_review),
        "x",
        GroupTarget::Named("g"),
        &cand("output/z.csv"),
        FileType::Output,
    );
    assert_eq!(code(got), "request_not_editable", "ONE-4");
}

#[test]
fn grp_2_group_names() {
    use super::file::normalise_group_name;
    assert_eq!(
        normalise_group_name("  Tables ").ok().as_deref(),
        Some("tables")
    );
    for bad in [
        "",
        "   ",
        ".",
        "..",
        "a/b",
        "a\\b",
        "a\u{7}b",
        &"x".repeat(101),
    ] {
        assert_eq!(
            normalise_group_name(bad).map_err(|e| e.code()),
            Err("invalid_group_name"),
            "{bad:?}"
        );
    }
    let w = pending_world(&["output/a.csv"], 2);
    let a = author();
    let rules = Rules::default();
    let ctx = crate::context::Ctx::new(&a, &rules, t0());
    let got = add_file(
        &ctx,
        WS,
        Some(&w.state),
        "x",
        GroupTarget::New("DEFAULT"),
        &cand("output/b.csv"),
        FileType::Output,
    );
    assert_eq!(code(got), "group_exists");
}

#[test]
fn grp_2_a_batch_that_created_its_new_group_continues_into_it() {
    let a = author();
    let rules = Rules::default();
    let ctx = crate::context::Ctx::new(&a, &rules, at(1));
    let batch = Action::AddFiles {
        group: GroupChoice::New("Tables".into()),
        files: vec![
            NewFile {
                path: "output/a.csv".into(),
                filetype: FileType::Output,
            },
            NewFile {
                path: "output/b.csv".into(),
                filetype: FileType::Output,
            },
        ],
    };
    let facts = |part: usize, batch_group: Option<&str>| Facts {
        fresh_id: "01REQUEST00000000000000000".into(),
        candidate: Some(cand(["output/a.csv", "output/b.csv"][part])),
        part,
        batch_group: batch_group.map(str::to_string),
    };
    let subject = Subject::Current {
        workspace: WS,
        current: None,
    };
    let first = run(&ctx, subject, &batch, &facts(0, None)).expect("first part");
    let Answer::Added { group_created, .. } = first.value().clone() else {
        panic!("an add answers Added");
    };
    assert_eq!(
        group_created.as_deref(),
        Some("tables"),
        "normalised (GRP-2)"
    );
    let mut w = World::new(empty_request("placeholder"), rules.clone());
    w.apply(first.effects());
    let current = Subject::Current {
        workspace: WS,
        current: Some(&w.state),
    };
    // Without the batch's memory, the new name now exists: group_exists.
    assert_eq!(
        code(run(&ctx, current, &batch, &facts(1, None))),
        "group_exists"
    );
    let second = run(&ctx, current, &batch, &facts(1, group_created.as_deref())).expect("joins");
    let Answer::Added { group_created, .. } = second.value() else {
        panic!("an add answers Added");
    };
    assert_eq!(
        group_created, &None,
        "the group was created by the first part"
    );
    w.apply(second.effects());
    assert_eq!(
        w.state
            .files
            .iter()
            .map(|f| f.group.as_str())
            .collect::<Vec<_>>(),
        ["tables", "tables"]
    );
}

#[test]
fn ws_5_a_path_in_a_missing_workspace_is_not_shown_and_not_released() {
    let gone = AddCandidate::in_missing_workspace("output/a.csv");
    assert!(!gone.shown && !gone.released && gone.output.is_none());
    // FIL-10: a file whose workspace is gone may still be retyped to OUTPUT.
    let mut w = pending_world(&["output/a.csv"], 2);
    w.act_rule(&author(), |ctx, s| {
        change_properties(
            ctx,
            s,
            "output/a.csv",
            None,
            Some(FileType::Supporting),
            false,
        )
    })
    .expect("retype");
    let retype = Action::ChangeFile {
        path: "output/a.csv".into(),
        group: None,
        filetype: Some(FileType::Output),
    };
    let facts = Facts {
        candidate: Some(gone),
        ..Facts::default()
    };
    w.act_with(&author(), &retype, &facts)
        .expect("not released: allowed");
    // FIL-4 step 5: nothing of it can be added.
    let add = Action::AddFiles {
        group: GroupChoice::Named("default".into()),
        files: vec![NewFile {
            path: "output/z.csv".into(),
            filetype: FileType::Output,
        }],
    };
    let facts = Facts {
        candidate: Some(AddCandidate::in_missing_workspace("output/z.csv")),
        ..Facts::default()
    };
    assert_eq!(code(w.act_with(&author(), &add, &facts)), "not_found");
}

#[test]
fn sub_1_submission_checks_in_order() {
    let a = author();
    let mut w = pending_world(&["output/a.csv"], 2);
    w.act_rule(&a, |ctx, s| {
        change_properties(
            ctx,
            s,
            "output/a.csv",
            None,
            Some(FileType::Supporting),
            false,
        )
    })
    .expect("retype");
    assert_eq!(code(w.act_rule(&a, submit)), "no_output_files");
    w.act_rule(&a, |ctx, s| {
        change_properties(ctx, s, "output/a.csv", None, Some(FileType::Output), false)
    })
    .expect("retype");
    let rules = Rules::default();
    let ctx = crate::context::Ctx::new(&a, &rules, t0());
    let out = add_file(
        &ctx,
        WS,
        Some(&w.state),
        "x",
        GroupTarget::Named("zeta"),
        &cand("output/z.csv"),
        FileType::Output,
    )
    .expect("add");
    w.apply(&out.effects);
    let out = add_file(
        &ctx,
        WS,
        Some(&w.state),
        "x",
        GroupTarget::Named("alpha"),
        &cand("output/y.csv"),
        FileType::Output,
    )
    .expect("add");
    w.apply(&out.effects);
    let err = w.act_rule(&a, submit).expect_err("incomplete");
    assert_eq!(err.code(), "incomplete_groups");
    assert!(err.message().contains("alpha, zeta"), "{}", err.message());
    assert_eq!(
        code(w.act_rule(&researcher("other"), submit)),
        "permission_denied"
    );
}

#[test]
fn sub_2_submit_starts_turn_1_and_notifies() {
    let mut w = pending_world(&["output/a.csv"], 2);
    w.act_rule(&author(), submit).expect("submit");
    assert_eq!(w.status(), Status::Submitted);
    assert_eq!(w.state.request.review_turn, 1);
    assert!(w.state.request.last_submitted_at.is_some());
    assert_eq!(
        w.notifications.last().map(|n| n.event_type),
        Some(EventType::RequestSubmitted)
    );
    let submit_entry = w.audit.last().expect("audit");
    assert_eq!(submit_entry.entry.kind, AuditType::RequestSubmit);
    assert_eq!(
        submit_entry.turn(),
        0,
        "ST-6 then TRN-3: the entry carries the author turn"
    );
}

#[test]
fn d_d_submit_refused_for_archived_workspace_but_withdraw_allowed() {
    let mut w = pending_world(&["output/a.csv"], 2);
    let mut a = author();
    if let Some(g) = a.workspaces.get_mut(WS) {
        g.archived = true;
    }
    assert_eq!(code(w.act_rule(&a, submit)), "workspace_archived");
    let mut lost_role = User::new(AUTHOR).readonly();
    lost_role.fullname = None;
    w.act_rule(&lost_role, withdraw_request)
        .expect("SUB-4: withdraw without role");
    assert_eq!(w.status(), Status::Withdrawn);
}

#[test]
fn rev_10_11_reviews_move_the_status_with_n_3() {
    let mut w = pending_world(&["output/a.csv", "output/b.csv"], 3);
    w.act_rule(&author(), submit).expect("submit");
    let (c1, c2, c3, c4) = (checker("c1"), checker("c2"), checker("c3"), checker("c4"));
    assert_eq!(
        code(w.act_rule(&c1, submit_review)),
        "not_all_files_reviewed"
    );
    w.act_rule(&c1, |ctx, s| {
        vote(ctx, s, "output/a.csv", VoteStatus::ChangesRequested)
    })
    .expect("vote");
    w.act_rule(&c1, |ctx, s| {
        vote(ctx, s, "output/b.csv", VoteStatus::Approved)
    })
    .expect("vote");
    let err = w.act_rule(&c1, submit_review).expect_err("needs comment");
    assert_eq!(err.code(), "missing_review_comments");
    w.act_rule(&c1, |ctx, s| {
        vote(ctx, s, "output/a.csv", VoteStatus::Approved)
    })
    .expect("vote");
    assert_eq!(w.act_rule(&c1, submit_review).ok(), Some(1));
    assert_eq!(w.status(), Status::PartiallyReviewed);
    assert_eq!(
        code(w.act_rule(&c1, submit_review)),
        "review_already_submitted"
    );
    review_all(&mut w, &c2, VoteStatus::Approved);
    assert_eq!(
        w.status(),
        Status::PartiallyReviewed,
        "N = 3: two reviews are not enough"
    );
    review_all(&mut w, &c3, VoteStatus::Approved);
    assert_eq!(w.status(), Status::Reviewed);
    review_all(&mut w, &c4, VoteStatus::Approved);
    assert_eq!(
        w.status(),
        Status::Reviewed,
        "REV-11: a review beyond the N-th changes nothing"
    );
    assert_eq!(w.state.request.submitted_reviews.len(), 4);
    let reviews = w
        .audit
        .iter()
        .filter(|e| e.entry.kind == AuditType::RequestReview)
        .count();
    assert_eq!(reviews, 4, "every review submission is audited");
    let events: Vec<_> = w.notifications.iter().map(|n| n.event_type).collect();
    assert_eq!(
        events,
        [
            EventType::RequestSubmitted,
            EventType::RequestPartiallyReviewed,
            EventType::RequestReviewed
        ]
    );
}

#[test]
fn rev_2_3_vote_checks() {
    let mut w = pending_world(&["output/a.csv"], 2);
    let c1 = checker("c1");
    assert_eq!(
        code(w.act_rule(&c1, |ctx, s| vote(
            ctx,
            s,
            "output/a.csv",
            VoteStatus::Approved
        ))),
        "not_under_review"
    );
    assert_eq!(
        code(w.act_rule(&author(), |ctx, s| vote(
            ctx,
            s,
            "output/a.csv",
            VoteStatus::Approved
        ))),
        "permission_denied"
    );
    w.act_rule(&author(), submit).expect("submit");
    assert_eq!(
        code(w.act_rule(&c1, |ctx, s| vote(
            ctx,
            s,
            "output/nope.csv",
            VoteStatus::Approved
        ))),
        "not_output_file"
    );
    assert_eq!(
        code(w.act_rule(&c1, |ctx, s| reset_vote(ctx, s, "output/a.csv"))),
        "vote_not_found"
    );
    w.act_rule(&c1, |ctx, s| {
        vote(ctx, s, "output/a.csv", VoteStatus::Approved)
    })
    .expect("vote");
    w.act_rule(&c1, |ctx, s| {
        vote(ctx, s, "output/a.csv", VoteStatus::Approved)
    })
    .expect("repeat allowed");
    w.act_rule(&c1, |ctx, s| reset_vote(ctx, s, "output/a.csv"))
        .expect("reset");
    assert!(w.state.votes.is_empty());
    w.act_rule(&c1, |ctx, s| {
        vote(ctx, s, "output/a.csv", VoteStatus::Approved)
    })
    .expect("vote");
    w.act_rule(&c1, submit_review).expect("review");
    assert_eq!(
        code(w.act_rule(&c1, |ctx, s| reset_vote(ctx, s, "output/a.csv"))),
        "review_already_submitted"
    );
    w.act_rule(&c1, |ctx, s| {
        vote(ctx, s, "output/a.csv", VoteStatus::ChangesRequested)
    })
    .expect("REV-2: change after submit");
}

#[test]
fn rev_5_group_actions_report_counts() {
    let mut w = pending_world(&["output/a.csv", "output/b.csv", "output/c.csv"], 2);
    w.act_rule(&author(), submit).expect("submit");
    let c1 = checker("c1");
    w.act_rule(&c1, |ctx, s| {
        vote(ctx, s, "output/a.csv", VoteStatus::Approved)
    })
    .expect("vote");
    let counts = w
        .act_rule(&c1, |ctx, s| group_request_changes(ctx, s, "default"))
        .expect("group");
    assert_eq!(
        (
            counts.changed,
            counts.already_approved,
            counts.already_changes_requested
        ),
        (2, 1, 0)
    );
    let counts = w
        .act_rule(&c1, |ctx, s| group_reset_votes(ctx, s, "default"))
        .expect("reset");
    assert_eq!(counts.changed, 3);
    let counts = w
        .act_rule(&c1, |ctx, s| group_reset_votes(ctx, s, "default"))
        .expect("reset");
    assert_eq!(counts.changed, 0, "No votes to reset");
    assert_eq!(
        code(w.act_rule(&c1, |ctx, s| group_reset_votes(ctx, s, "nope"))),
        "not_found"
    );
}

fn submitted_and_reviewed(n: usize, votes: [VoteStatus; 2]) -> World {
    let mut w = pending_world(&["output/a.csv"], n);
    w.act_rule(&author(), submit).expect("submit");
    review_all(&mut w, &checker("c1"), votes[0]);
    review_all(&mut w, &checker("c2"), votes[1]);
    w
}

#[test]
fn rel_1_4_release_then_uploads_complete() {
    let mut w = submitted_and_reviewed(2, [VoteStatus::Approved, VoteStatus::Approved]);
    assert_eq!(w.status(), Status::Reviewed);
    assert_eq!(
        code(w.act_rule(&author(), commit_release)),
        "permission_denied"
    );
    let c1 = checker("c1");
    let files: Vec<String> = {
        let rules = Rules::default();
        let ctx = crate::context::Ctx::new(&c1, &rules, t0());
        check_release(&ctx, &w.state)
            .expect("check")
            .iter()
            .map(|f| f.relpath.clone())
            .collect()
    };
    assert_eq!(files, ["output/a.csv"]);
    assert_eq!(w.act_rule(&c1, commit_release).ok(), Some(1));
    assert_eq!(w.status(), Status::Approved);
    let approved = w.notifications.last().expect("notification");
    assert_eq!(approved.event_type, EventType::RequestApproved);
    assert_eq!(
        approved
            .updates
            .as_ref()
            .map(|u| u[0].update.clone())
            .as_deref(),
        Some("1 file will be uploaded")
    );
    let released_by = w.state.files[0].upload.released_by.clone();
    assert_eq!(released_by.as_deref(), Some("c1"));
    // REL-5: a re-trigger needs a reviewer and changes no status, keeps released_by.
    let before = w.notifications.len();
    w.act_rule(&checker("c2"), commit_release)
        .expect("re-trigger");
    assert_eq!(w.status(), Status::Approved);
    assert_eq!(w.notifications.len(), before);
    assert_eq!(w.state.files[0].upload.released_by, released_by);
    // UPL-2 to UPL-5.
    assert!(complete_if_uploaded(&w.state, at(100)).is_none());
    let out = claim_upload(&w.state, "output/a.csv", at(100), at(400))
        .expect("released")
        .expect("due");
    w.apply(&out.effects);
    // UPL-2: the claim holds the file until the attempt's outcome or the claim's end.
    assert_eq!(w.state.files[0].upload.upload_attempts, 1);
    assert!(
        claim_upload(&w.state, "output/a.csv", at(399), at(700))
            .expect("released")
            .is_none(),
        "a claimed file is not due again before the claim ends"
    );
    let out = upload_failed(&w.state, "output/a.csv", at(100), "500", &w.rules, 0.5).expect("fail");
    w.apply(&out.effects);
    let next = w.state.files[0].upload.upload_next_attempt_at.expect("due");
    assert!(
        next > at(100) && next <= at(130),
        "UPL-4: first delay within [24 s, 30 s]"
    );
    let out = upload_succeeded(&w.state, "output/a.csv", at(200)).expect("ok");
    w.apply(&out.effects);
    let out = complete_if_uploaded(&w.state, at(201)).expect("complete");
    w.apply(&out.effects);
    assert_eq!(w.status(), Status::Released);
    let last = w.audit.last().expect("audit");
    assert_eq!(
        (last.entry.kind, last.entry.user.as_str()),
        (AuditType::RequestRelease, "c1")
    );
}

#[test]
fn rel_1_not_all_files_approved() {
    let mut w = submitted_and_reviewed(2, [VoteStatus::Approved, VoteStatus::ChangesRequested]);
    assert_eq!(
        code(w.act_rule(&checker("c1"), commit_release)),
        "not_all_files_approved"
    );
    assert_eq!(
        code(w.act_rule(&checker("c3"), |ctx, s| vote(
            ctx,
            s,
            "output/nope",
            VoteStatus::Approved
        ))),
        "not_output_file"
    );
    // A third checker settles the conflict (REV-6 rule 2).
    review_all(&mut w, &checker("c3"), VoteStatus::Approved);
    assert_eq!(w.act_rule(&checker("c1"), commit_release).ok(), Some(1));
}

#[test]
fn ret_2_return_from_reviewed_needs_public_comments() {
    let mut w = submitted_and_reviewed(
        2,
        [VoteStatus::ChangesRequested, VoteStatus::ChangesRequested],
    );
    let c1 = checker("c1");
    let err = w
        .act_rule(&c1, return_request)
        .expect_err("needs public comment");
    assert_eq!(err.code(), "missing_public_comments");
    assert!(err.message().contains("default"));
    w.act_rule(&c1, |ctx, s| {
        create_comment(
            ctx,
            s,
            &NewComment {
                id: "pub",
                group: "default",
                text: "fix",
                visibility: Some(Visibility::Public),
                file: None,
            },
        )
    })
    .expect("comment");
    assert_eq!(w.act_rule(&c1, return_request).ok(), Some(false));
    assert_eq!(w.status(), Status::Returned);
    assert_eq!(w.state.request.review_turn, 2);
    assert_eq!(w.state.request.turn_reviewers.len(), 2, "RET-4 / TRN-3");
    assert_eq!(w.state.votes.len(), 2, "RET-4 leaves votes");
    // PCR-1 in RETURNED: the author must comment publicly before resubmitting.
    let a = author();
    assert_eq!(code(w.act_rule(&a, submit)), "missing_public_comments");
    w.act_rule(&a, |ctx, s| {
        create_comment(
            ctx,
            s,
            &NewComment {
                id: "reply",
                group: "default",
                text: "fixed",
                visibility: None,
                file: None,
            },
        )
    })
    .expect("author comment");
    w.act_rule(&a, submit).expect("resubmit");
    assert!(
        w.state
            .votes
            .iter()
            .all(|v| v.status == VoteStatus::Undecided && v.review_turn == 2),
        "SUB-3"
    );
    assert_eq!(
        w.notifications.last().map(|n| n.event_type),
        Some(EventType::RequestResubmitted)
    );
    assert_eq!(w.state.request.review_turn, 3);
    assert!(w.state.request.turn_reviewers.is_empty(), "TRN-5");
}

#[test]
fn sub_3_resubmission_keeps_approvals() {
    let mut w = submitted_and_reviewed(2, [VoteStatus::Approved, VoteStatus::ChangesRequested]);
    let c1 = checker("c1");
    w.act_rule(&c1, |ctx, s| {
        create_comment(
            ctx,
            s,
            &NewComment {
                id: "p",
                group: "default",
                text: "x",
                visibility: Some(Visibility::Public),
                file: None,
            },
        )
    })
    .expect("comment");
    w.act_rule(&c1, return_request).expect("return");
    let a = author();
    w.act_rule(&a, |ctx, s| {
        create_comment(
            ctx,
            s,
            &NewComment {
                id: "r",
                group: "default",
                text: "ok",
                visibility: None,
                file: None,
            },
        )
    })
    .expect("reply");
    w.act_rule(&a, submit).expect("resubmit");
    let approved = w.state.vote_of("output/a.csv", "c1").expect("kept");
    assert_eq!(
        (approved.status, approved.review_turn),
        (VoteStatus::Approved, 1)
    );
    let undecided = w.state.vote_of("output/a.csv", "c2").expect("kept");
    assert_eq!(
        (undecided.status, undecided.review_turn),
        (VoteStatus::Undecided, 2)
    );
    let entry = w
        .audit
        .iter()
        .find(|e| e.entry.kind == AuditType::RequestFileUndecided)
        .expect("audit");
    assert_eq!(
        (
            entry.entry.user.as_str(),
            entry.entry.extra.get("reviewer").map(String::as_str)
        ),
        (AUTHOR, Some("c2"))
    );
}

#[test]
fn ret_3_early_return_resets_the_turn() {
    let mut w = pending_world(&["output/a.csv", "output/b.csv"], 2);
    w.act_rule(&author(), submit).expect("submit");
    let (c1, c2) = (checker("c1"), checker("c2"));
    review_all(&mut w, &c1, VoteStatus::ChangesRequested);
    w.act_rule(&c2, |ctx, s| {
        vote(ctx, s, "output/a.csv", VoteStatus::Approved)
    })
    .expect("vote");
    w.act_rule(&c2, |ctx, s| {
        create_comment(
            ctx,
            s,
            &NewComment {
                id: "c2c",
                group: "default",
                text: "hm",
                visibility: None,
                file: None,
            },
        )
    })
    .expect("comment");
    assert_eq!(w.act_rule(&c2, return_request).ok(), Some(true));
    assert_eq!(w.status(), Status::Returned);
    assert!(
        w.state
            .votes
            .iter()
            .all(|v| v.reviewer == "c1" && v.status == VoteStatus::Undecided),
        "{:?}",
        w.state.votes
    );
    assert!(w.state.comments.is_empty());
    let visible: Vec<_> = w
        .audit
        .iter()
        .filter(|e| !e.hidden && e.turn() == 1)
        .map(|e| e.entry.kind)
        .collect();
    assert_eq!(
        visible,
        [AuditType::RequestEarlyReturn, AuditType::RequestReturn]
    );
    let deletes: Vec<_> = w
        .audit
        .iter()
        .filter(|e| e.entry.kind == AuditType::RequestCommentDelete)
        .map(|e| e.entry.user.clone())
        .collect();
    assert_eq!(deletes, ["c1", "c2"], "attributed to each comment's author");
    assert!(
        crate::decision::groups_missing_public_comment(&w.state, 2).is_empty(),
        "PCR-1.3"
    );
    w.act_rule(&author(), submit)
        .expect("resubmit needs no comment after an early return");
}

#[test]
fn rej_1_and_final_statuses_refuse_everything() {
    let mut w = submitted_and_reviewed(2, [VoteStatus::ChangesRequested, VoteStatus::Approved]);
    w.act_rule(&checker("c1"), reject).expect("reject");
    assert_eq!(w.status(), Status::Rejected);
    assert_eq!(code(w.act_rule(&author(), submit)), "invalid_transition");
    assert_eq!(
        code(w.act_rule(&author(), withdraw_request)),
        "invalid_transition"
    );
    assert_eq!(
        code(w.act_rule(&checker("c1"), return_request)),
        "invalid_transition"
    );
    assert_eq!(
        code(w.act_rule(&checker("c1"), |ctx, s| create_comment(
            ctx,
            s,
            &NewComment {
                id: "x",
                group: "default",
                text: "x",
                visibility: None,
                file: None
            }
        ))),
        "permission_denied"
    );
}

#[test]
fn com_2_to_5_comments() {
    let mut w = pending_world(&["output/a.csv"], 2);
    let new = |id: &'static str, v: Option<Visibility>| NewComment {
        id,
        group: "default",
        text: "t",
        visibility: v,
        file: None,
    };
    for user in [copilot("p"), tech_support("t"), checker("c")] {
        assert_eq!(
            code(w.act_rule(&user, |ctx, s| create_comment(ctx, s, &new("x", None)))),
            "permission_denied",
            "D-a"
        );
    }
    let collaborator = collaborating_checker("cc");
    w.act_rule(&collaborator, |ctx, s| {
        create_comment(ctx, s, &new("cc1", None))
    })
    .expect("collaborator in editable status");
    assert_eq!(
        code(w.act_rule(&author(), |ctx, s| create_comment(
            ctx,
            s,
            &new("x", Some(Visibility::Private))
        ))),
        "visibility_not_allowed"
    );
    assert_eq!(
        code(w.act_rule(&author(), |ctx, s| create_comment(
            ctx,
            s,
            &NewComment {
                text: "  ",
                ..new("x", None)
            }
        ))),
        "comment_empty"
    );
    assert_eq!(
        code(w.act_rule(&author(), |ctx, s| create_comment(
            ctx,
            s,
            &NewComment {
                group: "nope",
                ..new("x", None)
            }
        ))),
        "not_found"
    );
    let c = w
        .act_rule(&author(), |ctx, s| {
            create_comment(
                ctx,
                s,
                &NewComment {
                    file: Some("output/a.csv"),
                    ..new("f", None)
                },
            )
        })
        .expect("file comment");
    assert!(c.text.starts_with("File: [default/output/a.csv](/requests/view/01REQUEST00000000000000000/default/output/a.csv)\n"));
    w.act_rule(&author(), submit).expect("submit");
    let c1 = checker("c1");
    let private = w
        .act_rule(&c1, |ctx, s| create_comment(ctx, s, &new("p1", None)))
        .expect("reviewer");
    assert_eq!(
        private.visibility,
        Visibility::Private,
        "COM-2.2: PRIVATE is the default"
    );
    assert_eq!(
        code(w.act_rule(&checker("c2"), |ctx, s| delete_comment(
            ctx,
            s,
            Some("default"),
            "p1"
        ))),
        "not_found",
        "VIS-1: a blinded comment does not exist for another reviewer"
    );
    assert_eq!(
        code(w.act_rule(&c1, |ctx, s| delete_comment(ctx, s, Some("other"), "p1"))),
        "not_found"
    );
    w.act_rule(&c1, |ctx, s| {
        make_comment_public(ctx, s, Some("default"), "p1")
    })
    .expect("public");
    assert_eq!(
        code(w.act_rule(&c1, |ctx, s| make_comment_public(
            ctx,
            s,
            Some("default"),
            "p1"
        ))),
        "comment_already_public"
    );
    assert_eq!(
        code(w.act_rule(&author(), |ctx, s| delete_comment(
            ctx,
            s,
            Some("default"),
            "f"
        ))),
        "permission_denied",
        "COM-4: may no longer write"
    );
    w.act_rule(&c1, |ctx, s| create_comment(ctx, s, &new("p2", None)))
        .expect("reviewer");
    w.act_rule(&c1, |ctx, s| delete_comment(ctx, s, Some("default"), "p2"))
        .expect("delete");
    let deletion = w.audit.last().expect("audit");
    assert_eq!(
        deletion.entry.extra.get("visibility").map(String::as_str),
        Some("PRIVATE"),
        "D-b"
    );
}

#[test]
fn d_c_comments_close_with_their_turn() {
    let mut w = submitted_and_reviewed(
        2,
        [VoteStatus::ChangesRequested, VoteStatus::ChangesRequested],
    );
    let c1 = checker("c1");
    w.act_rule(&c1, |ctx, s| {
        create_comment(
            ctx,
            s,
            &NewComment {
                id: "pub",
                group: "default",
                text: "x",
                visibility: Some(Visibility::Public),
                file: None,
            },
        )
    })
    .expect("comment");
    w.act_rule(&c1, return_request).expect("return");
    let a = author();
    w.act_rule(&a, |ctx, s| {
        create_comment(
            ctx,
            s,
            &NewComment {
                id: "r",
                group: "default",
                text: "ok",
                visibility: None,
                file: None,
            },
        )
    })
    .expect("reply");
    w.act_rule(&a, submit).expect("resubmit");
    assert_eq!(
        code(w.act_rule(&c1, |ctx, s| delete_comment(ctx, s, Some("default"), "pub"))),
        "comment_turn_closed"
    );
    assert_eq!(
        code(w.act_rule(&checker("c2"), |ctx, s| delete_comment(ctx, s, None, "pub"))),
        "permission_denied",
        "COM-4: a comment the reviewer can see but did not write"
    );
}

#[test]
fn fil_7_to_10_file_changes_reset_votes() {
    let mut w = submitted_and_reviewed(2, [VoteStatus::ChangesRequested, VoteStatus::Approved]);
    let c1 = checker("c1");
    w.act_rule(&c1, |ctx, s| {
        create_comment(
            ctx,
            s,
            &NewComment {
                id: "pub",
                group: "default",
                text: "x",
                visibility: Some(Visibility::Public),
                file: None,
            },
        )
    })
    .expect("comment");
    w.act_rule(&c1, return_request).expect("return");
    let a = author();
    // FIL-7.
    let same = cand("output/a.csv");
    assert_eq!(
        code(w.act_rule(&a, |ctx, s| update_file(ctx, s, &same))),
        "file_unchanged"
    );
    let mut gone = cand("output/a.csv");
    gone.shown = false;
    assert_eq!(
        code(w.act_rule(&a, |ctx, s| update_file(ctx, s, &gone))),
        "file_no_longer_valid"
    );
    let mut changed = cand("output/a.csv");
    changed.content_hash = Some(fake_hash("new content"));
    w.act_rule(&a, |ctx, s| update_file(ctx, s, &changed))
        .expect("update");
    assert!(w.state.votes.is_empty(), "FIL-11: update deletes votes");
    assert_eq!(w.state.files[0].file_id, fake_hash("new content"));
    let kinds: Vec<_> = w.audit.iter().rev().take(4).map(|e| e.entry.kind).collect();
    assert_eq!(
        kinds,
        [
            AuditType::RequestFileUpdate,
            AuditType::RequestFileWithdraw,
            AuditType::RequestFileResetReview,
            AuditType::RequestFileResetReview
        ]
    );
    // FIL-8 in RETURNED retypes; FIL-10 refuses withdrawn files.
    w.act_rule(&a, |ctx, s| withdraw_file(ctx, s, "output/a.csv"))
        .expect("withdraw");
    assert_eq!(w.state.files[0].filetype, FileType::Withdrawn);
    assert_eq!(
        code(w.act_rule(&a, |ctx, s| withdraw_file(ctx, s, "output/a.csv"))),
        "file_already_withdrawn"
    );
    assert_eq!(
        code(w.act_rule(&a, |ctx, s| change_properties(
            ctx,
            s,
            "output/a.csv",
            Some(GroupTarget::Named("g2")),
            None,
            false
        ))),
        "file_withdrawn"
    );
    // FIL-9 re-add.
    let rules = Rules::default();
    let ctx = crate::context::Ctx::new(&a, &rules, at(999));
    let out = add_file(
        &ctx,
        WS,
        Some(&w.state),
        "x",
        GroupTarget::Named("g2"),
        &cand("output/a.csv"),
        FileType::Output,
    )
    .expect("re-add");
    w.apply(&out.effects);
    assert_eq!(
        (w.state.files[0].filetype, w.state.files[0].group.as_str()),
        (FileType::Output, "g2")
    );
    assert_eq!(
        code(w.act_rule(&a, |ctx, s| change_properties(
            ctx,
            s,
            "output/a.csv",
            Some(GroupTarget::Named("G2")),
            None,
            false
        ))),
        "no_changes"
    );
    w.act_rule(&a, |ctx, s| {
        change_properties(
            ctx,
            s,
            "output/a.csv",
            None,
            Some(FileType::Supporting),
            false,
        )
    })
    .expect("retype");
    assert_eq!(w.state.files[0].filetype, FileType::Supporting);
    assert_eq!(
        code(w.act_rule(&a, |ctx, s| change_properties(
            ctx,
            s,
            "output/a.csv",
            None,
            Some(FileType::Output),
            true
        ))),
        "released_file_output"
    );
    // FIL-0: others cannot change files.
    assert_eq!(
        code(w.act_rule(&researcher("r2"), |ctx, s| withdraw_file(
            ctx,
            s,
            "output/a.csv"
        ))),
        "permission_denied"
    );
    assert_eq!(
        code(w.act_rule(&a, |ctx, s| withdraw_file(ctx, s, "output/none.csv"))),
        "not_found"
    );
}

#[test]
fn grp_3_edit_group() {
    let mut w = pending_world(&["output/a.csv"], 2);
    let a = author();
    assert_eq!(
        code(w.act_rule(&a, |ctx, s| edit_group(ctx, s, "default", "ctx", "ctl"))),
        "no_changes"
    );
    assert_eq!(
        code(w.act_rule(&a, |ctx, s| edit_group(ctx, s, "nope", "a", "b"))),
        "not_found"
    );
    w.act_rule(&a, |ctx, s| edit_group(ctx, s, "Default", "new", "ctl"))
        .expect("edit");
    assert_eq!(w.state.groups[0].context, "new");
}

#[test]
fn ops_1_force_status() {
    let mut w = pending_world(&["output/a.csv"], 2);
    let op = User::new("operator");
    assert_eq!(
        code(w.act_rule(&op, |ctx, s| force_status(ctx, s, Status::Approved))),
        "bad_request"
    );
    w.act_rule(&op, |ctx, s| force_status(ctx, s, Status::Rejected))
        .expect("force");
    assert_eq!(w.status(), Status::Rejected);
    let last = w.audit.last().expect("audit");
    assert_eq!(
        last.entry.extra.get("automated_action").map(String::as_str),
        Some("true")
    );
    assert_eq!(
        code(w.act_rule(&op, |ctx, s| force_status(ctx, s, Status::Withdrawn))),
        "invalid_transition",
        "D-n"
    );
}

#[test]
fn rev_7_decisions_shown_per_phase() {
    let mut w = pending_world(&["output/a.csv"], 2);
    w.act_rule(&author(), submit).expect("submit");
    review_all(&mut w, &checker("c1"), VoteStatus::Approved);
    let shown =
        |w: &World, u: &User| crate::decision::shown_decisions(u, &w.state, 2)["output/a.csv"];
    assert_eq!(
        shown(&w, &checker("c1")),
        Decision::Incomplete,
        "INDEPENDENT"
    );
    review_all(&mut w, &checker("c2"), VoteStatus::ChangesRequested);
    assert_eq!(
        shown(&w, &checker("c3")),
        Decision::Conflicted,
        "CONSOLIDATING, reviewer"
    );
    assert_eq!(
        shown(&w, &author()),
        Decision::Incomplete,
        "CONSOLIDATING, author"
    );
    w.act_rule(&checker("c1"), |ctx, s| {
        create_comment(
            ctx,
            s,
            &NewComment {
                id: "p",
                group: "default",
                text: "x",
                visibility: Some(Visibility::Public),
                file: None,
            },
        )
    })
    .expect("comment");
    w.act_rule(&checker("c1"), return_request).expect("return");
    assert_eq!(
        shown(&w, &author()),
        Decision::ChangesRequested,
        "AUTHOR phase, conflict masked"
    );
    assert_eq!(shown(&w, &checker("c3")), Decision::Conflicted);
}

fn approved_world(paths: &[&str]) -> World {
    let mut w = pending_world(paths, 2);
    w.act_rule(&author(), submit).expect("submit");
    review_all(&mut w, &checker("c1"), VoteStatus::Approved);
    review_all(&mut w, &checker("c2"), VoteStatus::Approved);
    w.act_rule(&checker("c1"), commit_release).expect("release");
    w
}

#[test]
fn upl_1_due_files_are_released_outputs_of_approved_requests() {
    let mut w = approved_world(&["output/b.csv", "output/a.csv"]);
    let due: Vec<&str> = due_uploads(&w.state, at(100))
        .iter()
        .map(|f| f.relpath.as_str())
        .collect();
    assert_eq!(due, ["output/a.csv", "output/b.csv"], "in path order");
    // Claimed: not due again until the claim ends.
    let out = claim_upload(&w.state, "output/a.csv", at(100), at(160))
        .expect("released")
        .expect("due");
    w.apply(&out.effects);
    assert_eq!(due_uploads(&w.state, at(159)).len(), 1);
    assert_eq!(due_uploads(&w.state, at(160)).len(), 2);
    // Uploaded: never due again.
    let out = upload_succeeded(&w.state, "output/a.csv", at(101)).expect("ok");
    w.apply(&out.effects);
    assert!(
        due_uploads(&w.state, at(10_000))
            .iter()
            .all(|f| f.relpath == "output/b.csv")
    );
    assert!(
        claim_upload(&w.state, "output/a.csv", at(10_000), at(10_060))
            .expect("released")
            .is_none()
    );
    // A path that is no released output is not found, whatever the time.
    assert_eq!(
        code(claim_upload(&w.state, "output/nope.csv", at(100), at(101))),
        "not_found"
    );
}

#[test]
fn upl_1_nothing_is_due_unless_approved() {
    let w = submitted_and_reviewed(2, [VoteStatus::Approved, VoteStatus::Approved]);
    assert!(due_uploads(&w.state, at(1_000_000)).is_empty(), "REVIEWED");
    let mut w = approved_world(&["output/a.csv"]);
    let out = upload_succeeded(&w.state, "output/a.csv", at(101)).expect("ok");
    w.apply(&out.effects);
    let out = complete_if_uploaded(&w.state, at(102)).expect("complete");
    w.apply(&out.effects);
    assert_eq!(w.status(), Status::Released);
    assert!(due_uploads(&w.state, at(1_000_000)).is_empty(), "RELEASED");
}

#[test]
fn upl_7_stuck_after_the_configured_attempts_and_blocked_files_at_once() {
    let rules = Rules {
        upload_stuck_after: 3,
        ..Rules::default()
    };
    let mut w = approved_world(&["output/a.csv", "output/b.csv"]);
    for k in 0..3 {
        let now = at(100 + 10_000 * k);
        let out = claim_upload(&w.state, "output/a.csv", now, now)
            .expect("released")
            .expect("due");
        w.apply(&out.effects);
        let out = upload_failed(&w.state, "output/a.csv", now, "503", &rules, 0.0).expect("fail");
        w.apply(&out.effects);
        let progress = upload_progress(&w.state, &rules);
        assert_eq!(
            progress.stuck.len(),
            usize::from(k == 2),
            "attempt {}",
            k + 1
        );
    }
    // A blob that changed on disk: stuck at once, retried at the cap.
    let out = upload_blocked(&w.state, "output/b.csv", at(105), "blob changed", &rules).expect("b");
    w.apply(&out.effects);
    let b = w.state.file("output/b.csv").expect("b");
    assert!(is_stuck(b, &rules));
    assert_eq!(b.upload.upload_last_error.as_deref(), Some("blob changed"));
    assert_eq!(b.upload.upload_next_attempt_at, Some(at(105 + 3600)));
    assert_eq!(
        upload_progress(&w.state, &rules),
        UploadProgress {
            uploaded: 0,
            released: 2,
            stuck: vec!["output/a.csv".into(), "output/b.csv".into()],
        }
    );
    let out = upload_succeeded(&w.state, "output/b.csv", at(106)).expect("ok");
    w.apply(&out.effects);
    let progress = upload_progress(&w.state, &rules);
    assert_eq!((progress.uploaded, progress.stuck.len()), (1, 1));
}

#[test]
fn rel_2_release_body_is_exactly_api_17() {
    let mut a = crate::testing::file("output\\b.csv", "g", FileType::Output);
    a.file_id = "ab".repeat(32);
    let b = crate::testing::file("output/a.csv", "g", FileType::Output);
    let body = release_body(
        "01REQ",
        &[
            ReleaseFile {
                file: &a,
                size: 7,
                modified: at(0) + chrono::Duration::microseconds(120_391),
            },
            ReleaseFile {
                file: &b,
                size: 12,
                modified: at(1),
            },
        ],
    );
    let expected = serde_json::json!({
        "files": [
            {"name": "output/a.csv", "url": "output/a.csv", "size": 12, "sha256": b.file_id,
             "date": at(1).to_rfc3339_opts(chrono::SecondsFormat::Micros, false),
             "metadata": {"tool": "airlock", "airlock_id": "01REQ"}, "review": null},
            {"name": "output/b.csv", "url": "output/b.csv", "size": 7, "sha256": "ab".repeat(32),
             "date": (at(0) + chrono::Duration::microseconds(120_391))
                 .to_rfc3339_opts(chrono::SecondsFormat::Micros, false),
             "metadata": {"tool": "airlock", "airlock_id": "01REQ"}, "review": null},
        ],
        "metadata": {"tool": "airlock", "airlock_id": "01REQ"},
        "review": null,
    });
    assert_eq!(body, expected);
    let date = body["files"][1]["date"].as_str().expect("date");
    assert!(date.ends_with(".120391+00:00"), "{date}");
}

#[test]
fn not_5_upl_4_a_failure_waits_the_backoff_and_keeps_a_short_error() {
    let rules = Rules::default();
    let long = "x".repeat(ERROR_CHARS + 50);
    let retry = retry_after_failure(1, at(0), &long, &rules, 0.0);
    assert_eq!(
        retry.next_attempt_at,
        at(30),
        "first failure: the base delay"
    );
    assert_eq!(retry.error.chars().count(), ERROR_CHARS);
    // An attempt count of 0 (never claimed) waits like the first failure.
    assert_eq!(
        retry_after_failure(0, at(0), "e", &rules, 0.0).next_attempt_at,
        at(30)
    );
    assert_eq!(
        retry_after_failure(3, at(0), "e", &rules, 0.0).next_attempt_at,
        at(120)
    );
    assert!(!stuck_after(rules.upload_stuck_after - 1, &rules));
    assert!(stuck_after(rules.upload_stuck_after, &rules));
}
