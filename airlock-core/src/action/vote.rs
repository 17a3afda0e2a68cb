//! Votes and group vote actions (`behaviour.md` REV-2, REV-3, REV-5).

use super::Outcome;
use super::common::file_audit;
use crate::access::require_review_now;
use crate::audit::AuditType;
use crate::context::Ctx;
use crate::effect::Effect;
use crate::error::{AirlockError, ErrorCode, Result};
use crate::model::{FileType, RequestFile, RequestState, Vote, VoteStatus};

fn output_file<'a>(state: &'a RequestState, relpath: &str) -> Result<&'a RequestFile> {
    state
        .file(relpath)
        .filter(|f| f.filetype == FileType::Output)
        .ok_or_else(|| ErrorCode::NotOutputFile.into())
}

fn vote_audit_type(status: VoteStatus) -> AuditType {
    match status {
        VoteStatus::ChangesRequested => AuditType::RequestFileRequestChanges,
        _ => AuditType::RequestFileApprove,
    }
}

/// Puts the actor's vote on `file`; `existing` is their current vote on it, if any.
fn put_vote(
    ctx: &Ctx<'_>,
    state: &RequestState,
    file: &RequestFile,
    existing: Option<&Vote>,
    status: VoteStatus,
    effects: &mut Vec<Effect>,
) {
    let me = ctx.actor.id();
    let created_at = existing.map_or(ctx.now, |v| v.created_at);
    effects.push(Effect::PutVote(Vote {
        relpath: file.relpath.clone(),
        reviewer: me.to_string(),
        status,
        review_turn: state.request.review_turn,
        created_at,
        updated_at: ctx.now,
    }));
    effects.push(Effect::Audit(file_audit(
        ctx,
        &state.request,
        vote_audit_type(status),
        file,
        me,
    )));
}

/// REV-2: approve or request changes on an OUTPUT file. UNDECIDED is never chosen by a user
/// (REV-4) and is refused as `bad_request`.
pub(super) fn vote(
    ctx: &Ctx<'_>,
    state: &RequestState,
    relpath: &str,
    status: VoteStatus,
) -> Result<Outcome<()>> {
    require_review_now(ctx.actor, &state.request)?;
    let file = output_file(state, relpath)?;
    if status == VoteStatus::Undecided {
        return Err(AirlockError::with_message(
            ErrorCode::BadRequest,
            "A vote is APPROVED or CHANGES_REQUESTED.",
        ));
    }
    let mut effects = Vec::new();
    put_vote(
        ctx,
        state,
        file,
        state.vote_of(relpath, ctx.actor.id()),
        status,
        &mut effects,
    );
    Ok(Outcome::of(effects))
}

fn require_not_submitted(ctx: &Ctx<'_>, state: &RequestState) -> Result<()> {
    if state.request.submitted_reviews.contains_key(ctx.actor.id()) {
        Err(ErrorCode::ReviewAlreadySubmitted.into())
    } else {
        Ok(())
    }
}

/// REV-3: reset (delete) the user's vote on a file, before they submit their review.
pub(super) fn reset_vote(
    ctx: &Ctx<'_>,
    state: &RequestState,
    relpath: &str,
) -> Result<Outcome<()>> {
    require_review_now(ctx.actor, &state.request)?;
    let file = output_file(state, relpath)?;
    require_not_submitted(ctx, state)?;
    let me = ctx.actor.id();
    if state.vote_of(relpath, me).is_none() {
        return Err(ErrorCode::VoteNotFound.into());
    }
    Ok(Outcome::of(vec![
        Effect::DeleteVote {
            relpath: relpath.to_string(),
            reviewer: me.to_string(),
        },
        Effect::Audit(file_audit(
            ctx,
            &state.request,
            AuditType::RequestFileResetReview,
            file,
            me,
        )),
    ]))
}

/// The counts a group vote action reports (REV-5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GroupVoteCounts {
    /// Votes changed (REV-5.1) or reset (REV-5.2).
    pub changed: usize,
    /// Files already approved by the user (REV-5.1).
    pub already_approved: usize,
    /// Files already changes-requested by the user (REV-5.1).
    pub already_changes_requested: usize,
}

fn require_group<'a>(state: &'a RequestState, group: &str) -> Result<&'a str> {
    state
        .group(group)
        .map(|g| g.name.as_str())
        .ok_or_else(AirlockError::not_found)
}

/// REV-5.1: request changes on every OUTPUT file of the group that the user has not voted on
/// or has an UNDECIDED vote on.
pub(super) fn group_request_changes(
    ctx: &Ctx<'_>,
    state: &RequestState,
    group: &str,
) -> Result<Outcome<GroupVoteCounts>> {
    require_review_now(ctx.actor, &state.request)?;
    let group = require_group(state, group)?;
    let me = ctx.actor.id();
    let mut counts = GroupVoteCounts::default();
    let mut effects = Vec::new();
    let mine = state.votes_by(me);
    for file in state
        .files_in_group(group)
        .filter(|f| f.filetype == FileType::Output)
    {
        let existing = mine.get(file.relpath.as_str()).copied();
        match existing.map(|v| v.status) {
            Some(VoteStatus::Approved) => counts.already_approved += 1,
            Some(VoteStatus::ChangesRequested) => counts.already_changes_requested += 1,
            None | Some(VoteStatus::Undecided) => {
                counts.changed += 1;
                put_vote(
                    ctx,
                    state,
                    file,
                    existing,
                    VoteStatus::ChangesRequested,
                    &mut effects,
                );
            }
        }
    }
    Ok(Outcome::new(effects, counts))
}

/// REV-5.2: delete the user's votes on the group's OUTPUT files, before they submit their
/// review. `changed` is the number reset (zero means "No votes to reset").
pub(super) fn group_reset_votes(
    ctx: &Ctx<'_>,
    state: &RequestState,
    group: &str,
) -> Result<Outcome<GroupVoteCounts>> {
    require_review_now(ctx.actor, &state.request)?;
    let group = require_group(state, group)?;
    require_not_submitted(ctx, state)?;
    let me = ctx.actor.id();
    let mut counts = GroupVoteCounts::default();
    let mut effects = Vec::new();
    let mine = state.votes_by(me);
    for file in state
        .files_in_group(group)
        .filter(|f| f.filetype == FileType::Output)
    {
        if mine.contains_key(file.relpath.as_str()) {
            counts.changed += 1;
            effects.push(Effect::DeleteVote {
                relpath: file.relpath.clone(),
                reviewer: me.to_string(),
            });
            effects.push(Effect::Audit(file_audit(
                ctx,
                &state.request,
                AuditType::RequestFileResetReview,
                file,
                me,
            )));
        }
    }
    Ok(Outcome::new(effects, counts))
}
