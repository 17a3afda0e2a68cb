//! §12 walk-through over three turns: who sees which vote, comment and audit entry in every
//! phase (VIS-1 to VIS-5, REV-7, AUD-6).

use airlock_core::action::{self, Action, AddCandidate, Facts, GroupChoice, NewFile, Subject};
use airlock_core::audit::AuditType;
use airlock_core::decision::shown_decisions;
use airlock_core::model::{Decision, FileType, OutputMeta, Visibility, VoteStatus};
use airlock_core::testing::*;
use airlock_core::visibility::{activity, comment_badge, visible_comments};
use airlock_core::{Rules, Status, User};

fn add(w: &mut World, path: &str) {
    let a = author();
    let candidate = AddCandidate {
        unreadable: None,
        relpath: path.into(),
        shown: true,
        output: Some(OutputMeta::default()),
        content_hash: Some(fake_hash(path)),
        released: false,
    };
    let current = (w.state.request.id != "none").then(|| w.state.clone());
    let rules = w.rules.clone();
    let ctx = airlock_core::Ctx::new(&a, &rules, at(0));
    let add = Action::AddFiles {
        group: GroupChoice::Named("g".into()),
        files: vec![NewFile {
            path: path.into(),
            filetype: FileType::Output,
        }],
    };
    let facts = Facts {
        fresh_id: "01VIS0000000000000000000000".into(),
        candidate: Some(candidate),
        ..Facts::default()
    };
    let subject = Subject::Current {
        workspace: WS,
        current: current.as_ref(),
    };
    let out = action::run(&ctx, subject, &add, &facts).expect("add");
    w.apply(out.effects());
}

fn comment(w: &mut World, user: &User, id: &str, visibility: Option<Visibility>) {
    let comment = Action::Comment {
        group: "g".into(),
        text: id.into(),
        visibility,
        file: None,
    };
    let facts = Facts {
        fresh_id: id.into(),
        ..Facts::default()
    };
    w.act_with(user, &comment, &facts).expect("comment");
}

/// Comment ids visible to `user`, sorted.
fn comments_seen(w: &World, user: &User) -> Vec<String> {
    let mut ids: Vec<String> = visible_comments(user, &w.state.request, &w.state.comments, "g")
        .iter()
        .map(|c| c.id.clone())
        .collect();
    ids.sort();
    ids
}

/// Activity entries visible to `user` from a given turn, as (type, writer), oldest first.
fn activity_seen(w: &World, user: &User, turn: i64) -> Vec<(AuditType, String)> {
    let mut seen: Vec<(AuditType, String)> = activity(user, &w.state.request, &w.audit, None)
        .into_iter()
        .filter(|e| e.turn() == turn)
        .map(|e| (e.entry.kind, e.entry.user.clone()))
        .collect();
    seen.reverse();
    seen
}

#[test]
fn vis_3_three_turns() {
    let mut w = World::new(empty_request("none"), Rules::default());
    add(&mut w, "output/a.csv");
    w.act(
        &author(),
        Action::EditGroup {
            group: "g".into(),
            context: "c".into(),
            controls: "c".into(),
        },
    )
    .expect("edit");
    comment(&mut w, &author(), "author-t0", None);
    w.act(&author(), Action::Submit).expect("submit");

    let (a, c1, c2, c3) = (author(), checker("c1"), checker("c2"), checker("c3"));
    let support = tech_support("support");

    // Turn 1, INDEPENDENT (VIS-3.1).
    w.act(
        &c1,
        Action::Vote {
            path: "output/a.csv".into(),
            vote: VoteStatus::ChangesRequested,
        },
    )
    .expect("vote");
    comment(&mut w, &c1, "c1-private", None);
    comment(&mut w, &c1, "c1-public", Some(Visibility::Public));
    w.act(&c1, Action::SubmitReview).expect("review");
    w.act(
        &c2,
        Action::Vote {
            path: "output/a.csv".into(),
            vote: VoteStatus::Approved,
        },
    )
    .expect("vote");
    comment(&mut w, &c2, "c2-private", None);
    assert_eq!(w.status(), Status::PartiallyReviewed);
    assert_eq!(
        comments_seen(&w, &c1),
        ["author-t0", "c1-private", "c1-public"]
    );
    assert_eq!(comments_seen(&w, &c2), ["author-t0", "c2-private"]);
    assert_eq!(
        comments_seen(&w, &a),
        ["author-t0"],
        "the author sees nothing of the current turn"
    );
    assert_eq!(comments_seen(&w, &support), ["author-t0"]);
    let own = activity_seen(&w, &c2, 1);
    assert!(
        own.iter().all(|(_, writer)| writer == "c2"),
        "each reviewer sees only their own: {own:?}"
    );
    assert!(activity_seen(&w, &a, 1).is_empty());
    let c1_comment = w.state.comment("c1-private").expect("comment").clone();
    assert_eq!(
        comment_badge(&w.state.request, &c1_comment),
        "Blinded",
        "VIS-4"
    );
    for user in [&a, &c1, &c2, &c3] {
        assert_eq!(
            shown_decisions(user, &w.state, 2)["output/a.csv"],
            Decision::Incomplete,
            "REV-7 INDEPENDENT"
        );
    }

    // Turn 1, CONSOLIDATING (VIS-3.2).
    w.act(&c2, Action::SubmitReview).expect("review");
    assert_eq!(w.status(), Status::Reviewed);
    assert_eq!(
        comments_seen(&w, &c1),
        ["author-t0", "c1-private", "c1-public", "c2-private"]
    );
    assert_eq!(
        comments_seen(&w, &c3),
        ["author-t0", "c1-private", "c1-public", "c2-private"],
        "any reviewer"
    );
    assert_eq!(comments_seen(&w, &a), ["author-t0"]);
    assert!(
        activity_seen(&w, &a, 1).is_empty(),
        "the author still sees nothing of the current turn"
    );
    assert_eq!(
        comment_badge(&w.state.request, &c1_comment),
        "Output-checkers only"
    );
    assert!(
        activity_seen(&w, &c3, 1)
            .iter()
            .any(|(t, who)| *t == AuditType::RequestFileApprove && who == "c2")
    );

    // Turn 2, AUTHOR after a return (VIS-3.3).
    w.act(&c1, Action::Return).expect("return");
    assert_eq!(w.state.request.review_turn, 2);
    assert_eq!(
        comments_seen(&w, &a),
        ["author-t0", "c1-public"],
        "public only, never private"
    );
    let author_view = activity_seen(&w, &a, 1);
    assert!(
        author_view
            .iter()
            .any(|(t, _)| *t == AuditType::RequestFileRequestChanges),
        "all vote entries"
    );
    assert!(
        author_view
            .iter()
            .any(|(t, _)| *t == AuditType::RequestFileApprove)
    );
    let private_comment_entries = author_view
        .iter()
        .filter(|(t, _)| *t == AuditType::RequestComment)
        .count();
    assert_eq!(
        private_comment_entries, 1,
        "only the public comment's entry: {author_view:?}"
    );
    assert_eq!(
        shown_decisions(&a, &w.state, 2)["output/a.csv"],
        Decision::ChangesRequested,
        "conflict masked"
    );
    comment(&mut w, &a, "author-t2", None);
    assert_eq!(
        comments_seen(&w, &c1),
        ["author-t0", "c1-private", "c1-public", "c2-private"],
        "not until resubmission"
    );

    // Turn 3, INDEPENDENT again; then the third checker's view and COMPLETE (VIS-3.4).
    w.act(&a, Action::Submit).expect("resubmit");
    assert_eq!(w.state.request.review_turn, 3);
    assert!(comments_seen(&w, &c1).contains(&"author-t2".to_string()));
    w.act(
        &c1,
        Action::Vote {
            path: "output/a.csv".into(),
            vote: VoteStatus::Approved,
        },
    )
    .expect("vote");
    comment(&mut w, &c3, "c3-private", None);
    w.act(&c1, Action::SubmitReview).expect("review");
    w.act(
        &c3,
        Action::Vote {
            path: "output/a.csv".into(),
            vote: VoteStatus::Approved,
        },
    )
    .expect("vote");
    assert!(
        !comments_seen(&w, &c1).contains(&"c3-private".to_string()),
        "blind in turn 3"
    );
    w.act(&c3, Action::SubmitReview).expect("review");
    w.act(&c3, Action::Release).expect("release");
    assert_eq!(w.status(), Status::Approved);
    assert_eq!(
        comments_seen(&w, &a),
        ["author-t0", "author-t2", "c1-public"],
        "COMPLETE: all public items"
    );
    assert_eq!(
        comments_seen(&w, &support),
        ["author-t0", "author-t2", "c1-public"]
    );
    assert_eq!(
        comments_seen(&w, &c2),
        [
            "author-t0",
            "author-t2",
            "c1-private",
            "c1-public",
            "c2-private",
            "c3-private"
        ],
        "reviewers also see private ones"
    );
}

/// VIS-3.5 and D-b: a deleted private comment's text never reaches anyone who could not see it.
#[test]
fn vis_3_5_deleted_private_comment_stays_private() {
    let mut w = World::new(empty_request("none"), Rules::default());
    add(&mut w, "output/a.csv");
    w.act(
        &author(),
        Action::EditGroup {
            group: "g".into(),
            context: "c".into(),
            controls: "c".into(),
        },
    )
    .expect("edit");
    w.act(&author(), Action::Submit).expect("submit");
    let c1 = checker("c1");
    comment(&mut w, &c1, "secret", None);
    w.act(
        &c1,
        Action::DeleteComment {
            comment: "secret".into(),
            group: Some("g".into()),
        },
    )
    .expect("delete");
    w.act(
        &c1,
        Action::Vote {
            path: "output/a.csv".into(),
            vote: VoteStatus::Approved,
        },
    )
    .expect("vote");
    w.act(&c1, Action::SubmitReview).expect("review");
    review_and_reject(&mut w);
    for user in [author(), tech_support("t"), researcher("r")] {
        let leaked = activity(&user, &w.state.request, &w.audit, None)
            .iter()
            .any(|e| e.entry.extra.get("comment").is_some_and(|t| t == "secret"));
        assert!(!leaked, "{} saw the deleted private text", user.username);
    }
    let checker_sees = activity(&checker("c9"), &w.state.request, &w.audit, None)
        .iter()
        .any(|e| e.entry.kind == AuditType::RequestCommentDelete);
    assert!(checker_sees, "reviewers may see it once the phase allows");
}

fn review_and_reject(w: &mut World) {
    let c2 = checker("c2");
    w.act(
        &c2,
        Action::Vote {
            path: "output/a.csv".into(),
            vote: VoteStatus::Approved,
        },
    )
    .expect("vote");
    w.act(&c2, Action::SubmitReview).expect("review");
    w.act(&c2, Action::Reject).expect("reject");
}

/// RET-3 last paragraph: after an early return every user sees exactly the two entries for the
/// reset turn.
#[test]
fn ret_3_everyone_sees_two_entries_for_a_reset_turn() {
    let mut w = World::new(empty_request("none"), Rules::default());
    add(&mut w, "output/a.csv");
    w.act(
        &author(),
        Action::EditGroup {
            group: "g".into(),
            context: "c".into(),
            controls: "c".into(),
        },
    )
    .expect("edit");
    w.act(&author(), Action::Submit).expect("submit");
    let c1 = checker("c1");
    w.act(
        &c1,
        Action::Vote {
            path: "output/a.csv".into(),
            vote: VoteStatus::ChangesRequested,
        },
    )
    .expect("vote");
    comment(&mut w, &c1, "why", None);
    w.act(&c1, Action::SubmitReview).expect("review");
    w.act(&checker("c2"), Action::Return).expect("early return");
    for user in [
        author(),
        c1.clone(),
        checker("c2"),
        checker("c3"),
        tech_support("t"),
    ] {
        let seen: Vec<AuditType> = activity_seen(&w, &user, 1)
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        assert_eq!(
            seen,
            [AuditType::RequestEarlyReturn, AuditType::RequestReturn],
            "{}",
            user.username
        );
    }
}
