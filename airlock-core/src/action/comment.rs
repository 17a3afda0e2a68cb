//! Comments (`behaviour.md` COM-2 to COM-5).

use super::Outcome;
use super::common::audit;
use crate::access::comment_visibilities;
use crate::audit::AuditType;
use crate::context::Ctx;
use crate::effect::Effect;
use crate::error::{AirlockError, ErrorCode, Result};
use crate::model::{Comment, RequestState, Visibility};
use crate::visibility::{Item, can_see};

/// A comment to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewComment<'a> {
    /// Id for the new comment (a ULID chosen by the caller).
    pub id: &'a str,
    /// Target group.
    pub group: &'a str,
    /// Markdown text.
    pub text: &'a str,
    /// Chosen visibility; `None` takes the default (PRIVATE for reviewers under review).
    pub visibility: Option<Visibility>,
    /// The file the comment was posted from, if any.
    pub file: Option<&'a str>,
}

/// COM-2 and COM-3: post a comment.
pub(super) fn create_comment(
    ctx: &Ctx<'_>,
    state: &RequestState,
    new: &NewComment<'_>,
) -> Result<Outcome<Comment>> {
    let request = &state.request;
    let allowed = comment_visibilities(ctx.actor, request)?;
    if new.text.trim().is_empty() {
        return Err(ErrorCode::CommentEmpty.into());
    }
    let group = state.group(new.group).ok_or_else(AirlockError::not_found)?;
    let visibility = new.visibility.unwrap_or(allowed[0]);
    if !allowed.contains(&visibility) {
        return Err(ErrorCode::VisibilityNotAllowed.into());
    }
    let (text, file) = match new.file {
        None => (new.text.to_string(), None),
        Some(relpath) => {
            let file = state
                .file(relpath)
                .filter(|f| f.group == group.name)
                .ok_or_else(AirlockError::not_found)?;
            let label = format!("{}/{}", group.name, file.relpath);
            let target = format!("/requests/view/{}/{}", request.id, label);
            let text = format!(
                "File: {}\n{}",
                crate::markdown::link(&label, &target),
                new.text
            );
            (text, Some(file.relpath.clone()))
        }
    };
    let comment = Comment {
        id: new.id.to_string(),
        group: group.name.clone(),
        author: ctx.actor.id().to_string(),
        text,
        visibility,
        review_turn: request.review_turn,
        created_at: ctx.now,
        file,
    };
    let effects = vec![
        Effect::InsertComment(comment.clone()),
        Effect::Audit(comment_audit(
            ctx,
            state,
            AuditType::RequestComment,
            &comment,
        )),
    ];
    Ok(Outcome::new(effects, comment))
}

fn comment_audit(
    ctx: &Ctx<'_>,
    state: &RequestState,
    kind: AuditType,
    comment: &Comment,
) -> crate::audit::NewAudit {
    audit(ctx, &state.request, kind)
        .extra("group", comment.group.clone())
        .extra("comment", comment.text.clone())
        .extra("visibility", comment.visibility.as_str())
}

/// COM-4 checks, shared by delete and make public. The comment is found by id, in `group` when
/// one is named; a comment the actor may not see (VIS-1) does not exist for them, so a
/// blinded comment's existence is never revealed.
fn own_current_comment<'a>(
    ctx: &Ctx<'_>,
    state: &'a RequestState,
    group: Option<&str>,
    id: &str,
) -> Result<&'a Comment> {
    let comment = state
        .comment(id)
        .filter(|c| group.is_none_or(|g| state.group(g).is_some_and(|g| g.name == c.group)))
        .filter(|c| can_see(ctx.actor, &state.request, Item::comment(c)))
        .ok_or_else(AirlockError::not_found)?;
    if comment.author != ctx.actor.id() {
        return Err(AirlockError::permission_denied());
    }
    comment_visibilities(ctx.actor, &state.request)?;
    if comment.review_turn != state.request.review_turn {
        return Err(ErrorCode::CommentTurnClosed.into());
    }
    Ok(comment)
}

/// COM-4: delete one's own comment of the current turn. The audit entry keeps the comment's
/// visibility, so a private comment's text is never revealed (D-b).
pub(super) fn delete_comment(
    ctx: &Ctx<'_>,
    state: &RequestState,
    group: Option<&str>,
    id: &str,
) -> Result<Outcome<()>> {
    let comment = own_current_comment(ctx, state, group, id)?;
    Ok(Outcome::of(vec![
        Effect::DeleteComment {
            id: comment.id.clone(),
        },
        Effect::Audit(comment_audit(
            ctx,
            state,
            AuditType::RequestCommentDelete,
            comment,
        )),
    ]))
}

/// COM-5: make one's own PRIVATE comment of the current turn PUBLIC.
pub(super) fn make_comment_public(
    ctx: &Ctx<'_>,
    state: &RequestState,
    group: Option<&str>,
    id: &str,
) -> Result<Outcome<()>> {
    let comment = own_current_comment(ctx, state, group, id)?;
    if comment.visibility == Visibility::Public {
        return Err(ErrorCode::CommentAlreadyPublic.into());
    }
    let mut public = comment.clone();
    public.visibility = Visibility::Public;
    Ok(Outcome::of(vec![
        Effect::UpdateComment(public.clone()),
        Effect::Audit(comment_audit(
            ctx,
            state,
            AuditType::RequestCommentVisibilityPublic,
            &public,
        )),
    ]))
}
