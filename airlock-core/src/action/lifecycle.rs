//! Submission, withdrawal, review submission, return, rejection and forced status changes
//! (`behaviour.md` §7, REV-10 to REV-12, OPS-1).

use super::Outcome;
use super::common::{audit, audit_by, notify, start_new_turn, touched};
use crate::access::{can_action, require_review_now, require_view};
use crate::audit::AuditType;
use crate::context::Ctx;
use crate::decision::{
    groups_missing_public_comment, groups_missing_review_comment, incomplete_groups,
};
use crate::effect::Effect;
use crate::error::{AirlockError, ErrorCode, Result};
use crate::model::{RequestState, VoteStatus};
use crate::notification::EventType;
use crate::status::Status;
use crate::transition;

/// SUB-1 to SUB-3: submit (PENDING) or resubmit (RETURNED).
pub(super) fn submit(ctx: &Ctx<'_>, state: &RequestState) -> Result<Outcome<()>> {
    let request = &state.request;
    require_view(ctx.actor, &request.workspace)?;
    transition::check(ctx.actor, request, Status::Submitted)?;
    can_action(ctx.actor, &request.workspace)?;
    if state.output_files().next().is_none() {
        return Err(ErrorCode::NoOutputFiles.into());
    }
    let incomplete = incomplete_groups(state);
    if !incomplete.is_empty() {
        return Err(AirlockError::with_message(
            ErrorCode::IncompleteGroups,
            format!(
                "These file groups need both context and controls: {}.",
                incomplete.join(", ")
            ),
        ));
    }
    missing_public_comments(state, ctx.rules.required_reviews)?;

    let resubmit = request.status == Status::Returned;
    let mut effects = Vec::new();
    if resubmit {
        // SUB-3: CHANGES_REQUESTED votes on OUTPUT files become UNDECIDED at the author turn.
        let outputs = state.output_paths();
        for vote in &state.votes {
            let on_output = outputs.contains(vote.relpath.as_str());
            if on_output && vote.status == VoteStatus::ChangesRequested {
                let mut undecided = vote.clone();
                undecided.status = VoteStatus::Undecided;
                undecided.review_turn = request.review_turn;
                undecided.updated_at = ctx.now;
                effects.push(Effect::PutVote(undecided));
                effects.push(Effect::Audit(
                    audit(ctx, request, AuditType::RequestFileUndecided)
                        .path(&vote.relpath)
                        .extra("reviewer", vote.reviewer.clone()),
                ));
            }
        }
    }
    let mut next = touched(ctx, state);
    next.status = Status::Submitted;
    next.last_submitted_at = Some(ctx.now);
    effects.push(Effect::Audit(audit(ctx, request, AuditType::RequestSubmit)));
    start_new_turn(&mut next);
    effects.insert(0, Effect::UpdateRequest(next));
    let event = if resubmit {
        EventType::RequestResubmitted
    } else {
        EventType::RequestSubmitted
    };
    effects.push(notify(ctx, request, event, None));
    Ok(Outcome::of(effects))
}

fn missing_public_comments(state: &RequestState, n: usize) -> Result<()> {
    let missing = groups_missing_public_comment(state, n);
    if missing.is_empty() {
        Ok(())
    } else {
        Err(AirlockError::with_message(
            ErrorCode::MissingPublicComments,
            format!(
                "These file groups need a public comment from this turn: {}.",
                missing.join(", ")
            ),
        ))
    }
}

/// SUB-4: the author withdraws a PENDING or RETURNED request; allowed for archived
/// workspaces, inactive projects and authors who lost their role but can still view.
pub(super) fn withdraw_request(ctx: &Ctx<'_>, state: &RequestState) -> Result<Outcome<()>> {
    let request = &state.request;
    require_view(ctx.actor, &request.workspace)?;
    transition::check(ctx.actor, request, Status::Withdrawn)?;
    let mut next = touched(ctx, state);
    next.status = Status::Withdrawn;
    Ok(Outcome::of(vec![
        Effect::UpdateRequest(next),
        Effect::Audit(audit(ctx, request, AuditType::RequestWithdraw)),
        notify(ctx, request, EventType::RequestWithdrawn, None),
    ]))
}

/// REJ-1: a reviewer rejects a REVIEWED request, whatever the votes.
pub(super) fn reject(ctx: &Ctx<'_>, state: &RequestState) -> Result<Outcome<()>> {
    let request = &state.request;
    require_view(ctx.actor, &request.workspace)?;
    transition::check(ctx.actor, request, Status::Rejected)?;
    let mut next = touched(ctx, state);
    next.status = Status::Rejected;
    Ok(Outcome::of(vec![
        Effect::UpdateRequest(next),
        Effect::Audit(audit(ctx, request, AuditType::RequestReject)),
        notify(ctx, request, EventType::RequestRejected, None),
    ]))
}

/// RET-1 to RET-4: a reviewer returns the request; an early return (fewer than N reviews)
/// resets the turn. Returns whether the return was early.
pub(super) fn return_request(ctx: &Ctx<'_>, state: &RequestState) -> Result<Outcome<bool>> {
    let request = &state.request;
    require_view(ctx.actor, &request.workspace)?;
    transition::check(ctx.actor, request, Status::Returned)?;
    let n = ctx.rules.required_reviews;
    let early = request.submitted_reviews.len() < n && request.status != Status::Reviewed;
    if request.status == Status::Reviewed {
        missing_public_comments(state, n)?;
    }
    let turn = request.review_turn;
    let mut effects = Vec::new();
    if early {
        // RET-3 step 1: current-turn votes on OUTPUT files.
        let outputs = state.output_paths();
        for vote in state.votes.iter().filter(|v| v.review_turn == turn) {
            let on_output = outputs.contains(vote.relpath.as_str());
            if !on_output {
                continue;
            }
            if request.submitted_reviews.contains_key(&vote.reviewer) {
                let mut undecided = vote.clone();
                undecided.status = VoteStatus::Undecided;
                undecided.updated_at = ctx.now;
                effects.push(Effect::PutVote(undecided));
                effects.push(Effect::Audit(
                    audit(ctx, request, AuditType::RequestFileUndecided)
                        .path(&vote.relpath)
                        .extra("reviewer", vote.reviewer.clone()),
                ));
            } else {
                effects.push(Effect::DeleteVote {
                    relpath: vote.relpath.clone(),
                    reviewer: vote.reviewer.clone(),
                });
            }
        }
        // Step 2: current-turn comments, whoever wrote them.
        for comment in state.comments.iter().filter(|c| c.review_turn == turn) {
            effects.push(Effect::DeleteComment {
                id: comment.id.clone(),
            });
            effects.push(Effect::Audit(
                audit_by(
                    ctx,
                    request,
                    AuditType::RequestCommentDelete,
                    &comment.author,
                )
                .extra("group", comment.group.clone())
                .extra("comment", comment.text.clone())
                .extra("visibility", comment.visibility.as_str()),
            ));
        }
        // Step 3: hide the turn's audit entries, those above included.
        effects.push(Effect::HideAuditTurn { turn });
        // Step 4.
        effects.push(Effect::Audit(audit(
            ctx,
            request,
            AuditType::RequestEarlyReturn,
        )));
    }
    effects.push(Effect::Audit(audit(ctx, request, AuditType::RequestReturn)));
    let mut next = touched(ctx, state);
    next.status = Status::Returned;
    start_new_turn(&mut next);
    effects.insert(0, Effect::UpdateRequest(next));
    effects.push(notify(ctx, request, EventType::RequestReturned, None));
    Ok(Outcome::new(effects, early))
}

/// REV-10 and REV-11: a reviewer submits their review. Returns the new number of reviews.
pub(super) fn submit_review(ctx: &Ctx<'_>, state: &RequestState) -> Result<Outcome<usize>> {
    let request = &state.request;
    let me = ctx.actor.id();
    require_review_now(ctx.actor, request)?;
    if request.submitted_reviews.contains_key(me) {
        return Err(ErrorCode::ReviewAlreadySubmitted.into());
    }
    let mine = state.votes_by(me);
    let all_voted = state.output_files().all(|f| {
        mine.get(f.relpath.as_str())
            .is_some_and(|v| v.status != VoteStatus::Undecided)
    });
    if !all_voted {
        return Err(ErrorCode::NotAllFilesReviewed.into());
    }
    let missing = groups_missing_review_comment(state, me);
    if !missing.is_empty() {
        return Err(AirlockError::with_message(
            ErrorCode::MissingReviewComments,
            format!(
                "Comment on every group where you requested changes before submitting your review: {}.",
                missing.join(", ")
            ),
        ));
    }
    let mut next = touched(ctx, state);
    next.submitted_reviews.insert(me.to_string(), ctx.now);
    let k = next.submitted_reviews.len();
    let mut effects = vec![Effect::Audit(audit(ctx, request, AuditType::RequestReview))];
    let target = match request.status {
        Status::Submitted => Some((
            Status::PartiallyReviewed,
            EventType::RequestPartiallyReviewed,
        )),
        Status::PartiallyReviewed if k >= ctx.rules.required_reviews => {
            Some((Status::Reviewed, EventType::RequestReviewed))
        }
        _ => None,
    };
    if let Some((to, event)) = target {
        debug_assert!(transition::is_allowed(request.status, to));
        next.status = to;
        effects.push(notify(ctx, request, event, None));
    }
    effects.insert(0, Effect::UpdateRequest(next));
    Ok(Outcome::new(effects, k))
}

/// OPS-1: an operator forces an active request to REJECTED or WITHDRAWN, audited as an
/// automated action by `ctx.actor`; no new turn starts.
pub(super) fn force_status(ctx: &Ctx<'_>, state: &RequestState, to: Status) -> Result<Outcome<()>> {
    let request = &state.request;
    let kind = match to {
        Status::Rejected => AuditType::RequestReject,
        Status::Withdrawn => AuditType::RequestWithdraw,
        _ => {
            return Err(AirlockError::with_message(
                ErrorCode::BadRequest,
                format!("Only REJECTED or WITHDRAWN can be forced, not {to}."),
            ));
        }
    };
    if !request.status.is_active() {
        return Err(transition::invalid(request.status, to));
    }
    let mut next = touched(ctx, state);
    next.status = to;
    let event = if to == Status::Rejected {
        EventType::RequestRejected
    } else {
        EventType::RequestWithdrawn
    };
    Ok(Outcome::of(vec![
        Effect::UpdateRequest(next),
        Effect::Audit(audit(ctx, request, kind).automated()),
        notify(ctx, request, event, None),
    ]))
}
