//! Request-level actions: group edits, comments, votes, submission, review, return, rejection,
//! withdrawal, release bookkeeping and the operator's forced status. Each is one transaction
//! (see [`Store`]); the rules are `airlock_core::ops`.

use super::{OpError, Store};
use crate::db;
use airlock_core::ops::{self, GroupVoteCounts, NewComment, Outcome};
use airlock_core::{
    AirlockError, Comment, ErrorCode, Status, Timestamp, User, Visibility, VoteStatus,
};

/// A new comment as a caller gives it (COM-2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentInput {
    /// Target group.
    pub group: String,
    /// Markdown text.
    pub text: String,
    /// Chosen visibility; `None` takes the default.
    pub visibility: Option<Visibility>,
    /// The file the comment was posted from, if any.
    pub file: Option<String>,
}

impl Store {
    /// REN-9: the request file to download and the path of its stored blob, after writing its
    /// REQUEST_FILE_DOWNLOAD entry.
    pub fn download_file(
        &self,
        actor: &User,
        request_id: &str,
        relpath: &str,
    ) -> airlock_core::Result<(airlock_core::RequestFile, std::path::PathBuf)> {
        let (file, workspace) = self.act(actor, request_id, |ctx, state| {
            let outcome = ops::download_file(ctx, state, relpath)?;
            Ok(Outcome {
                effects: outcome.effects,
                value: (outcome.value, state.request.workspace.clone()),
            })
        })?;
        let blob = self
            .request_blobs(&workspace, request_id)?
            .path(&file.file_id)?;
        Ok((file, blob))
    }

    /// GRP-3: edit a group's context and controls.
    pub fn edit_group(
        &self,
        actor: &User,
        request_id: &str,
        group: &str,
        context: &str,
        controls: &str,
    ) -> airlock_core::Result<()> {
        self.act(actor, request_id, |ctx, state| {
            ops::edit_group(ctx, state, group, context, controls)
        })
    }

    /// FIL-8: withdraw a file from the request.
    pub fn withdraw_file(
        &self,
        actor: &User,
        request_id: &str,
        relpath: &str,
    ) -> airlock_core::Result<()> {
        self.act(actor, request_id, |ctx, state| {
            ops::withdraw_file(ctx, state, relpath)
        })
    }

    /// COM-2, COM-3: post a comment. Returns the stored comment.
    pub fn create_comment(
        &self,
        actor: &User,
        request_id: &str,
        input: &CommentInput,
    ) -> airlock_core::Result<Comment> {
        let id = ulid::Ulid::new().to_string();
        self.act(actor, request_id, |ctx, state| {
            ops::create_comment(
                ctx,
                state,
                &NewComment {
                    id: &id,
                    group: &input.group,
                    text: &input.text,
                    visibility: input.visibility,
                    file: input.file.as_deref(),
                },
            )
        })
    }

    /// COM-4: delete a comment.
    pub fn delete_comment(
        &self,
        actor: &User,
        request_id: &str,
        group: &str,
        comment_id: &str,
    ) -> airlock_core::Result<()> {
        self.act(actor, request_id, |ctx, state| {
            ops::delete_comment(ctx, state, group, comment_id)
        })
    }

    /// COM-5: make a private comment public.
    pub fn make_comment_public(
        &self,
        actor: &User,
        request_id: &str,
        group: &str,
        comment_id: &str,
    ) -> airlock_core::Result<()> {
        self.act(actor, request_id, |ctx, state| {
            ops::make_comment_public(ctx, state, group, comment_id)
        })
    }

    /// REV-1 to REV-3: approve or request changes on an output file.
    pub fn vote(
        &self,
        actor: &User,
        request_id: &str,
        relpath: &str,
        status: VoteStatus,
    ) -> airlock_core::Result<()> {
        self.act(actor, request_id, |ctx, state| {
            ops::vote(ctx, state, relpath, status)
        })
    }

    /// REV-3: withdraw one's vote on a file.
    pub fn reset_vote(
        &self,
        actor: &User,
        request_id: &str,
        relpath: &str,
    ) -> airlock_core::Result<()> {
        self.act(actor, request_id, |ctx, state| {
            ops::reset_vote(ctx, state, relpath)
        })
    }

    /// REV-5.1: request changes on every undecided output file of a group.
    pub fn group_request_changes(
        &self,
        actor: &User,
        request_id: &str,
        group: &str,
    ) -> airlock_core::Result<GroupVoteCounts> {
        self.act(actor, request_id, |ctx, state| {
            ops::group_request_changes(ctx, state, group)
        })
    }

    /// REV-5.2: reset one's votes on a group.
    pub fn group_reset_votes(
        &self,
        actor: &User,
        request_id: &str,
        group: &str,
    ) -> airlock_core::Result<GroupVoteCounts> {
        self.act(actor, request_id, |ctx, state| {
            ops::group_reset_votes(ctx, state, group)
        })
    }

    /// SUB-1 to SUB-4: submit or resubmit the request for review.
    pub fn submit(&self, actor: &User, request_id: &str) -> airlock_core::Result<()> {
        self.act(actor, request_id, ops::submit)
    }

    /// ST rules: the author withdraws the request.
    pub fn withdraw_request(&self, actor: &User, request_id: &str) -> airlock_core::Result<()> {
        self.act(actor, request_id, ops::withdraw_request)
    }

    /// REJ rules: a reviewer rejects a REVIEWED request.
    pub fn reject(&self, actor: &User, request_id: &str) -> airlock_core::Result<()> {
        self.act(actor, request_id, ops::reject)
    }

    /// RET-1 to RET-3: return the request to its author. True when it was an early return.
    pub fn return_request(&self, actor: &User, request_id: &str) -> airlock_core::Result<bool> {
        self.act(actor, request_id, ops::return_request)
    }

    /// REV-9 and ST-3: submit one's review. Returns the number of submitted reviews this turn.
    pub fn submit_review(&self, actor: &User, request_id: &str) -> airlock_core::Result<usize> {
        self.act(actor, request_id, ops::submit_review)
    }

    /// REL-1, REL-4, REL-5: record a release the Jobs site accepted: mark the OUTPUT files
    /// released and move a REVIEWED request to APPROVED. Returns the number of files newly
    /// marked. The caller creates the release on the Jobs site first (REL-2, REL-3).
    pub fn commit_release(&self, actor: &User, request_id: &str) -> airlock_core::Result<usize> {
        self.act(actor, request_id, ops::commit_release)
    }

    /// REL-1 and REL-2 without writing: the OUTPUT file paths a release would send, by path.
    pub fn release_files(
        &self,
        actor: &User,
        request_id: &str,
    ) -> airlock_core::Result<Vec<airlock_core::RequestFile>> {
        let state = self.get_request_state(actor, request_id)?;
        let ctx = self.ctx(actor);
        Ok(ops::check_release(&ctx, &state)?
            .into_iter()
            .cloned()
            .collect())
    }

    /// UPL-3 and UPL-5: an upload succeeded; an APPROVED request whose released files are all
    /// uploaded becomes RELEASED in the same transaction. True when the request became RELEASED.
    pub fn upload_succeeded(&self, request_id: &str, relpath: &str) -> airlock_core::Result<bool> {
        self.transaction(|conn| {
            let state = self.locked_state(conn, request_id)?;
            let now = self.now();
            let outcome = ops::upload_succeeded(&state, relpath, now)?;
            let mut next = state;
            airlock_core::effect::apply(&mut next, &outcome.effects);
            self.write(conn, request_id, outcome)?;
            match ops::complete_if_uploaded(&next, now) {
                Some(done) => self.write(conn, request_id, done).map(|()| true),
                None => Ok(false),
            }
        })
    }

    /// UPL-4: an upload failed; schedules the next attempt with backoff. `unit_random` is a
    /// uniform number in [0, 1) for the jitter.
    pub fn upload_failed(
        &self,
        request_id: &str,
        relpath: &str,
        error: &str,
        unit_random: f64,
    ) -> airlock_core::Result<()> {
        self.act_system(request_id, |state, now| {
            ops::upload_failed(state, relpath, now, error, &self.rules, unit_random)
        })
    }

    /// OPS-1: an operator forces an active request to REJECTED or WITHDRAWN, attributed to the
    /// local user `username` and marked `automated_action`.
    pub fn force_status(
        &self,
        username: &str,
        request_id: &str,
        to: Status,
    ) -> airlock_core::Result<()> {
        self.transaction(|conn| {
            let Some((user, _)) = db::get_user(conn, username)? else {
                return Err(OpError::Refused(AirlockError::with_message(
                    ErrorCode::NotFound,
                    format!("No user {username:?} in the local user table."),
                )));
            };
            let state = self.locked_state(conn, request_id)?;
            let ctx = self.ctx(&user).automated(true);
            let outcome = ops::force_status(&ctx, &state, to)?;
            self.write(conn, request_id, outcome)
        })
    }

    /// An action by the system (the upload worker) rather than a user.
    fn act_system(
        &self,
        request_id: &str,
        rule: impl Fn(&airlock_core::RequestState, Timestamp) -> airlock_core::Result<Outcome>,
    ) -> airlock_core::Result<()> {
        self.transaction(|conn| {
            let state = self.locked_state(conn, request_id)?;
            let outcome = rule(&state, self.now())?;
            self.write(conn, request_id, outcome)
        })
    }
}
