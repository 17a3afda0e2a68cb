//! ACC-6: every cell of the permission matrix (role × action × status), checked against an
//! independent transcription of the specification's table, and snapshotted as a readable matrix.

use airlock_core::access::{Permission, authorize};
use airlock_core::testing::*;
use airlock_core::{Status, User};
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Author,
    Researcher,
    Checker,
    CollaboratingChecker,
    Copilot,
    ReadOnly,
    Outsider,
}

const ROLES: [Role; 7] = [
    Role::Author,
    Role::Researcher,
    Role::Checker,
    Role::CollaboratingChecker,
    Role::Copilot,
    Role::ReadOnly,
    Role::Outsider,
];

fn user(role: Role) -> User {
    match role {
        Role::Author => author(),
        Role::Researcher => researcher("researcher"),
        Role::Checker => checker("checker"),
        Role::CollaboratingChecker => collaborating_checker("collaborator"),
        Role::Copilot => copilot("copilot"),
        Role::ReadOnly => tech_support("support"),
        Role::Outsider => outsider("outsider"),
    }
}

/// The ACC-6 table, transcribed row by row. `ed` = editable, `rev` = under review.
fn expected(role: Role, action: Permission, status: Status) -> bool {
    use Role::*;
    let ed = status.is_editable();
    let rev = status.is_under_review();
    let reviewer = matches!(role, Checker | CollaboratingChecker);
    let with_role = matches!(role, Author | Researcher | CollaboratingChecker);
    match action {
        Permission::View => role != Outsider,
        // The request is the author's; for other users it is not their current request.
        Permission::CreateRequest => match role {
            Author => !rev,
            Researcher | CollaboratingChecker => true,
            _ => false,
        },
        Permission::EditFiles | Permission::Submit | Permission::WithdrawRequest => {
            role == Author && ed
        }
        Permission::Comment => (with_role && ed) || (reviewer && rev),
        Permission::Review => reviewer && rev,
        Permission::Reject => reviewer && status == Status::Reviewed,
        Permission::Release => reviewer && matches!(status, Status::Reviewed | Status::Approved),
        // REN-9: once submitted (the fixture request has been submitted unless PENDING or
        // WITHDRAWN from PENDING).
        Permission::Download => reviewer && !matches!(status, Status::Pending | Status::Withdrawn),
        Permission::ReviewsPage => reviewer,
        Permission::AllWorkspacesPage => role == ReadOnly,
    }
}

#[test]
fn acc_6_every_cell_of_the_matrix() {
    let mut failures = Vec::new();
    let mut matrix = String::new();
    for action in Permission::ALL {
        let _ = writeln!(matrix, "## {action:?}");
        let _ = writeln!(
            matrix,
            "{:<22}{}",
            "",
            Status::ALL.map(|s| format!("{:<20}", s.as_str())).join("")
        );
        for role in ROLES {
            let _ = write!(matrix, "{:<22}", format!("{role:?}"));
            for status in Status::ALL {
                let state = request_in(status);
                let got = authorize(&user(role), &state.request, action);
                let cell = match &got {
                    Ok(()) => "ok".to_string(),
                    Err(e) => e.code().to_string(),
                };
                let _ = write!(matrix, "{cell:<20}");
                if got.is_ok() != expected(role, action, status) {
                    failures.push(format!("{role:?} {action:?} {status}: got {cell}"));
                }
                if let Err(e) = got {
                    assert_ne!(e.code(), "internal", "never an internal error");
                }
            }
            matrix.push('\n');
        }
    }
    assert!(
        failures.is_empty(),
        "cells differing from ACC-6:\n{}",
        failures.join("\n")
    );
    insta::assert_snapshot!(matrix);
}

/// ACC-6 last paragraph: a checker who authored the request is treated as its author.
#[test]
fn acc_6_checker_author_is_treated_as_author() {
    let me = author().checker();
    for status in Status::ALL {
        let state = request_in(status);
        for action in [
            Permission::Review,
            Permission::Reject,
            Permission::Release,
            Permission::Download,
        ] {
            assert!(
                authorize(&me, &state.request, action).is_err(),
                "{action:?} {status}"
            );
        }
    }
}

/// ACC-4: access is evaluated against the record as it stands: a lost role means 403.
#[test]
fn acc_4_lost_access_is_refused() {
    let state = request_in(Status::Pending);
    let gone = User::new(AUTHOR);
    let err = authorize(&gone, &state.request, Permission::View).expect_err("no access");
    assert_eq!(err.code(), "permission_denied");
}
