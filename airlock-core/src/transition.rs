//! The status transition table as data (`behaviour.md` ST-4, ST-5, ST-7) and the Mermaid
//! diagram generated from it.

use crate::access::is_reviewer;
use crate::audit::AuditType;
use crate::error::{AirlockError, ErrorCode, Result};
use crate::model::Request;
use crate::notification::EventType;
use crate::status::{Owner, Status};
use crate::user::User;
use std::fmt::Write as _;

/// Who makes a transition (ST-7, "Actor").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Actor {
    /// A user with `can_action` on the workspace (creation).
    Creator,
    /// The request's author.
    Author,
    /// A reviewer of the request.
    Reviewer,
    /// The uploader.
    System,
}

/// One row of ST-7.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// Source status; `None` for creation.
    pub from: Option<Status>,
    /// Target status.
    pub to: Status,
    /// What causes it.
    pub action: &'static str,
    /// Who may make it.
    pub actor: Actor,
    /// The notification queued (NOT-1), if any.
    pub notification: Option<EventType>,
}

const fn t(
    from: Option<Status>,
    to: Status,
    action: &'static str,
    actor: Actor,
    notification: Option<EventType>,
) -> Transition {
    Transition {
        from,
        to,
        action,
        actor,
        notification,
    }
}

use Status::*;

/// ST-4 / ST-7: every allowed transition. No other transition exists.
pub const TRANSITIONS: &[Transition] = &[
    t(None, Pending, "add first file", Actor::Creator, None),
    t(
        Some(Pending),
        Submitted,
        "submit",
        Actor::Author,
        Some(EventType::RequestSubmitted),
    ),
    t(
        Some(Pending),
        Withdrawn,
        "withdraw",
        Actor::Author,
        Some(EventType::RequestWithdrawn),
    ),
    t(
        Some(Submitted),
        PartiallyReviewed,
        "first review",
        Actor::Reviewer,
        Some(EventType::RequestPartiallyReviewed),
    ),
    t(
        Some(Submitted),
        Returned,
        "return early",
        Actor::Reviewer,
        Some(EventType::RequestReturned),
    ),
    t(
        Some(PartiallyReviewed),
        Reviewed,
        "N-th review",
        Actor::Reviewer,
        Some(EventType::RequestReviewed),
    ),
    t(
        Some(PartiallyReviewed),
        Returned,
        "return early",
        Actor::Reviewer,
        Some(EventType::RequestReturned),
    ),
    t(
        Some(Reviewed),
        Approved,
        "release",
        Actor::Reviewer,
        Some(EventType::RequestApproved),
    ),
    t(
        Some(Reviewed),
        Rejected,
        "reject",
        Actor::Reviewer,
        Some(EventType::RequestRejected),
    ),
    t(
        Some(Reviewed),
        Returned,
        "return",
        Actor::Reviewer,
        Some(EventType::RequestReturned),
    ),
    t(
        Some(Returned),
        Submitted,
        "resubmit",
        Actor::Author,
        Some(EventType::RequestResubmitted),
    ),
    t(
        Some(Returned),
        Withdrawn,
        "withdraw",
        Actor::Author,
        Some(EventType::RequestWithdrawn),
    ),
    t(
        Some(Approved),
        Released,
        "all files uploaded",
        Actor::System,
        Some(EventType::RequestReleased),
    ),
];

/// The row for a transition, if it exists (ST-4).
pub fn find(from: Status, to: Status) -> Option<&'static Transition> {
    TRANSITIONS
        .iter()
        .find(|tr| tr.from == Some(from) && tr.to == to)
}

/// Whether ST-4 allows `from → to`.
pub fn is_allowed(from: Status, to: Status) -> bool {
    find(from, to).is_some()
}

/// The audit entry written when a request reaches `to` (ST-6, AUD-3). Reaching
/// PARTIALLY_REVIEWED or REVIEWED is audited by REQUEST_REVIEW instead (REV-11).
pub fn audit_type_for(to: Status) -> Option<AuditType> {
    match to {
        Pending => Some(AuditType::RequestCreate),
        Submitted => Some(AuditType::RequestSubmit),
        Withdrawn => Some(AuditType::RequestWithdraw),
        Approved => Some(AuditType::RequestApprove),
        Rejected => Some(AuditType::RequestReject),
        Returned => Some(AuditType::RequestReturn),
        Released => Some(AuditType::RequestRelease),
        PartiallyReviewed | Reviewed => None,
    }
}

/// The `invalid_transition` error for `from → to`.
pub fn invalid(from: Status, to: Status) -> AirlockError {
    AirlockError::with_message(
        ErrorCode::InvalidTransition,
        format!("A request cannot move from {from} to {to}."),
    )
}

/// ST-5: the generic checks of every status change, in order, for a user who can view the
/// request: the transition exists; an author-owned status needs the author; a reviewer-owned
/// status or APPROVED needs a reviewer of the request.
pub fn check(actor: &User, request: &Request, to: Status) -> Result<&'static Transition> {
    let from = request.status;
    let transition = find(from, to).ok_or_else(|| invalid(from, to))?;
    match from.owner() {
        Owner::Author if actor.id() != request.author => Err(AirlockError::permission_denied()),
        Owner::Reviewer if !is_reviewer(actor, request) => Err(AirlockError::permission_denied()),
        Owner::System if from == Approved && !is_reviewer(actor, request) => {
            Err(AirlockError::permission_denied())
        }
        _ => Ok(transition),
    }
}

/// A Mermaid `stateDiagram-v2` generated from [`TRANSITIONS`], with the operator's forced
/// changes of OPS-1 as notes. The documentation prints this, so it cannot drift from the code.
pub fn mermaid() -> String {
    let mut out = String::from("stateDiagram-v2\n");
    for tr in TRANSITIONS {
        let from = tr.from.map_or("[*]", |s| s.as_str());
        let actor = match tr.actor {
            Actor::Creator => "creator",
            Actor::Author => "author",
            Actor::Reviewer => "reviewer",
            Actor::System => "system",
        };
        let _ = writeln!(out, "    {from} --> {}: {} ({actor})", tr.to, tr.action);
    }
    for status in Status::ALL.iter().filter(|s| s.is_final()) {
        let _ = writeln!(out, "    {status} --> [*]");
    }
    out.push_str(
        "    note right of PENDING\n        operators may force any active request to REJECTED or WITHDRAWN (OPS-1)\n    end note\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RequestState;
    use crate::testing::{author, checker, request_in, researcher};

    /// ST-4: the exact set of allowed (from, to) pairs.
    #[test]
    fn st_4_allowed_pairs_are_exactly_the_table() {
        let expected: &[(Status, Status)] = &[
            (Pending, Submitted),
            (Pending, Withdrawn),
            (Submitted, PartiallyReviewed),
            (Submitted, Returned),
            (PartiallyReviewed, Reviewed),
            (PartiallyReviewed, Returned),
            (Reviewed, Approved),
            (Reviewed, Rejected),
            (Reviewed, Returned),
            (Returned, Submitted),
            (Returned, Withdrawn),
            (Approved, Released),
        ];
        for from in Status::ALL {
            for to in Status::ALL {
                assert_eq!(
                    is_allowed(from, to),
                    expected.contains(&(from, to)),
                    "{from} -> {to}"
                );
            }
        }
    }

    /// ST-5 over every (from, to) pair for each role: the author, a reviewer, a researcher
    /// with a role who is not the author.
    #[test]
    fn st_5_every_pair_for_every_role() {
        let users = [
            ("author", author()),
            ("reviewer", checker("checker1")),
            ("other", researcher("other")),
        ];
        for from in Status::ALL {
            let state: RequestState = request_in(from);
            for to in Status::ALL {
                for (role, user) in &users {
                    let got = check(user, &state.request, to)
                        .map(|_| ())
                        .map_err(|e| e.code());
                    let expected = if !is_allowed(from, to) {
                        Err("invalid_transition")
                    } else {
                        let ok = match from.owner() {
                            Owner::Author => *role == "author",
                            Owner::Reviewer => *role == "reviewer",
                            Owner::System => *role == "reviewer",
                        };
                        if ok { Ok(()) } else { Err("permission_denied") }
                    };
                    assert_eq!(got, expected, "{role}: {from} -> {to}");
                }
            }
        }
    }

    #[test]
    fn st_6_audit_types_for_targets() {
        assert_eq!(audit_type_for(Submitted), Some(AuditType::RequestSubmit));
        assert_eq!(audit_type_for(Reviewed), None);
        assert_eq!(audit_type_for(Released), Some(AuditType::RequestRelease));
    }

    #[test]
    fn mermaid_lists_every_transition() {
        let diagram = mermaid();
        assert_eq!(diagram.matches("-->").count(), TRANSITIONS.len() + 4);
        insta::assert_snapshot!(diagram);
    }
}
