//! Adding and updating files (FIL-3 to FIL-9): the batch actions, which copy bytes from a
//! workspace into the request file store before their transactions.
//!
//! The copy happens *before* the write transaction, so that a 1 GiB file never holds the
//! database write lock: the rules are first asked on a snapshot (a refusal copies nothing), the
//! bytes are streamed into the request's store and checked against the manifest hash (FIL-3),
//! and then the transaction re-reads, asks the rules again and writes. If the request changed in
//! between in a way that matters (another add created the request), the path starts again.

use super::act::Report;
use super::{CONFLICT_RETRIES, OpError, Store};
use crate::blobstore::RequestBlobs;
use crate::db::{self, DbConnection};
use crate::workspace::Workspace;
use airlock_core::action::{self, Action, AddCandidate, Answer, Facts, Subject};
use airlock_core::workspace::ReleasedHashes;
use airlock_core::{AirlockError, RequestState, User};

impl Store {
    /// FIL-4 to FIL-6, FIL-9 ([`Action::AddFiles`]): the batch checks refuse the whole batch;
    /// then each path succeeds or fails on its own, in its own transaction, the first success
    /// creating the request when the actor had none (FIL-5).
    pub(super) fn add_files(
        &self,
        actor: &User,
        workspace: &str,
        add: &Action,
    ) -> airlock_core::Result<Report> {
        self.require_workspace(workspace)?;
        let current = self.current_of(actor, workspace)?;
        let ctx = self.ctx(actor);
        let subject = Subject::Current {
            workspace,
            current: current.as_ref(),
        };
        action::check_batch(&ctx, subject, add)?;
        let ws = self.workspaces.open(workspace)?;
        let mut report = Report {
            request_id: current.map(|s| s.request.id),
            answer: Answer::Done,
            parts: Vec::with_capacity(add.parts()),
            blob: None,
        };
        // The group an earlier path created: the later ones join it (GRP-2, decided by core).
        let mut batch_group: Option<String> = None;
        for part in 0..add.parts() {
            let path = add.part_path(part).unwrap_or_default().to_string();
            let result = self.add_part(actor, &ws, add, part, batch_group.as_deref());
            if let Ok(Answer::Added {
                request,
                group_created,
            }) = &result
            {
                report.request_id = Some(request.id.clone());
                if group_created.is_some() {
                    batch_group.clone_from(group_created);
                }
            }
            report.parts.push((path, result.map(drop)));
        }
        Ok(report)
    }

    /// One path of an add; answers core's [`Answer::Added`].
    fn add_part(
        &self,
        actor: &User,
        ws: &Workspace,
        add: &Action,
        part: usize,
        batch_group: Option<&str>,
    ) -> airlock_core::Result<Answer> {
        let relpath = add.workspace_path(part).unwrap_or_default();
        for _ in 0..CONFLICT_RETRIES {
            let (current, facts) = self.plan_add(actor, ws, relpath, part, batch_group)?;
            let planned_current = current.as_ref().map(|s| s.request.id.clone());
            let request_id = planned_current
                .clone()
                .unwrap_or_else(|| facts.fresh_id.clone());
            let ctx = self.ctx(actor);
            let subject = Subject::Current {
                workspace: ws.name(),
                current: current.as_ref(),
            };
            // Steps 5 to 10 on the snapshot: a refusal copies nothing (D-f).
            action::check(&ctx, subject, add, &facts)?;
            let blobs = self.request_blobs(ws.name(), &request_id)?;
            let candidate = facts
                .candidate
                .clone()
                .unwrap_or_else(|| AddCandidate::in_missing_workspace(relpath));
            let written = copy_in(&blobs, ws, &candidate).and_then(|blob| {
                self.transaction_raw(|conn| {
                    let now_current = db::current_request_id(conn, ws.name(), actor.id())?;
                    if now_current != planned_current {
                        return Err(OpError::Stale);
                    }
                    let current = match &now_current {
                        Some(id) => Some(self.locked_state(conn, id)?),
                        None => None,
                    };
                    let released = released_hashes(conn, ws.name())?;
                    let facts = Facts {
                        candidate: Some(ws.add_candidate(relpath, &released)),
                        ..facts.clone()
                    };
                    let subject = Subject::Current {
                        workspace: ws.name(),
                        current: current.as_ref(),
                    };
                    let outcome = action::run(&self.ctx(actor), subject, add, &facts)?;
                    let answer = self.write(conn, &request_id, outcome)?;
                    seal_blob(conn, ws.name(), &request_id, &blob)?;
                    Ok(answer)
                })
            });
            if written.is_err() && planned_current.is_none() {
                // The fresh request's directory belongs to no request: remove it whole.
                match std::fs::remove_dir_all(blobs.dir()) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot remove an unused request file directory");
                    }
                }
            }
            match written {
                Err(OpError::Stale) => continue,
                other => return other.map_err(AirlockError::from),
            }
        }
        Err(OpError::Stale.into())
    }

    /// Reads what adding `relpath` needs: the current request and the facts of the path (a
    /// fresh id for the request FIL-5 would create).
    fn plan_add(
        &self,
        actor: &User,
        ws: &Workspace,
        relpath: &str,
        part: usize,
        batch_group: Option<&str>,
    ) -> Result<(Option<RequestState>, Facts), OpError> {
        let mut conn = self.conn()?;
        let current = current_state(&mut conn, ws.name(), actor)?;
        let released = released_hashes(&mut conn, ws.name())?;
        let facts = Facts {
            fresh_id: ulid::Ulid::new().to_string(),
            candidate: Some(ws.add_candidate(relpath, &released)),
            part,
            batch_group: batch_group.map(str::to_string),
        };
        Ok((current, facts))
    }

    /// FIL-7 ([`Action::UpdateFiles`]): replaces each file's content with the workspace's
    /// changed content, in one transaction with one report. Each path is checked on a snapshot
    /// and its bytes copied first; in the transaction each path is asked again against the
    /// state the earlier paths left, and a refused path changes nothing.
    pub(super) fn update_files(
        &self,
        actor: &User,
        request_id: &str,
        update: &Action,
        keep_state: bool,
    ) -> airlock_core::Result<(Report, Option<RequestState>)> {
        let snapshot = self.get_request_state(actor, request_id)?;
        let workspace = snapshot.request.workspace.clone();
        let ws = self.workspaces.open(&workspace).ok();
        let ctx = self.ctx(actor);
        // Checked and copied before the transaction; a refusal copies nothing.
        let mut copied = Vec::with_capacity(update.parts());
        for part in 0..update.parts() {
            let facts = {
                let mut conn = self.conn()?;
                Facts {
                    candidate: self.workspace_facts(&mut conn, &snapshot, update, part)?,
                    part,
                    ..Facts::default()
                }
            };
            let copy =
                action::check(&ctx, Subject::Request(&snapshot), update, &facts).and_then(|()| {
                    let (Some(ws), Some(candidate)) = (&ws, &facts.candidate) else {
                        return Err(AirlockError::not_found());
                    };
                    let blobs = self.request_blobs(&workspace, request_id)?;
                    copy_in(&blobs, ws, candidate).map_err(AirlockError::from)
                });
            copied.push(copy);
        }
        let (parts, state) = self.transaction(|conn| {
            let mut state = self.locked_state(conn, request_id)?;
            let mut parts = Vec::with_capacity(copied.len());
            for (part, copy) in copied.iter().enumerate() {
                let path = update.part_path(part).unwrap_or_default().to_string();
                let blob = match copy {
                    Ok(blob) => blob,
                    Err(e) => {
                        parts.push((path, Err(e.clone())));
                        continue;
                    }
                };
                let facts = Facts {
                    candidate: self.workspace_facts(conn, &state, update, part)?,
                    part,
                    ..Facts::default()
                };
                match action::run(&self.ctx(actor), Subject::Request(&state), update, &facts) {
                    Ok(outcome) => {
                        airlock_core::effect::apply(&mut state, outcome.effects());
                        self.write(conn, request_id, outcome)?;
                        seal_blob(conn, &workspace, request_id, blob)?;
                        parts.push((path, Ok(())));
                    }
                    Err(e) => parts.push((path, Err(e))),
                }
            }
            Ok((parts, state))
        })?;
        let report = Report {
            request_id: Some(request_id.to_string()),
            answer: Answer::Done,
            parts,
            blob: None,
        };
        Ok((report, keep_state.then_some(state)))
    }
}

/// FIL-3: streams the candidate's bytes into the request's file store and checks them against
/// the manifest hash (`hash_mismatch`; nothing becomes visible on a mismatch).
fn copy_in(
    blobs: &RequestBlobs,
    ws: &Workspace,
    candidate: &AddCandidate,
) -> Result<crate::blobstore::Blob, OpError> {
    let (mut file, _) = ws
        .open_file(&candidate.relpath)
        .map_err(AirlockError::from)?;
    Ok(blobs
        .put_reader(&mut file, candidate.content_hash.as_deref())
        .map_err(AirlockError::from)?)
}

/// UPL-2: records the identity of a blob this operation wrote and verified.
fn seal_blob(
    conn: &mut DbConnection,
    workspace: &str,
    request_id: &str,
    blob: &crate::blobstore::Blob,
) -> Result<(), OpError> {
    if let Some(seal) = &blob.seal {
        let key = db::upload::blob_key(workspace, request_id, &blob.hash);
        db::upload::put_seal(conn, &key, seal)?;
    }
    Ok(())
}

/// The user's current request in a workspace (ONE-3), read without locking.
pub(super) fn current_state(
    conn: &mut DbConnection,
    workspace: &str,
    actor: &User,
) -> Result<Option<RequestState>, OpError> {
    match db::current_request_id(conn, workspace, actor.id())? {
        Some(id) => Ok(db::load_request_state(conn, &id)?),
        None => Ok(None),
    }
}

/// The content hashes released from a workspace (WS-5 row 2).
pub(super) fn released_hashes(
    conn: &mut DbConnection,
    workspace: &str,
) -> Result<ReleasedHashes, OpError> {
    Ok(ReleasedHashes::from_hex(db::released_hashes(
        conn, workspace,
    )?))
}
