//! What every action shares: audit entries about the request (AUD-2, AUD-3), notifications
//! (NOT-3), starting a turn (TRN-3), and the votes an author's change of a file resets.

use crate::audit::{AuditType, NewAudit};
use crate::context::Ctx;
use crate::effect::Effect;
use crate::model::{Request, RequestFile, RequestState};
use crate::notification::{EventType, Notification, Update};

/// An audit entry by the actor about the request at its current turn (AUD-2).
pub(super) fn audit(ctx: &Ctx<'_>, request: &Request, kind: AuditType) -> NewAudit {
    audit_by(ctx, request, kind, ctx.actor.id())
}

/// An audit entry attributed to `user` about the request at its current turn (AUD-2).
/// Marked `automated_action` when an operator command or scheduled job acts (AUD-2).
pub(super) fn audit_by(ctx: &Ctx<'_>, request: &Request, kind: AuditType, user: &str) -> NewAudit {
    let entry = NewAudit::about_request(
        kind,
        user,
        &request.workspace,
        &request.id,
        request.review_turn,
        ctx.now,
    );
    if ctx.automated {
        entry.automated()
    } else {
        entry
    }
}

/// An audit entry about a file: path and extra `group` (AUD-3).
pub(super) fn file_audit(
    ctx: &Ctx<'_>,
    request: &Request,
    kind: AuditType,
    file: &RequestFile,
    user: &str,
) -> NewAudit {
    audit_by(ctx, request, kind, user)
        .path(&file.relpath)
        .extra("group", file.group.clone())
}

/// A notification of `event` by the actor (NOT-3).
pub(super) fn notify(
    ctx: &Ctx<'_>,
    request: &Request,
    event: EventType,
    updates: Option<Vec<Update>>,
) -> Effect {
    notify_as(request, event, ctx.actor.id(), updates)
}

pub(super) fn notify_as(
    request: &Request,
    event: EventType,
    user: &str,
    updates: Option<Vec<Update>>,
) -> Effect {
    Effect::Notify(Notification {
        event_type: event,
        workspace: request.workspace.clone(),
        request: request.id.clone(),
        request_author: request.author.clone(),
        user: user.to_string(),
        updates,
    })
}

/// TRN-3: start a new turn.
pub(super) fn start_new_turn(request: &mut Request) {
    request.turn_reviewers = request.submitted_reviews.keys().cloned().collect();
    request.submitted_reviews.clear();
    request.review_turn += 1;
}

/// A copy of the request touched at `now`.
pub(super) fn touched(ctx: &Ctx<'_>, state: &RequestState) -> Request {
    let mut request = state.request.clone();
    request.updated_at = ctx.now;
    request
}

/// One REQUEST_FILE_RESET_REVIEW per vote on the file, with extra `reviewer`, attributed to
/// the author, and the votes deleted (FIL-7, FIL-9, FIL-10).
pub(super) fn reset_votes_for_author_change(
    ctx: &Ctx<'_>,
    state: &RequestState,
    file: &RequestFile,
    effects: &mut Vec<Effect>,
) {
    for vote in state.votes_on(&file.relpath) {
        effects.push(Effect::DeleteVote {
            relpath: vote.relpath.clone(),
            reviewer: vote.reviewer.clone(),
        });
        effects.push(Effect::Audit(
            file_audit(
                ctx,
                &state.request,
                AuditType::RequestFileResetReview,
                file,
                ctx.actor.id(),
            )
            .extra("reviewer", vote.reviewer.clone()),
        ));
    }
}
