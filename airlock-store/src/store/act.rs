//! The one way an action happens: [`Store::act`] (and [`Store::act_view`], which also answers
//! the request as the actor then sees it).
//!
//! Every surface parses its input into an [`Action`] of `airlock_core::action` and calls this
//! entry point with the acting user and the [`Target`]. The store reads what the action needs
//! (the request's state, under its lock, and the workspace's facts about a path), asks
//! `airlock_core::action::run`, and writes the outcome's effects with their audit entries and
//! outbox rows in one transaction. Three actions need more than one step, and the steps are
//! here too: a release first creates the release on the Jobs site (REL-2, REL-3); adding and
//! updating files first copy bytes into the request's file store (FIL-3), outside the
//! transaction so that a large copy never holds the write lock.

use super::file::{current_state, released_hashes};
use super::{OpError, Store};
use crate::db::{self, DbConnection};
use airlock_core::action::{self, Action, AddCandidate, Answer, Facts, Subject};
use airlock_core::view::RequestView;
use airlock_core::{AirlockError, RequestState, User};
use std::path::PathBuf;

/// What an action addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// A request, by id.
    Request(&'a str),
    /// The actor's current request in a workspace (ONE-3), which adding files creates when
    /// there is none (FIL-5).
    Current(&'a str),
}

/// What an action did.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The request acted on: after an add, the current request or the one the add created;
    /// `None` only when an add created nothing and the actor had no current request.
    pub request_id: Option<String>,
    /// The answer of a single action ([`Answer::Done`] for a batch).
    pub answer: Answer,
    /// A batch's result per path, in the order given (empty for other actions).
    pub parts: Vec<(String, airlock_core::Result<()>)>,
    /// For a download: the stored blob to send (REN-9).
    pub blob: Option<PathBuf>,
}

impl Report {
    fn one(request_id: &str, answer: Answer) -> Report {
        Report {
            request_id: Some(request_id.to_string()),
            answer,
            parts: Vec::new(),
            blob: None,
        }
    }

    /// How many parts of a batch succeeded.
    pub fn succeeded(&self) -> usize {
        self.parts.iter().filter(|(_, r)| r.is_ok()).count()
    }
}

impl Store {
    /// Runs `action` by `actor` on `target`: the refusal (nothing written), or what it did. A
    /// batch (adding or updating files) refuses as a whole only for its batch checks (FIL-4
    /// steps 1 to 4); otherwise each path succeeds or fails on its own.
    pub fn act(
        &self,
        actor: &User,
        target: Target<'_>,
        action: &Action,
    ) -> airlock_core::Result<Report> {
        self.act_keeping(actor, target, action, false)
            .map(|(report, _)| report)
    }

    /// As [`Store::act`], also answering the request as `actor` now sees it (`None` when an
    /// add created nothing). The view is built from the state the action left, its effects
    /// applied in memory, without reading the request again. The actor must be able to view
    /// the request: that is checked before the action, so a refusal writes nothing.
    pub fn act_view(
        &self,
        actor: &User,
        target: Target<'_>,
        action: &Action,
    ) -> airlock_core::Result<(Report, Option<RequestView>)> {
        let (report, state) = self.act_keeping(actor, target, action, true)?;
        let view = match (state, &report.request_id) {
            (Some(state), _) => Some(self.view_of(actor, &state)),
            (None, Some(id)) => Some(self.request_view(actor, id)?),
            (None, None) => None,
        };
        Ok((report, view))
    }

    fn act_keeping(
        &self,
        actor: &User,
        target: Target<'_>,
        action: &Action,
        keep_state: bool,
    ) -> airlock_core::Result<(Report, Option<RequestState>)> {
        match (action, target) {
            (Action::AddFiles { .. }, Target::Current(workspace)) => {
                self.add_files(actor, workspace, action).map(|r| (r, None))
            }
            (Action::AddFiles { .. }, Target::Request(_)) => Err(AirlockError::with_message(
                airlock_core::ErrorCode::BadRequest,
                "Files are added to the current request of a workspace.",
            )),
            (Action::UpdateFiles { .. }, target) => {
                let id = self.target_id(actor, target)?;
                self.update_files(actor, &id, action, keep_state)
            }
            (action, target) => {
                let id = self.target_id(actor, target)?;
                if action.needs_jobs_site() {
                    self.create_release(actor, &id)?;
                }
                let (report, state) = self.act_on(actor, &id, action, keep_state)?;
                if action.needs_jobs_site() {
                    self.signal.wake();
                }
                Ok((report, state))
            }
        }
    }

    /// The id of the request a target names: for [`Target::Current`], the actor's current
    /// request (`not_found` when there is none).
    fn target_id(&self, actor: &User, target: Target<'_>) -> airlock_core::Result<String> {
        match target {
            Target::Request(id) => Ok(id.to_string()),
            Target::Current(workspace) => self
                .require_current_request(actor, workspace)
                .map(|state| state.request.id),
        }
    }

    /// A single action on an existing request, in one transaction: lock, load, read the facts,
    /// ask core, write. With `keep_state`, also the state as the action left it.
    pub(crate) fn act_on(
        &self,
        actor: &User,
        request_id: &str,
        action: &Action,
        keep_state: bool,
    ) -> airlock_core::Result<(Report, Option<RequestState>)> {
        let fresh_id = ulid::Ulid::new().to_string();
        let (answer, state, version) = self.transaction(|conn| {
            let mut state = self.locked_state(conn, request_id)?;
            if keep_state {
                // The answer shows the request: refuse before acting when it cannot be seen.
                airlock_core::access::require_view(actor, &state.request.workspace)?;
            }
            let facts = Facts {
                fresh_id: fresh_id.clone(),
                candidate: self.workspace_facts(conn, &state, action, 0)?,
                ..Facts::default()
            };
            let ctx = self.ctx(actor);
            let outcome = action::run(&ctx, Subject::Request(&state), action, &facts)?;
            if keep_state {
                airlock_core::effect::apply(&mut state, outcome.effects());
            }
            let answer = self.write(conn, request_id, outcome)?;
            let version = if keep_state {
                db::request_version(conn, request_id)?
            } else {
                None
            };
            // Tests run debug builds: there, the state kept from memory is checked against
            // what the transaction wrote.
            #[cfg(debug_assertions)]
            if keep_state {
                let written = db::load_request_state(conn, request_id)?;
                debug_assert_eq!(written.as_ref(), Some(&state), "effects applied in memory");
            }
            Ok((answer, state, version))
        })?;
        if let Some(version) = version {
            // After the commit: the aggregate as this action left it.
            self.aggregates
                .put(version, std::sync::Arc::new(state.clone()));
        }
        let mut report = Report::one(request_id, answer);
        if let Answer::Downloaded(file) = &report.answer {
            report.blob = Some(
                self.request_blobs(&state.request.workspace, request_id)?
                    .path(&file.file_id)?,
            );
        }
        Ok((report, keep_state.then_some(state)))
    }

    /// The workspace's facts about the path of part `part` of `action`, when it needs them.
    pub(super) fn workspace_facts(
        &self,
        conn: &mut DbConnection,
        state: &RequestState,
        action: &Action,
        part: usize,
    ) -> Result<Option<AddCandidate>, OpError> {
        let Some(path) = action.workspace_path(part) else {
            return Ok(None);
        };
        match self.workspaces.open(&state.request.workspace) {
            Ok(ws) => {
                let released = released_hashes(conn, ws.name())?;
                Ok(Some(ws.add_candidate(path, &released)))
            }
            Err(_) => Ok(Some(AddCandidate::in_missing_workspace(path))),
        }
    }

    /// The actor's current request in a workspace, read without locking (ONE-3).
    pub(super) fn current_of(
        &self,
        actor: &User,
        workspace: &str,
    ) -> airlock_core::Result<Option<RequestState>> {
        let mut conn = self.conn()?;
        Ok(current_state(&mut conn, workspace, actor)?)
    }
}
