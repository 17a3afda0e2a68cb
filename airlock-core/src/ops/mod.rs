//! Every action of `behaviour.md` as a pure function: it takes the acting user, the rules, the
//! time and the request aggregate, checks the rules in the order the specification gives, and
//! returns either the refusal or the list of [`Effect`]s the store writes in one transaction.
//! A refused action returns no effect at all (§0.2).

mod comments;
mod directories;
mod files;
mod lifecycle;
mod release;
mod votes;

pub use comments::{NewComment, create_comment, delete_comment, make_comment_public};
pub use directories::{
    DirFile, DirFileAction, DirGroup, DirPlan, DirPrecheck, check_directory_options,
    plan_directories, precheck_directories,
};
pub use files::{
    AddCandidate, GroupTarget, add_file, change_properties, check_add_batch, download_file,
    edit_group, normalise_group_name, update_file, withdraw_file,
};
pub use lifecycle::{
    force_status, reject, return_request, submit, submit_review, withdraw_request,
};
pub use release::{
    ERROR_CHARS, ReleaseFile, Retry, UploadProgress, check_release, claim_upload, commit_release,
    complete_if_uploaded, due_uploads, is_stuck, release_body, retry_after_failure, retry_uploads,
    stuck_after, upload_blocked, upload_due, upload_failed, upload_progress, upload_succeeded,
};
pub use votes::{GroupVoteCounts, group_request_changes, group_reset_votes, reset_vote, vote};

use crate::audit::{AuditType, NewAudit};
use crate::effect::Effect;
use crate::model::{Request, RequestFile, RequestState};
use crate::notification::{EventType, Notification, Update};
use crate::rules::Ctx;

/// The effects of an allowed action, plus a value for the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome<T = ()> {
    /// What to write, in order.
    pub effects: Vec<Effect>,
    /// A result for the caller (counts, the new request, ...).
    pub value: T,
}

impl Outcome<()> {
    fn of(effects: Vec<Effect>) -> Self {
        Outcome { effects, value: () }
    }
}

/// An audit entry by the actor about the request at its current turn (AUD-2).
fn audit(ctx: &Ctx<'_>, request: &Request, kind: AuditType) -> NewAudit {
    audit_by(ctx, request, kind, ctx.actor.id())
}

/// An audit entry attributed to `user` about the request at its current turn (AUD-2).
/// Marked `automated_action` when an operator command or scheduled job acts (AUD-2).
fn audit_by(ctx: &Ctx<'_>, request: &Request, kind: AuditType, user: &str) -> NewAudit {
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
fn file_audit(
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
fn notify(
    ctx: &Ctx<'_>,
    request: &Request,
    event: EventType,
    updates: Option<Vec<Update>>,
) -> Effect {
    notify_as(request, event, ctx.actor.id(), updates)
}

fn notify_as(
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
fn start_new_turn(request: &mut Request) {
    request.turn_reviewers = request.submitted_reviews.keys().cloned().collect();
    request.submitted_reviews.clear();
    request.review_turn += 1;
}

/// A copy of the request touched at `now`.
fn touched(ctx: &Ctx<'_>, state: &RequestState) -> Request {
    let mut request = state.request.clone();
    request.updated_at = ctx.now;
    request
}

/// One REQUEST_FILE_RESET_REVIEW per vote on the file, with extra `reviewer`, attributed to
/// the author, and the votes deleted (FIL-7, FIL-9, FIL-10).
fn reset_votes_for_author_change(
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

#[cfg(test)]
mod tests;
