//! PG-1: what a page offers one viewer now. Each offer is the answer of the action's own checks
//! ([`action::check`]: the action run with its effects thrown away), so a page offers a button
//! exactly when the operation would accept it, and a refused offer carries the reason to show
//! beside the disabled control. Pages never restate a condition; they ask here.
//!
//! Actions that take free text (a group edit, a comment) or a choice (a move) are asked with a
//! probe input that passes their input checks, so that what is asked is whether this viewer may
//! take the action at all.

use crate::access::comment_visibilities;
use crate::action::{self, Action, AddCandidate, Facts, GroupChoice, NewFile, Subject};
use crate::context::Ctx;
use crate::error::AirlockError;
use crate::model::{FileType, RequestState, Visibility, VoteStatus};

/// Offered (`Ok`), or refused with the reason to show.
pub type Offer = Result<(), AirlockError>;

fn ask(ctx: &Ctx<'_>, state: &RequestState, action: &Action) -> Offer {
    action::check(ctx, Subject::Request(state), action, &Facts::default())
}

/// The request-level actions of the overview (PG-17).
#[derive(Debug, Clone, PartialEq)]
pub struct RequestOffers {
    /// Submit or resubmit (SUB-1).
    pub submit: Offer,
    /// Withdraw the request (SUB-4).
    pub withdraw: Offer,
    /// Submit one's review (REV-10).
    pub review: Offer,
    /// Return to the author (RET-1).
    pub return_request: Offer,
    /// Reject (REJ-1).
    pub reject: Offer,
    /// Release, or re-trigger a release (REL-1, REL-5).
    pub release: Offer,
}

/// What the overview of `state` offers `ctx.actor`.
pub fn request_offers(ctx: &Ctx<'_>, state: &RequestState) -> RequestOffers {
    RequestOffers {
        submit: ask(ctx, state, &Action::Submit),
        withdraw: ask(ctx, state, &Action::Withdraw),
        review: ask(ctx, state, &Action::SubmitReview),
        return_request: ask(ctx, state, &Action::Return),
        reject: ask(ctx, state, &Action::Reject),
        release: ask(ctx, state, &Action::Release),
    }
}

/// The actions of a group page (PG-17).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupOffers {
    /// Edit context and controls (GRP-3).
    pub edit: Offer,
    /// Comment, with the visibilities the viewer may choose (COM-2; the first is the default).
    pub comment: Result<&'static [Visibility], AirlockError>,
    /// Request changes on every undecided output file (REV-5.1).
    pub request_changes: Offer,
    /// Reset one's votes on the group (REV-5.2).
    pub reset_votes: Offer,
}

/// What the page of group `group` offers.
pub fn group_offers(ctx: &Ctx<'_>, state: &RequestState, group: &str) -> GroupOffers {
    let current = state.group(group);
    let edit = Action::EditGroup {
        group: group.to_string(),
        // A probe that differs from what is there, so that `no_changes` never answers.
        context: format!("{}\u{2060}", current.map_or("", |g| g.context.as_str())),
        controls: current.map_or(String::new(), |g| g.controls.clone()),
    };
    GroupOffers {
        edit: ask(ctx, state, &edit),
        comment: comment_visibilities(ctx.actor, &state.request)
            .and_then(|allowed| ask(ctx, state, &probe_comment(group, None)).map(|()| allowed)),
        request_changes: ask(
            ctx,
            state,
            &Action::RequestChangesOnGroup {
                group: group.to_string(),
            },
        ),
        reset_votes: ask(
            ctx,
            state,
            &Action::ResetVotesOnGroup {
                group: group.to_string(),
            },
        ),
    }
}

fn probe_comment(group: &str, file: Option<&str>) -> Action {
    Action::Comment {
        group: group.to_string(),
        text: "probe".to_string(),
        visibility: None,
        file: file.map(str::to_string),
    }
}

/// The actions of a request file page (PG-17, REV-13).
#[derive(Debug, Clone, PartialEq)]
pub struct FileOffers {
    /// Approve (REV-2).
    pub approve: Offer,
    /// Request changes (REV-2).
    pub request_changes: Offer,
    /// Reset one's vote (REV-3): what the selected vote button does.
    pub reset_vote: Offer,
    /// Withdraw the file (FIL-8).
    pub withdraw: Offer,
    /// Move or retype it (FIL-10).
    pub change: Offer,
    /// Download it (REN-9).
    pub download: Offer,
    /// Comment from this file's page (COM-3).
    pub comment: Offer,
}

/// What the page of the file at `path` offers.
pub fn file_offers(ctx: &Ctx<'_>, state: &RequestState, path: &str) -> FileOffers {
    let vote = |vote| Action::Vote {
        path: path.to_string(),
        vote,
    };
    let file = state.file(path);
    // A move to another group is always a change (FIL-10's `no_changes` never answers).
    let move_to = file.map_or_else(String::new, |f| {
        let mut name: String = f.group.chars().take(80).collect();
        name.push_str(" moved");
        name
    });
    let change = Action::ChangeFile {
        path: path.to_string(),
        group: Some(move_to),
        filetype: None,
    };
    FileOffers {
        approve: ask(ctx, state, &vote(VoteStatus::Approved)),
        request_changes: ask(ctx, state, &vote(VoteStatus::ChangesRequested)),
        reset_vote: ask(
            ctx,
            state,
            &Action::ResetVote {
                path: path.to_string(),
            },
        ),
        withdraw: ask(
            ctx,
            state,
            &Action::WithdrawFile {
                path: path.to_string(),
            },
        ),
        change: ask(ctx, state, &change),
        download: ask(
            ctx,
            state,
            &Action::Download {
                path: path.to_string(),
            },
        ),
        comment: match file {
            Some(f) => ask(ctx, state, &probe_comment(&f.group, Some(path))),
            None => Err(AirlockError::not_found()),
        },
    }
}

/// The actions on a comment (COM-4, COM-5).
#[derive(Debug, Clone, PartialEq)]
pub struct CommentOffers {
    /// Delete it.
    pub delete: Offer,
    /// Make it public.
    pub publish: Offer,
}

/// What a comment offers.
pub fn comment_offers(ctx: &Ctx<'_>, state: &RequestState, comment: &str) -> CommentOffers {
    let id = comment.to_string();
    CommentOffers {
        delete: ask(
            ctx,
            state,
            &Action::DeleteComment {
                comment: id.clone(),
                group: None,
            },
        ),
        publish: ask(
            ctx,
            state,
            &Action::PublishComment {
                comment: id,
                group: None,
            },
        ),
    }
}

/// What the workspace browser offers for one path (WS-7): adding it, as which types, and
/// updating it on the current request.
#[derive(Debug, Clone, PartialEq)]
pub struct PathOffers {
    /// Adding (FIL-4): the types it may be added as, OUTPUT first; refused when none.
    pub add: Result<Vec<FileType>, AirlockError>,
    /// Updating its content on the current request (FIL-7).
    pub update: Offer,
}

/// What the browser of `workspace` offers for the path of `candidate`, relative to the
/// viewer's current request.
pub fn path_offers(
    ctx: &Ctx<'_>,
    workspace: &str,
    current: Option<&RequestState>,
    candidate: &AddCandidate,
) -> PathOffers {
    let facts = Facts {
        fresh_id: "probe".to_string(),
        candidate: Some(candidate.clone()),
        ..Facts::default()
    };
    let subject = Subject::Current { workspace, current };
    let add_as = |filetype| Action::AddFiles {
        group: GroupChoice::Named(DEFAULT_GROUP.to_string()),
        files: vec![NewFile {
            path: candidate.relpath.clone(),
            filetype,
        }],
    };
    let mut first_refusal = None;
    let mut types = Vec::new();
    for filetype in [FileType::Output, FileType::Supporting] {
        match action::check(ctx, subject, &add_as(filetype), &facts) {
            Ok(()) => types.push(filetype),
            Err(e) => {
                first_refusal.get_or_insert(e);
            }
        }
    }
    let add = match first_refusal {
        Some(e) if types.is_empty() => Err(e),
        _ => Ok(types),
    };
    let update = Action::UpdateFiles {
        paths: vec![candidate.relpath.clone()],
    };
    PathOffers {
        add,
        update: action::check(ctx, subject, &update, &facts),
    }
}

/// What adding files to the viewer's current request in `workspace` offers as a whole (FIL-4
/// steps 1 to 4), before any path: the "Add files to request" control.
pub fn add_batch_offer(ctx: &Ctx<'_>, workspace: &str, current: Option<&RequestState>) -> Offer {
    let add = Action::AddFiles {
        group: GroupChoice::Named(DEFAULT_GROUP.to_string()),
        files: Vec::new(),
    };
    action::check_batch(ctx, Subject::Current { workspace, current }, &add)
}

/// GRP-2: the group files go to unless another is chosen.
pub const DEFAULT_GROUP: &str = "default";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Rules;
    use crate::status::Status;
    use crate::testing::{author, checker, copilot, request_in, t0};

    #[test]
    fn pg_1_offers_are_the_actions_own_answers() {
        let rules = Rules::default();
        let pending = request_in(Status::Pending);
        let a = author();
        let ctx = Ctx::new(&a, &rules, t0());
        let offers = request_offers(&ctx, &pending);
        assert!(offers.submit.is_ok() && offers.withdraw.is_ok());
        assert_eq!(
            offers.review.as_ref().map_err(|e| e.code()),
            Err("permission_denied")
        );
        assert_eq!(
            offers.release.as_ref().map_err(|e| e.code()),
            Err("invalid_transition")
        );
        let group = group_offers(&ctx, &pending, "default");
        assert!(group.edit.is_ok(), "{:?}", group.edit);
        assert_eq!(group.comment, Ok(&[Visibility::Public][..]));
        let file = file_offers(&ctx, &pending, "output/a.csv");
        assert!(file.withdraw.is_ok() && file.change.is_ok());
        assert!(file.approve.is_err() && file.download.is_err());

        let submitted = request_in(Status::Submitted);
        let c = checker("c1");
        let ctx = Ctx::new(&c, &rules, t0());
        let file = file_offers(&ctx, &submitted, "output/a.csv");
        assert!(file.approve.is_ok() && file.request_changes.is_ok() && file.download.is_ok());
        assert_eq!(
            file.reset_vote.as_ref().map_err(|e| e.code()),
            Err("vote_not_found")
        );
        assert_eq!(
            group_offers(&ctx, &submitted, "default").comment,
            Ok(&[Visibility::Private, Visibility::Public][..])
        );

        let cp = copilot("cp");
        let ctx = Ctx::new(&cp, &rules, t0());
        let offers = group_offers(&ctx, &pending, "default");
        assert!(offers.edit.is_err() && offers.comment.is_err(), "D-a");
    }
}
