//! Visibility and blinding of comments and audit entries (`behaviour.md` VIS-1 to VIS-5,
//! AUD-6).

use crate::access::is_reviewer;
use crate::audit::AuditEntry;
use crate::model::{Comment, Request, Visibility};
use crate::status::Phase;
use crate::user::User;

/// What VIS-1 needs to know about an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item<'a> {
    /// The item's turn.
    pub turn: i64,
    /// PUBLIC or PRIVATE.
    pub visibility: Visibility,
    /// Who wrote it.
    pub writer: &'a str,
    /// Hidden by an early return (audit entries only).
    pub hidden: bool,
}

impl<'a> Item<'a> {
    /// A comment as an item.
    pub fn comment(c: &'a Comment) -> Self {
        Item {
            turn: c.review_turn,
            visibility: c.visibility,
            writer: &c.author,
            hidden: false,
        }
    }

    /// An audit entry as an item (VIS-2).
    pub fn audit(e: &'a AuditEntry) -> Self {
        Item {
            turn: e.turn(),
            visibility: e.visibility(),
            writer: &e.entry.user,
            hidden: e.hidden,
        }
    }
}

/// VIS-1: whether `viewer` sees `item` of `request`.
pub fn can_see(viewer: &User, request: &Request, item: Item<'_>) -> bool {
    if item.hidden {
        return false;
    }
    if item.writer == viewer.id() {
        return true;
    }
    let phase = request.status.phase();
    let earlier = item.turn < request.review_turn;
    let reviewer = is_reviewer(viewer, request);
    match item.visibility {
        Visibility::Public => {
            earlier || phase == Phase::Complete || (phase == Phase::Consolidating && reviewer)
        }
        Visibility::Private => reviewer && (earlier || phase != Phase::Independent),
    }
}

/// VIS-4: the badge of a comment the viewer can see.
pub fn comment_badge(request: &Request, comment: &Comment) -> &'static str {
    if comment.review_turn == request.review_turn && request.status.phase() == Phase::Independent {
        "Blinded"
    } else {
        match comment.visibility {
            Visibility::Private => "Output-checkers only",
            Visibility::Public => "All users",
        }
    }
}

/// COM-1 and VIS-1: the comments of a group the viewer sees, newest first.
pub fn visible_comments<'a>(
    viewer: &User,
    request: &Request,
    comments: &'a [Comment],
    group: &str,
) -> Vec<&'a Comment> {
    let mut seen: Vec<&Comment> = comments
        .iter()
        .filter(|c| c.group == group && can_see(viewer, request, Item::comment(c)))
        .collect();
    seen.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| b.id.cmp(&a.id))
    });
    seen
}

/// AUD-6: the activity entries the viewer sees, newest first, optionally restricted to a group.
pub fn activity<'a>(
    viewer: &User,
    request: &Request,
    entries: &'a [AuditEntry],
    group: Option<&str>,
) -> Vec<&'a AuditEntry> {
    let mut seen: Vec<&AuditEntry> = entries
        .iter()
        .filter(|e| !e.entry.kind.hidden_from_activity())
        .filter(|e| group.is_none_or(|g| e.entry.extra.get("group").map(String::as_str) == Some(g)))
        .filter(|e| can_see(viewer, request, Item::audit(e)))
        .collect();
    // Entries usually come in id order: reversing them is enough.
    if seen.is_sorted_by_key(|e| e.id) {
        seen.reverse();
    } else {
        seen.sort_by_key(|e| std::cmp::Reverse(e.id));
    }
    seen
}
