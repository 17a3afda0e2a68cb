//! Release and upload (`behaviour.md` §16) and notification delivery (§17): the release action
//! that calls the Jobs site before it commits (REL-2 to REL-5), and the primitives the upload
//! worker runs on — claiming a due file or notification, recording the attempt's outcome,
//! completing requests, and the operator's stuck listings and retry (OPS-5).
//!
//! Claims: an attempt is committed before anything is sent (UPL-2), and it also makes the file
//! (or notification) not due again until `claim_until`. On PostgreSQL the claim runs under the
//! request row's `FOR UPDATE` lock and re-checks that the file is due; a notification claim is a
//! conditional update. Either way two workers, or a worker and its restarted self, never send the
//! same thing at the same time; a worker that dies mid-attempt leaves a claim that simply ends.

use super::{OpError, Store};
use crate::db::{self, outbox, upload};
use crate::jobsite::{JobSiteClient, JobSiteError};
use crate::signal::WorkSignal;
use airlock_core::action::{self, Action, Facts, ReleaseFile, Subject, UploadAnswer, UploadStep};
use airlock_core::{AirlockError, ErrorCode, Status, Timestamp, User};
use std::sync::Arc;

pub use crate::db::outbox::OutboxEntry;
pub use crate::db::upload::PendingUpload;

/// One claimed upload attempt: what the worker needs to send the file (UPL-2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadJob {
    /// Request id (the release id on the Jobs site).
    pub request_id: String,
    /// Workspace name.
    pub workspace: String,
    /// Path in the workspace.
    pub relpath: String,
    /// sha256 of the stored blob (the file id).
    pub file_id: String,
    /// Byte length recorded when the file was added.
    pub size: u64,
    /// The checker the file is uploaded as (`OS-User`).
    pub released_by: String,
    /// This attempt's number (already counted).
    pub attempt: i64,
    /// The blob's identity when the store wrote and verified it (UPL-2), if recorded.
    pub seal: Option<String>,
}

impl Store {
    /// Sets the Jobs site client used for releases (`None`: test mode, API-8).
    pub fn with_jobs_site(mut self, client: Option<JobSiteClient>) -> Self {
        self.jobs_site = client;
        self
    }

    /// The Jobs site client, when a token is configured.
    pub fn jobs_site(&self) -> Option<&JobSiteClient> {
        self.jobs_site.as_ref()
    }

    /// The signal that wakes this store's background worker (UPL-6).
    pub fn signal(&self) -> &Arc<WorkSignal> {
        &self.signal
    }

    /// REL-1 to REL-3, the first step of [`Action::Release`](airlock_core::action::Action):
    /// checks the release as core would run it, and creates it on the Jobs site as `actor`
    /// (REL-2) with the size and modification time of each stored blob. A refusal of the Jobs
    /// site changes nothing: 403 is `jobs_site_forbidden`, anything else `release_failed`
    /// (REL-3). The caller then runs the action, which marks the files released (REL-4).
    pub(super) fn create_release(
        &self,
        actor: &User,
        request_id: &str,
    ) -> airlock_core::Result<()> {
        let state = self.get_request_state(actor, request_id)?;
        let ctx = self.ctx(actor);
        action::check(
            &ctx,
            Subject::Request(&state),
            &Action::Release,
            &Facts::default(),
        )?;
        let files = action::check_release(&ctx, &state)?;
        let blobs = self.request_blobs(&state.request.workspace, request_id)?;
        let mut listed = Vec::with_capacity(files.len());
        for file in files {
            let path = blobs.path(&file.file_id)?;
            let meta = std::fs::metadata(&path).map_err(|e| {
                tracing::error!(request = request_id, path = %file.relpath, error = %e,
                    "release: the stored file cannot be read");
                AirlockError::with_message(
                    ErrorCode::ReleaseFailed,
                    format!(
                        "The stored copy of {} cannot be read; nothing was released. Please \
                         contact tech support.",
                        file.relpath
                    ),
                )
            })?;
            let modified = meta
                .modified()
                .map(Timestamp::from)
                .unwrap_or_else(|_| self.now());
            listed.push(ReleaseFile {
                file,
                size: meta.len(),
                modified,
            });
        }
        let body = action::release_body(request_id, &listed);
        let Some(client) = &self.jobs_site else {
            return Err(AirlockError::with_message(
                ErrorCode::ReleaseFailed,
                "Releasing needs the Jobs site, and this Airlock runs in test mode (no \
                 jobs_api_token); nothing was released.",
            ));
        };
        client
            .create_release(actor.id(), &state.request.workspace, &body)
            .map_err(|e| release_refused(request_id, &e))?;
        tracing::info!(
            request = request_id,
            by = actor.id(),
            files = listed.len(),
            "release created on the Jobs site"
        );
        Ok(())
    }

    /// The entry point of the upload worker's steps (§16): one transaction on the request.
    /// A success also completes the request when it was the last file (UPL-5).
    pub fn act_upload(
        &self,
        request_id: &str,
        step: &UploadStep,
    ) -> airlock_core::Result<UploadAnswer> {
        self.transaction(|conn| {
            let state = self.locked_state(conn, request_id)?;
            let now = self.now();
            let outcome = action::run_upload(&state, step, now, &self.rules)?;
            let mut next = state;
            airlock_core::effect::apply(&mut next, outcome.effects());
            let answer = self.write(conn, request_id, outcome)?;
            if matches!(step, UploadStep::Succeeded { .. }) {
                let done = action::run_upload(&next, &UploadStep::Complete, now, &self.rules)?;
                if let UploadAnswer::Completed(true) = self.write(conn, request_id, done)? {
                    return Ok(UploadAnswer::Completed(true));
                }
            }
            Ok(answer)
        })
    }

    /// UPL-1: up to `limit` (request id, path) pairs due for an upload attempt now.
    pub fn due_uploads(&self, limit: i64) -> airlock_core::Result<Vec<(String, String)>> {
        let mut conn = self.conn()?;
        Ok(upload::due_uploads(&mut conn, self.now(), limit).map_err(OpError::Db)?)
    }

    /// UPL-2: claims an attempt of one released file if it is still due: the attempt is counted
    /// and the file is not due again before `now + claim_for`. `None`: not due any more.
    pub fn claim_upload(
        &self,
        request_id: &str,
        relpath: &str,
        claim_for: std::time::Duration,
    ) -> airlock_core::Result<Option<UploadJob>> {
        self.transaction(|conn| {
            let state = self.locked_state(conn, request_id)?;
            let now = self.now();
            let until =
                now + chrono::Duration::from_std(claim_for).unwrap_or(chrono::Duration::MAX);
            let claim = UploadStep::Claim {
                path: relpath.to_string(),
                until,
            };
            let outcome = action::run_upload(&state, &claim, now, &self.rules)?;
            if *outcome.value() == UploadAnswer::NotDue {
                return Ok(None);
            }
            let file = state
                .file(relpath)
                .ok_or_else(|| OpError::Refused(AirlockError::not_found()))?;
            let key = upload::blob_key(&state.request.workspace, request_id, &file.file_id);
            let job = UploadJob {
                request_id: request_id.to_string(),
                workspace: state.request.workspace.clone(),
                relpath: relpath.to_string(),
                file_id: file.file_id.clone(),
                size: u64::try_from(file.meta.size).unwrap_or(0),
                released_by: file.upload.released_by.clone().unwrap_or_default(),
                attempt: file.upload.upload_attempts + 1,
                seal: upload::seal(conn, &key)?,
            };
            self.write(conn, request_id, outcome)?;
            Ok(Some(job))
        })
    }

    /// UPL-2: the worker re-hashed a blob whose identity had changed (a restore from backup,
    /// say) and found its sha256 intact: its new identity is recorded.
    pub fn reseal(&self, job: &UploadJob, seal: &str) -> airlock_core::Result<()> {
        let key = upload::blob_key(&job.workspace, &job.request_id, &job.file_id);
        self.transaction(|conn| Ok(upload::put_seal(conn, &key, seal)?))
    }

    /// UPL-5: completes every APPROVED request with no pending file whose released files are
    /// all uploaded; answers the ids that became RELEASED. APPROVED requests with no released
    /// file are left as they are (UPL-7 lists them).
    pub fn complete_uploaded_requests(&self) -> airlock_core::Result<Vec<String>> {
        let candidates = {
            let mut conn = self.conn()?;
            upload::approved_without_pending(&mut conn).map_err(OpError::Db)?
        };
        let mut released = Vec::new();
        for id in candidates {
            let done = self.transaction(|conn| {
                let state = self.locked_state(conn, &id)?;
                let outcome =
                    action::run_upload(&state, &UploadStep::Complete, self.now(), &self.rules)?;
                Ok(self.write(conn, &id, outcome)? == UploadAnswer::Completed(true))
            })?;
            if done {
                released.push(id);
            }
        }
        Ok(released)
    }

    /// UPL-6: when the earliest pending upload is due, if any.
    pub fn next_upload_due(&self) -> airlock_core::Result<Option<Timestamp>> {
        let mut conn = self.conn()?;
        Ok(upload::next_upload_due(&mut conn).map_err(OpError::Db)?)
    }

    /// UPL-7 and OPS-5: the stuck files (`airlock_core::action::stuck_after`), by request and
    /// path.
    pub fn stuck_uploads(&self) -> airlock_core::Result<Vec<PendingUpload>> {
        let mut pending = self.pending_uploads()?;
        pending.retain(|f| action::stuck_after(f.attempts, &self.rules));
        Ok(pending)
    }

    /// OPS-5: every pending upload of an APPROVED request, by request and path.
    pub fn pending_uploads(&self) -> airlock_core::Result<Vec<PendingUpload>> {
        let mut conn = self.conn()?;
        Ok(upload::pending_uploads(&mut conn).map_err(OpError::Db)?)
    }

    /// UPL-7: APPROVED requests with no released file, reported with the stuck files.
    pub fn approved_without_released(&self) -> airlock_core::Result<Vec<String>> {
        let mut conn = self.conn()?;
        Ok(upload::approved_without_released(&mut conn).map_err(OpError::Db)?)
    }

    /// OPS-5 `uploads retry`: makes the request's pending files due now and wakes the worker.
    /// `not_found` for an unknown request; the number of files made due.
    pub fn retry_uploads(&self, request_id: &str) -> airlock_core::Result<usize> {
        let answer = self.act_upload(request_id, &UploadStep::Retry)?;
        self.signal.wake();
        Ok(match answer {
            UploadAnswer::Retried(n) => n,
            _ => 0,
        })
    }

    /// NOT-5: claims up to `limit` notifications to send now: each the oldest undelivered row
    /// of its request, in id order, not claimed by another worker. Each attempt is counted and
    /// the row is not due again before `now + claim_for`. One read of the outbox per call.
    pub fn claim_notifications(
        &self,
        claim_for: std::time::Duration,
        limit: usize,
    ) -> airlock_core::Result<Vec<OutboxEntry>> {
        let mut conn = self.conn()?;
        let now = self.now();
        let until = now + chrono::Duration::from_std(claim_for).unwrap_or(chrono::Duration::MAX);
        let mut claimed = Vec::new();
        for entry in outbox::due_notifications(&mut conn, now, limit).map_err(OpError::Db)? {
            if outbox::claim(&mut conn, entry.id, now, until).map_err(OpError::Db)? {
                claimed.push(OutboxEntry {
                    attempts: entry.attempts + 1,
                    ..entry
                });
            }
        }
        Ok(claimed)
    }

    /// NOT-5: the notification was delivered (a 201), with the Jobs site's error message if
    /// its body said `"status": "error"`.
    pub fn notification_delivered(
        &self,
        id: i64,
        jobs_site_message: Option<&str>,
    ) -> airlock_core::Result<()> {
        let mut conn = self.conn()?;
        outbox::mark_delivered(&mut conn, id, self.now(), jobs_site_message)
            .map_err(OpError::Db)?;
        Ok(())
    }

    /// NOT-5: the delivery failed; the next attempt is due after the UPL-4 backoff for the
    /// attempts counted so far. `unit_random` is uniform in [0, 1) for the jitter.
    pub fn notification_failed(
        &self,
        id: i64,
        error: &str,
        unit_random: f64,
    ) -> airlock_core::Result<Timestamp> {
        let mut conn = self.conn()?;
        let attempts = outbox::attempts(&mut conn, id).map_err(OpError::Db)?;
        let retry =
            action::retry_after_failure(attempts, self.now(), error, &self.rules, unit_random);
        outbox::mark_failed(&mut conn, id, &retry.error, retry.next_attempt_at)
            .map_err(OpError::Db)?;
        Ok(retry.next_attempt_at)
    }

    /// UPL-6: when the earliest undelivered notification is due, if any.
    pub fn next_notification_due(&self) -> airlock_core::Result<Option<Timestamp>> {
        let mut conn = self.conn()?;
        Ok(outbox::next_notification_due(&mut conn).map_err(OpError::Db)?)
    }

    /// NOT-5 and OPS-5: the stuck undelivered notifications (`airlock_core::action::stuck_after`).
    pub fn stuck_notifications(&self) -> airlock_core::Result<Vec<OutboxEntry>> {
        let mut undelivered = self.undelivered_notifications()?;
        undelivered.retain(|e| action::stuck_after(e.attempts, &self.rules));
        Ok(undelivered)
    }

    /// OPS-5: every undelivered notification, oldest first.
    pub fn undelivered_notifications(&self) -> airlock_core::Result<Vec<OutboxEntry>> {
        let mut conn = self.conn()?;
        Ok(outbox::stuck_notifications(&mut conn, 0).map_err(OpError::Db)?)
    }

    /// The current status of a request (operators, tests).
    pub fn request_status(&self, request_id: &str) -> airlock_core::Result<Status> {
        let mut conn = self.conn()?;
        db::load_request(&mut conn, request_id)
            .map_err(OpError::Db)?
            .map(|r| r.status)
            .ok_or_else(AirlockError::not_found)
    }
}

/// REL-3 and API-20: the refusal a failed release creation answers, logged with the Jobs
/// site's status and body.
fn release_refused(request_id: &str, error: &JobSiteError) -> AirlockError {
    tracing::warn!(request = request_id, status = ?error.status(), error = %error,
        "the Jobs site did not create the release; nothing changed");
    match error {
        JobSiteError::Status {
            status: 403,
            detail,
        } => AirlockError::with_message(
            ErrorCode::JobsSiteForbidden,
            format!(
                "The Jobs site refused the release (permission denied: {detail}); nothing was \
                 released."
            ),
        ),
        JobSiteError::Status { status, .. } => AirlockError::with_message(
            ErrorCode::ReleaseFailed,
            format!(
                "The Jobs site could not create the release (it answered {status}); nothing was \
                 released. Try again, or contact tech support if it keeps failing."
            ),
        ),
        _ => AirlockError::with_message(
            ErrorCode::ReleaseFailed,
            "The Jobs site could not be reached or gave an unexpected answer; nothing was \
             released. Try again, or contact tech support if it keeps failing.",
        ),
    }
}
