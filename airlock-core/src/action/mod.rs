//! Every action on a request, as data ([`Action`]), and the one function that runs an action
//! against a request's state ([`run`]).
//!
//! A surface (the web pages, the JSON API, the CLI) parses its input into an [`Action`]; the
//! store reads the request's state and the [`Facts`] the action needs from the workspace, asks
//! [`run`], and writes the [`Outcome`]'s effects in one transaction. [`run`] checks the rules in
//! the order the specification gives and answers the refusal, or the list of [`Effect`]s and an
//! [`Answer`]. A refused action has no effect at all (§0.2). Only this module builds an
//! [`Outcome`], so whatever a store writes was decided here.
//!
//! The upload worker's steps (claiming an attempt, its success or failure, completion) are
//! not a person's actions; they are [`UploadStep`]s, run by [`run_upload`].
//!
//! Files: `lifecycle.rs` (§7, REV-10 to REV-12, OPS-1), `file.rs` (§8, §9), `comment.rs`
//! (§10), `vote.rs` (§11), `release.rs` (§16), `directory.rs` (the OPS-2 plan),
//! `common.rs` (audit entries, notifications and turns every action shares).

mod comment;
mod common;
mod directory;
mod file;
mod lifecycle;
mod release;
mod vote;

pub use directory::{
    DirFile, DirFileAction, DirGroup, DirPlan, DirPrecheck, check_directory_options,
    plan_directories, precheck_directories,
};
pub use file::{AddCandidate, GroupTarget, normalise_group_name};
pub use release::{
    ERROR_CHARS, ReleaseFile, Retry, UploadProgress, check_release, due_uploads, is_stuck,
    release_body, retry_after_failure, stuck_after, upload_due, upload_progress,
};
pub use vote::GroupVoteCounts;

use crate::context::{Ctx, Rules};
use crate::effect::Effect;
use crate::error::{AirlockError, ErrorCode, Result};
use crate::model::VoteStatus;
use crate::model::{Comment, FileType, Request, RequestFile, RequestState, Timestamp, Visibility};
use crate::status::Status;

/// A group chosen for files (GRP-2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupChoice {
    /// An existing group by name, or a new group of that name when none exists.
    Named(String),
    /// A new group: refused with `group_exists` when the name is taken.
    New(String),
}

impl GroupChoice {
    fn target(&self) -> GroupTarget<'_> {
        match self {
            GroupChoice::Named(name) => GroupTarget::Named(name),
            GroupChoice::New(name) => GroupTarget::New(name),
        }
    }
}

/// One file of an add (FIL-4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    /// The workspace path.
    pub path: String,
    /// OUTPUT or SUPPORTING.
    pub filetype: FileType,
}

/// Every action a person (or an operator on a person's behalf) takes on a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// SUB-1 to SUB-3: submit (PENDING) or resubmit (RETURNED).
    Submit,
    /// SUB-4: the author withdraws the request.
    Withdraw,
    /// REV-10, REV-11: a reviewer submits their review.
    SubmitReview,
    /// RET-1 to RET-4: a reviewer returns the request (early, or after review).
    Return,
    /// REJ-1: a reviewer rejects a REVIEWED request.
    Reject,
    /// REL-1, REL-4, REL-5: record a release that the Jobs site accepted. The store checks it
    /// ([`check`]) and creates the release on the Jobs site before it runs it (REL-2, REL-3).
    Release,
    /// GRP-3: the author edits a group's context and controls.
    EditGroup {
        /// The group.
        group: String,
        /// The new context.
        context: String,
        /// The new controls.
        controls: String,
    },
    /// COM-2, COM-3: post a comment; its id is the run's [`Facts::fresh_id`].
    Comment {
        /// The group.
        group: String,
        /// Markdown text.
        text: String,
        /// The chosen visibility; `None` takes the default of COM-2.
        visibility: Option<Visibility>,
        /// The request file it is posted from, by path (COM-3).
        file: Option<String>,
    },
    /// COM-4: delete one's own comment of the current turn, found by id in the request (in
    /// `group` when a page names it).
    DeleteComment {
        /// The comment id.
        comment: String,
        /// The group the comment must be in, when the caller names one.
        group: Option<String>,
    },
    /// COM-5: make one's own private comment of the current turn public.
    PublishComment {
        /// The comment id.
        comment: String,
        /// The group the comment must be in, when the caller names one.
        group: Option<String>,
    },
    /// REV-2: approve or request changes on an output file.
    Vote {
        /// The file.
        path: String,
        /// APPROVED or CHANGES_REQUESTED (REV-4: never UNDECIDED).
        vote: VoteStatus,
    },
    /// REV-3: reset one's vote on a file.
    ResetVote {
        /// The file.
        path: String,
    },
    /// REV-5.1: request changes on every undecided output file of a group.
    RequestChangesOnGroup {
        /// The group.
        group: String,
    },
    /// REV-5.2: reset one's votes on a group.
    ResetVotesOnGroup {
        /// The group.
        group: String,
    },
    /// FIL-4 to FIL-6, FIL-9: add workspace files to the actor's current request, creating it
    /// with the first path that succeeds (FIL-5). A batch: each path is its own part with its
    /// own result, each in its own transaction.
    AddFiles {
        /// The group they go to.
        group: GroupChoice,
        /// The files.
        files: Vec<NewFile>,
    },
    /// FIL-7: pull the changed workspace content of files into the request. A batch: each path
    /// is its own part with its own result.
    UpdateFiles {
        /// The paths.
        paths: Vec<String>,
    },
    /// FIL-8: withdraw a file.
    WithdrawFile {
        /// The file.
        path: String,
    },
    /// FIL-10: move a file to another group and/or change its type.
    ChangeFile {
        /// The file.
        path: String,
        /// The group to move to (created when missing).
        group: Option<String>,
        /// The new type.
        filetype: Option<FileType>,
    },
    /// REN-9: download a request file (its REQUEST_FILE_DOWNLOAD entry).
    Download {
        /// The file.
        path: String,
    },
    /// OPS-1: an operator forces an active request to REJECTED or WITHDRAWN (run with an
    /// automated [`Ctx`]).
    ForceStatus {
        /// REJECTED or WITHDRAWN.
        to: Status,
    },
}

impl Action {
    /// How many parts the action has: the paths of a batch ([`Action::AddFiles`],
    /// [`Action::UpdateFiles`]), else one.
    pub fn parts(&self) -> usize {
        match self {
            Action::AddFiles { files, .. } => files.len(),
            Action::UpdateFiles { paths } => paths.len(),
            _ => 1,
        }
    }

    /// Whether the action is a batch of paths, each with its own result.
    pub fn is_batch(&self) -> bool {
        matches!(self, Action::AddFiles { .. } | Action::UpdateFiles { .. })
    }

    /// The workspace path whose [`AddCandidate`] part `part` of the action needs in its
    /// [`Facts`]: the added or updated path, or the moved or retyped file (FIL-10 asks whether
    /// its workspace copy was released).
    pub fn workspace_path(&self, part: usize) -> Option<&str> {
        match self {
            Action::AddFiles { files, .. } => files.get(part).map(|f| f.path.as_str()),
            Action::UpdateFiles { paths } => paths.get(part).map(String::as_str),
            Action::ChangeFile { path, .. } => Some(path),
            _ => None,
        }
    }

    /// The path of part `part`, for a batch's per-path report.
    pub fn part_path(&self, part: usize) -> Option<&str> {
        match self {
            Action::AddFiles { .. } | Action::UpdateFiles { .. } => self.workspace_path(part),
            _ => None,
        }
    }

    /// Whether the store must create the release on the Jobs site before running the action
    /// (REL-2, REL-3).
    pub fn needs_jobs_site(&self) -> bool {
        matches!(self, Action::Release)
    }

    /// Whether the action copies bytes from the workspace into the request's store first
    /// (FIL-3).
    pub fn copies_files(&self) -> bool {
        self.is_batch()
    }

    /// Whether running it may create a request (FIL-5).
    pub fn may_create_request(&self) -> bool {
        matches!(self, Action::AddFiles { .. })
    }
}

/// What an action runs on.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    /// An existing request.
    Request(&'a RequestState),
    /// The actor's current request in a workspace, if they have one (ONE-3): adding files
    /// creates it (FIL-5); other actions need it.
    Current {
        /// The workspace.
        workspace: &'a str,
        /// The current request.
        current: Option<&'a RequestState>,
    },
}

impl<'a> Subject<'a> {
    /// The request, or `not_found` (naming the workspace) when there is none.
    fn request(self) -> Result<&'a RequestState> {
        match self {
            Subject::Request(state)
            | Subject::Current {
                current: Some(state),
                ..
            } => Ok(state),
            Subject::Current {
                workspace,
                current: None,
            } => Err(AirlockError::with_message(
                ErrorCode::NotFound,
                format!("You have no current request in workspace {workspace}."),
            )),
        }
    }
}

/// What the store reads for an action besides the request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// A fresh id for what the action creates: a comment (COM-1) or a request (FIL-5). Core
    /// has no randomness; the caller chooses it.
    pub fresh_id: String,
    /// What the workspace says about [`Action::workspace_path`] of this part.
    pub candidate: Option<AddCandidate>,
    /// The part of a batch this run takes.
    pub part: usize,
    /// For an add batch: the group an earlier part created ([`Answer::Added`]); GRP-2 makes
    /// the later parts join it instead of refusing it as existing.
    pub batch_group: Option<String>,
}

/// What an allowed action answers besides its effects.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Done; nothing more to say.
    Done,
    /// RET-1: returned; `early` when fewer than N reviews were in (RET-3).
    Returned {
        /// The return was early.
        early: bool,
    },
    /// REV-11: the number of reviews submitted this turn.
    Reviewed {
        /// Reviews submitted.
        reviews: usize,
    },
    /// REV-5: the counts of a group vote action.
    GroupVotes(GroupVoteCounts),
    /// COM-3: the stored comment.
    Commented(Comment),
    /// REN-9: the file to download.
    Downloaded(RequestFile),
    /// REL-4: the number of OUTPUT files in the release.
    Released {
        /// Files released.
        files: usize,
    },
    /// FIL-4: the request the file went to, and the group this part created (GRP-2), if any.
    Added {
        /// The request (created by this part when the actor had none, FIL-5).
        request: Request,
        /// The new group this part created.
        group_created: Option<String>,
    },
}

/// The effects of an allowed action, plus a value for the caller. Built only by this module.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome<T = Answer> {
    effects: Vec<Effect>,
    value: T,
}

impl<T> Outcome<T> {
    fn new(effects: Vec<Effect>, value: T) -> Self {
        Outcome { effects, value }
    }

    /// What to write, in order.
    pub fn effects(&self) -> &[Effect] {
        &self.effects
    }

    /// The value for the caller.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// The effects and the value.
    pub fn into_parts(self) -> (Vec<Effect>, T) {
        (self.effects, self.value)
    }

    fn map<U>(self, f: impl FnOnce(T) -> U) -> Outcome<U> {
        Outcome {
            effects: self.effects,
            value: f(self.value),
        }
    }
}

impl Outcome<()> {
    fn of(effects: Vec<Effect>) -> Self {
        Outcome { effects, value: () }
    }
}

/// Runs `action` (part [`Facts::part`] of it, for a batch) by `ctx.actor` on `subject`: the
/// refusal, or the effects to write and the answer.
pub fn run(ctx: &Ctx<'_>, subject: Subject<'_>, action: &Action, facts: &Facts) -> Result<Outcome> {
    if let Action::AddFiles { group, files } = action {
        return add_part(ctx, subject, group, files, facts);
    }
    let state = subject.request()?;
    let done = |o: Outcome<()>| o.map(|()| Answer::Done);
    Ok(match action {
        Action::Submit => done(lifecycle::submit(ctx, state)?),
        Action::Withdraw => done(lifecycle::withdraw_request(ctx, state)?),
        Action::SubmitReview => {
            lifecycle::submit_review(ctx, state)?.map(|reviews| Answer::Reviewed { reviews })
        }
        Action::Return => {
            lifecycle::return_request(ctx, state)?.map(|early| Answer::Returned { early })
        }
        Action::Reject => done(lifecycle::reject(ctx, state)?),
        Action::Release => {
            release::commit_release(ctx, state)?.map(|files| Answer::Released { files })
        }
        Action::ForceStatus { to } => done(lifecycle::force_status(ctx, state, *to)?),
        Action::EditGroup {
            group,
            context,
            controls,
        } => done(file::edit_group(ctx, state, group, context, controls)?),
        Action::Comment {
            group,
            text,
            visibility,
            file,
        } => comment::create_comment(
            ctx,
            state,
            &comment::NewComment {
                id: &facts.fresh_id,
                group,
                text,
                visibility: *visibility,
                file: file.as_deref(),
            },
        )?
        .map(Answer::Commented),
        Action::DeleteComment { comment, group } => done(comment::delete_comment(
            ctx,
            state,
            group.as_deref(),
            comment,
        )?),
        Action::PublishComment { comment, group } => done(comment::make_comment_public(
            ctx,
            state,
            group.as_deref(),
            comment,
        )?),
        Action::Vote { path, vote } => done(vote::vote(ctx, state, path, *vote)?),
        Action::ResetVote { path } => done(vote::reset_vote(ctx, state, path)?),
        Action::RequestChangesOnGroup { group } => {
            vote::group_request_changes(ctx, state, group)?.map(Answer::GroupVotes)
        }
        Action::ResetVotesOnGroup { group } => {
            vote::group_reset_votes(ctx, state, group)?.map(Answer::GroupVotes)
        }
        Action::UpdateFiles { paths } => {
            paths.get(facts.part).ok_or_else(no_such_part)?;
            let candidate = facts.candidate.as_ref().ok_or_else(missing_facts)?;
            done(file::update_file(ctx, state, candidate)?)
        }
        Action::WithdrawFile { path } => done(file::withdraw_file(ctx, state, path)?),
        Action::ChangeFile {
            path,
            group,
            filetype,
        } => {
            // WS-5 row 2: a workspace or path that is gone counts as not released.
            let released = facts.candidate.as_ref().is_some_and(|c| c.released);
            let group = group.as_deref().map(GroupTarget::Named);
            done(file::change_properties(
                ctx, state, path, group, *filetype, released,
            )?)
        }
        Action::Download { path } => file::download_file(ctx, state, path)?.map(Answer::Downloaded),
        Action::AddFiles { group, files } => {
            add_part(ctx, Subject::Request(state), group, files, facts)?
        }
    })
}

/// One part of [`Action::AddFiles`]: its path, into the group the batch has reached.
fn add_part(
    ctx: &Ctx<'_>,
    subject: Subject<'_>,
    group: &GroupChoice,
    files: &[NewFile],
    facts: &Facts,
) -> Result<Outcome> {
    let (workspace, current) = match subject {
        Subject::Request(state) => (state.request.workspace.as_str(), Some(state)),
        Subject::Current { workspace, current } => (workspace, current),
    };
    let file = files.get(facts.part).ok_or_else(no_such_part)?;
    let candidate = facts.candidate.as_ref().ok_or_else(missing_facts)?;
    // GRP-2: after a part created the batch's new group, the later parts go into it.
    let group = match (&facts.batch_group, group) {
        (Some(created), _) => GroupTarget::Named(created),
        (None, group) => group.target(),
    };
    let outcome = file::add_file(
        ctx,
        workspace,
        current,
        &facts.fresh_id,
        group,
        candidate,
        file.filetype,
    )?;
    Ok(outcome.map(|(request, group_created)| Answer::Added {
        request,
        group_created,
    }))
}

/// The checks of a batch as a whole, before any part runs (FIL-4 steps 1 to 4 for an add: view,
/// `can_action`, an editable current request, a valid group). A refusal here refuses the whole
/// batch; parts then succeed or fail on their own. Other actions have no batch checks.
pub fn check_batch(ctx: &Ctx<'_>, subject: Subject<'_>, action: &Action) -> Result<()> {
    match action {
        Action::AddFiles { group, .. } => {
            let (workspace, current) = match subject {
                Subject::Request(state) => (state.request.workspace.as_str(), Some(state)),
                Subject::Current { workspace, current } => (workspace, current),
            };
            file::check_add_batch(ctx, workspace, current, group.target())
        }
        _ => Ok(()),
    }
}

/// Whether `action` would be accepted now: [`run`] without keeping its effects. Pages offer an
/// action exactly when this answers `Ok` (PG-1), and the store checks a release with it before
/// calling the Jobs site (REL-1).
pub fn check(ctx: &Ctx<'_>, subject: Subject<'_>, action: &Action, facts: &Facts) -> Result<()> {
    run(ctx, subject, action, facts).map(drop)
}

fn no_such_part() -> AirlockError {
    AirlockError::with_message(ErrorCode::BadRequest, "The batch has no such part.")
}

fn missing_facts() -> AirlockError {
    AirlockError::with_message(
        ErrorCode::Internal,
        "The workspace was not read for this action.",
    )
}

/// A step of the upload worker on a released request (§16); not a person's action.
#[derive(Debug, Clone, PartialEq)]
pub enum UploadStep {
    /// UPL-2: claim an attempt of a due file until `until` (`Answer::Done` when claimed;
    /// refused with `not_found` when it is not due).
    Claim {
        /// The file.
        path: String,
        /// The end of the claim.
        until: Timestamp,
    },
    /// UPL-3: the upload succeeded.
    Succeeded {
        /// The file.
        path: String,
    },
    /// UPL-4: the upload failed; `unit_random` in [0, 1) draws the jitter.
    Failed {
        /// The file.
        path: String,
        /// A short description.
        error: String,
        /// The jitter's random number.
        unit_random: f64,
    },
    /// UPL-7: the stored blob cannot be sent as it is (stuck at once).
    Blocked {
        /// The file.
        path: String,
        /// Why.
        error: String,
    },
    /// UPL-5: an APPROVED request whose released files are all uploaded becomes RELEASED.
    Complete,
    /// OPS-5: the operator's retry: the pending files are due now.
    Retry,
}

/// What an upload step answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadAnswer {
    /// The step was recorded.
    Done,
    /// [`UploadStep::Claim`]: the file was not due (uploaded, claimed elsewhere, or no longer
    /// APPROVED); nothing to write.
    NotDue,
    /// [`UploadStep::Complete`]: whether the request became RELEASED.
    Completed(bool),
    /// [`UploadStep::Retry`]: the number of files made due.
    Retried(usize),
}

/// Runs an upload step on a request at `now`.
pub fn run_upload(
    state: &RequestState,
    step: &UploadStep,
    now: Timestamp,
    rules: &Rules,
) -> Result<Outcome<UploadAnswer>> {
    let done = |o: Outcome<()>| o.map(|()| UploadAnswer::Done);
    Ok(match step {
        UploadStep::Claim { path, until } => match release::claim_upload(state, path, now, *until)?
        {
            Some(outcome) => done(outcome),
            None => Outcome::new(Vec::new(), UploadAnswer::NotDue),
        },
        UploadStep::Succeeded { path } => done(release::upload_succeeded(state, path, now)?),
        UploadStep::Failed {
            path,
            error,
            unit_random,
        } => done(release::upload_failed(
            state,
            path,
            now,
            error,
            rules,
            *unit_random,
        )?),
        UploadStep::Blocked { path, error } => {
            done(release::upload_blocked(state, path, now, error, rules)?)
        }
        UploadStep::Complete => match release::complete_if_uploaded(state, now) {
            Some(outcome) => outcome.map(|()| UploadAnswer::Completed(true)),
            None => Outcome::new(Vec::new(), UploadAnswer::Completed(false)),
        },
        UploadStep::Retry => release::retry_uploads(state, now).map(UploadAnswer::Retried),
    })
}

#[cfg(test)]
mod tests;
