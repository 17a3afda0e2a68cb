//! Adding and updating files (FIL-3 to FIL-10): the actions that copy bytes from a workspace
//! into the request file store.
//!
//! The copy happens *before* the write transaction, so that a 1 GiB file never holds the
//! database write lock: the rules are first asked on a snapshot (a refusal copies nothing), the
//! bytes are streamed into the request's store and checked against the manifest hash (FIL-3),
//! and then the transaction re-reads, asks the rules again and writes. If the request changed in
//! between in a way that matters (another add created the request), the whole path starts again.

use super::{CONFLICT_RETRIES, OpError, Store};
use crate::blobstore::RequestBlobs;
use crate::db::{self, DbConnection};
use crate::workspace::Workspace;
use airlock_core::ops::{self, AddCandidate, GroupTarget, normalise_group_name};
use airlock_core::workspace::ReleasedHashes;
use airlock_core::{AirlockError, FileType, RequestState, User};

/// One path of an add batch (FIL-4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddItem {
    /// The workspace path.
    pub relpath: String,
    /// OUTPUT or SUPPORTING.
    pub filetype: FileType,
}

impl AddItem {
    /// A path to add as `filetype`.
    pub fn new(relpath: impl Into<String>, filetype: FileType) -> Self {
        AddItem {
            relpath: relpath.into(),
            filetype,
        }
    }
}

/// The result of an add batch: one result per path, in order (FIL-4).
#[derive(Debug)]
pub struct AddReport {
    /// The request the files went to: the current request, or the one the first successful
    /// path created (FIL-5). `None` when there was none and nothing was added.
    pub request_id: Option<String>,
    /// Per path: added, or why not.
    pub results: Vec<(String, airlock_core::Result<()>)>,
}

impl AddReport {
    /// How many paths were added.
    pub fn added(&self) -> usize {
        self.results.iter().filter(|(_, r)| r.is_ok()).count()
    }
}

/// What one path's add read before copying.
struct Plan {
    /// The current request when the path was planned.
    current: Option<RequestState>,
    /// The id the file goes to: the current request's, or a fresh one (FIL-5).
    request_id: String,
    candidate: AddCandidate,
}

impl Store {
    /// FIL-4 to FIL-6, FIL-9: adds paths of a workspace to the user's current request,
    /// creating it with the first successful path (FIL-5). The batch checks (steps 1 to 4) refuse
    /// the whole batch; then each path succeeds or fails on its own, in its own transaction.
    pub fn add_files(
        &self,
        actor: &User,
        workspace: &str,
        group: GroupTarget<'_>,
        items: &[AddItem],
    ) -> airlock_core::Result<AddReport> {
        self.require_workspace(workspace)?;
        let mut conn = self.conn()?;
        let current = current_state(&mut conn, workspace, actor)?;
        drop(conn);
        let ctx = self.ctx(actor);
        ops::check_add_batch(&ctx, workspace, current.as_ref(), group)?;
        let ws = self.workspaces.open(workspace)?;
        let mut report = AddReport {
            request_id: current.map(|s| s.request.id),
            results: Vec::with_capacity(items.len()),
        };
        // After the first success a new group exists: later paths go into it (GRP-2 would
        // otherwise refuse them with `group_exists`).
        let mut created_group: Option<String> = None;
        for item in items {
            let target = match (&created_group, group) {
                (Some(name), _) => GroupTarget::Named(name),
                (None, target) => target,
            };
            let result = self.add_one(actor, &ws, target, item);
            if let Ok(request_id) = &result {
                report.request_id = Some(request_id.clone());
                if let GroupTarget::New(name) = group {
                    created_group = normalise_group_name(name).ok();
                }
            }
            report
                .results
                .push((item.relpath.clone(), result.map(drop)));
        }
        Ok(report)
    }

    /// One path of a batch; returns the id of the request it went to.
    fn add_one(
        &self,
        actor: &User,
        ws: &Workspace,
        group: GroupTarget<'_>,
        item: &AddItem,
    ) -> airlock_core::Result<String> {
        for _ in 0..CONFLICT_RETRIES {
            let plan = self.plan_add(actor, ws, &item.relpath)?;
            let ctx = self.ctx(actor);
            // Steps 5 to 10 on the snapshot: a refusal copies nothing (D-f).
            ops::add_file(
                &ctx,
                ws.name(),
                plan.current.as_ref(),
                &plan.request_id,
                group,
                &plan.candidate,
                item.filetype,
            )?;
            let blobs = self.request_blobs(ws.name(), &plan.request_id)?;
            let planned_current = plan.current.as_ref().map(|s| s.request.id.clone());
            let written = copy_in(&blobs, ws, &plan.candidate).and_then(|blob| {
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
                    let candidate = ws.add_candidate(&item.relpath, &released);
                    let ctx = self.ctx(actor);
                    let outcome = ops::add_file(
                        &ctx,
                        ws.name(),
                        current.as_ref(),
                        &plan.request_id,
                        group,
                        &candidate,
                        item.filetype,
                    )?;
                    let request_id = outcome.value.id.clone();
                    self.write(conn, &request_id, outcome)?;
                    seal_blob(conn, ws.name(), &request_id, &blob)?;
                    Ok(request_id)
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

    /// Reads what adding `relpath` needs: the current request, released hashes, the candidate.
    fn plan_add(&self, actor: &User, ws: &Workspace, relpath: &str) -> Result<Plan, OpError> {
        let mut conn = self.conn()?;
        let current = current_state(&mut conn, ws.name(), actor)?;
        let released = released_hashes(&mut conn, ws.name())?;
        let request_id = match &current {
            Some(state) => state.request.id.clone(),
            None => ulid::Ulid::new().to_string(),
        };
        Ok(Plan {
            current,
            request_id,
            candidate: ws.add_candidate(relpath, &released),
        })
    }

    /// FIL-7: replaces a file's content with the workspace's changed content. The votes on it
    /// are deleted; group and type stay.
    pub fn update_file(
        &self,
        actor: &User,
        request_id: &str,
        relpath: &str,
    ) -> airlock_core::Result<()> {
        let state = self.get_request_state(actor, request_id)?;
        let ws = self.workspaces.open(&state.request.workspace)?;
        let candidate = {
            let mut conn = self.conn()?;
            ws.add_candidate(relpath, &released_hashes(&mut conn, ws.name())?)
        };
        let ctx = self.ctx(actor);
        ops::update_file(&ctx, &state, &candidate)?;
        let blob = copy_in(&self.request_blobs(ws.name(), request_id)?, &ws, &candidate)?;
        self.act(actor, request_id, |ctx, state| {
            ops::update_file(ctx, state, &candidate)
        })?;
        // Not part of the action: without the record the worker only hashes the blob again.
        self.transaction(|conn| seal_blob(conn, ws.name(), request_id, &blob))
    }

    /// FIL-10: moves a file to another group and/or changes its type. The stored content is not
    /// refreshed.
    pub fn change_properties(
        &self,
        actor: &User,
        request_id: &str,
        relpath: &str,
        group: Option<GroupTarget<'_>>,
        filetype: Option<FileType>,
    ) -> airlock_core::Result<()> {
        self.transaction(|conn| {
            let state = self.locked_state(conn, request_id)?;
            let released = self.workspace_status_released(conn, &state, relpath)?;
            let ctx = self.ctx(actor);
            let outcome = ops::change_properties(&ctx, &state, relpath, group, filetype, released)?;
            self.write(conn, request_id, outcome)
        })
    }

    /// WS-5 row 2 for FIL-10: whether the workspace's current content of `relpath` was
    /// released. A workspace or path that is gone counts as not released.
    fn workspace_status_released(
        &self,
        conn: &mut DbConnection,
        state: &RequestState,
        relpath: &str,
    ) -> Result<bool, OpError> {
        let Ok(ws) = self.workspaces.open(&state.request.workspace) else {
            return Ok(false);
        };
        let released = released_hashes(conn, ws.name())?;
        Ok(ws.add_candidate(relpath, &released).released)
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
        let key = db::uploads::blob_key(workspace, request_id, &blob.hash);
        db::uploads::put_seal(conn, &key, seal)?;
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
