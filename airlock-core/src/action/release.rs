//! Release and upload bookkeeping (`behaviour.md` REL-1 to REL-5, UPL-2 to UPL-5).

use super::Outcome;
use super::common::{audit_by, file_audit, notify, notify_as, touched};
use crate::access::require_release;
use crate::audit::AuditType;
use crate::backoff::retry_delay;
use crate::context::{Ctx, Rules};
use crate::decision::all_files_approved;
use crate::effect::Effect;
use crate::error::{AirlockError, ErrorCode, Result};
use crate::model::{FileType, RequestFile, RequestState, Timestamp};
use crate::notification::{EventType, Update, files_will_be_uploaded};
use crate::status::Status;
use crate::workspace::is_allowed_file_type;

/// REL-1: may the actor release (or re-trigger, REL-5) the request. Returns the OUTPUT files
/// that go into the release's file list (REL-2), ordered by path (API-17).
pub fn check_release<'a>(ctx: &Ctx<'_>, state: &'a RequestState) -> Result<Vec<&'a RequestFile>> {
    let request = &state.request;
    require_release(ctx.actor, request)?;
    if request.status == Status::Reviewed && !all_files_approved(state, ctx.rules.required_reviews)
    {
        return Err(ErrorCode::NotAllFilesApproved.into());
    }
    let mut files: Vec<&RequestFile> = state.output_files().collect();
    if files.iter().any(|f| !is_allowed_file_type(&f.relpath)) {
        return Err(ErrorCode::InvalidFileType.into());
    }
    files.sort_by(|a, b| a.relpath.cmp(&b.relpath));
    Ok(files)
}

/// REL-4 and REL-5: after the Jobs site accepted the release, mark the OUTPUT files released
/// and, from REVIEWED, move to APPROVED. Re-checks REL-1 inside the transaction.
pub(super) fn commit_release(ctx: &Ctx<'_>, state: &RequestState) -> Result<Outcome<usize>> {
    let files = check_release(ctx, state)?;
    let request = &state.request;
    let mut next = touched(ctx, state);
    let mut effects = Vec::new();
    for file in &files {
        if file.upload.released_at.is_some() {
            continue;
        }
        let mut released = (*file).clone();
        released.upload.released_at = Some(ctx.now);
        released.upload.released_by = Some(ctx.actor.id().to_string());
        released.upload.upload_next_attempt_at = Some(ctx.now);
        effects.push(Effect::UpdateFile(released));
        effects.push(Effect::Audit(file_audit(
            ctx,
            request,
            AuditType::RequestFileRelease,
            file,
            ctx.actor.id(),
        )));
    }
    if request.status == Status::Reviewed {
        next.status = Status::Approved;
        effects.push(Effect::Audit(audit_by(
            ctx,
            request,
            AuditType::RequestApprove,
            ctx.actor.id(),
        )));
        let update = Update {
            update: files_will_be_uploaded(files.len()),
            group: None,
            user: None,
        };
        effects.push(notify(
            ctx,
            request,
            EventType::RequestApproved,
            Some(vec![update]),
        ));
    }
    effects.insert(0, Effect::UpdateRequest(next));
    Ok(Outcome::new(effects, files.len()))
}

fn released_output<'a>(state: &'a RequestState, relpath: &str) -> Result<&'a RequestFile> {
    state
        .file(relpath)
        .filter(|f| f.filetype == FileType::Output && f.upload.released_at.is_some())
        .ok_or_else(AirlockError::not_found)
}

/// UPL-1: is `file` due for an upload attempt at `now`: a released, not-uploaded OUTPUT file
/// of an APPROVED request whose `upload_next_attempt_at` is not in the future.
pub fn upload_due(request: &crate::model::Request, file: &RequestFile, now: Timestamp) -> bool {
    request.status == Status::Approved
        && file.filetype == FileType::Output
        && file.upload.released_at.is_some()
        && !file.upload.uploaded
        && file.upload.upload_next_attempt_at.is_none_or(|t| t <= now)
}

/// UPL-1: the files of the request due for an attempt at `now`, in path order.
pub fn due_uploads(state: &RequestState, now: Timestamp) -> Vec<&RequestFile> {
    let mut due: Vec<&RequestFile> = state
        .files
        .iter()
        .filter(|f| upload_due(&state.request, f, now))
        .collect();
    due.sort_by(|a, b| a.relpath.cmp(&b.relpath));
    due
}

/// UPL-2 with a claim: if the file is still due at `now`, the attempt starts
/// (`upload_attempts` += 1, `upload_attempted_at` := now), committed before the upload is sent,
/// and the file is not due again before `claim_until`. That claim is what keeps a second worker
/// (or this one after a crash) from sending the same file at the same time; the attempt's
/// outcome replaces it with the UPL-3 or UPL-4 values. `Ok(None)`: not due (uploaded, claimed by
/// another worker, or the request is no longer APPROVED).
pub(super) fn claim_upload(
    state: &RequestState,
    relpath: &str,
    now: Timestamp,
    claim_until: Timestamp,
) -> Result<Option<Outcome<()>>> {
    let file = released_output(state, relpath)?;
    if !upload_due(&state.request, file, now) {
        return Ok(None);
    }
    let mut file = file.clone();
    file.upload.upload_attempts += 1;
    file.upload.upload_attempted_at = Some(now);
    file.upload.upload_next_attempt_at = Some(claim_until.max(now));
    Ok(Some(Outcome::of(vec![Effect::UpdateFile(file)])))
}

/// UPL-3: the upload succeeded (201 or "already uploaded").
pub(super) fn upload_succeeded(
    state: &RequestState,
    relpath: &str,
    now: Timestamp,
) -> Result<Outcome<()>> {
    let mut file = released_output(state, relpath)?.clone();
    file.upload.uploaded = true;
    file.upload.uploaded_at = Some(now);
    file.upload.upload_last_error = None;
    let by = file.upload.released_by.clone().unwrap_or_default();
    let request = &state.request;
    let entry = crate::audit::NewAudit::about_request(
        AuditType::RequestFileUpload,
        &by,
        &request.workspace,
        &request.id,
        request.review_turn,
        now,
    )
    .path(&file.relpath);
    Ok(Outcome::of(vec![
        Effect::UpdateFile(file),
        Effect::Audit(entry),
    ]))
}

/// UPL-4: the upload failed; the next attempt is due after the capped, jittered backoff.
/// `unit_random` is a uniform random number in [0, 1) supplied by the caller.
pub(super) fn upload_failed(
    state: &RequestState,
    relpath: &str,
    now: Timestamp,
    error: &str,
    rules: &Rules,
    unit_random: f64,
) -> Result<Outcome<()>> {
    let mut file = released_output(state, relpath)?.clone();
    let retry = retry_after_failure(file.upload.upload_attempts, now, error, rules, unit_random);
    file.upload.upload_last_error = Some(retry.error);
    file.upload.upload_next_attempt_at = Some(retry.next_attempt_at);
    Ok(Outcome::of(vec![Effect::UpdateFile(file)]))
}

/// What a failed attempt records (UPL-4, and NOT-5 for notifications).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retry {
    /// When the next attempt is due: after the capped, jittered backoff for the attempts so far.
    pub next_attempt_at: Timestamp,
    /// The failure, shortened to what is kept.
    pub error: String,
}

/// Characters of a failure kept (`upload_last_error`, the outbox's `last_error`).
pub const ERROR_CHARS: usize = 500;

/// UPL-4 and NOT-5: the next attempt after the `attempts`-th failed one (counted already), with
/// `unit_random` uniform in [0, 1) for the jitter.
pub fn retry_after_failure(
    attempts: i64,
    now: Timestamp,
    error: &str,
    rules: &Rules,
    unit_random: f64,
) -> Retry {
    let delay = retry_delay(
        attempts.max(1),
        rules.upload_backoff_base,
        rules.upload_backoff_cap,
        rules.upload_backoff_jitter,
        unit_random,
    );
    Retry {
        next_attempt_at: now + delay,
        error: error.chars().take(ERROR_CHARS).collect(),
    }
}

/// UPL-7 and NOT-5: after this many attempts without success a file or a notification is
/// stuck.
pub fn stuck_after(attempts: i64, rules: &Rules) -> bool {
    attempts >= rules.upload_stuck_after
}

/// UPL-7 for a file that cannot be sent as it is (its stored blob no longer matches its
/// sha256): it is stuck at once (`upload_attempts` raised to `upload_stuck_after`) with `error`,
/// and attempts go on at the capped interval, so that it recovers if the blob is restored.
pub(super) fn upload_blocked(
    state: &RequestState,
    relpath: &str,
    now: Timestamp,
    error: &str,
    rules: &Rules,
) -> Result<Outcome<()>> {
    let mut file = released_output(state, relpath)?.clone();
    file.upload.upload_attempts = file.upload.upload_attempts.max(rules.upload_stuck_after);
    file.upload.upload_last_error = Some(error.chars().take(ERROR_CHARS).collect());
    let cap = crate::backoff::Backoff::from_rules(rules).delay(i64::MAX, 0.0);
    file.upload.upload_next_attempt_at = Some(now + cap);
    Ok(Outcome::of(vec![Effect::UpdateFile(file)]))
}

/// OPS-5 `uploads retry`: every released, not-uploaded OUTPUT file of the request is due at
/// `now`. The value is how many.
pub(super) fn retry_uploads(state: &RequestState, now: Timestamp) -> Outcome<usize> {
    let effects: Vec<Effect> = state
        .output_files()
        .filter(|f| f.upload.released_at.is_some() && !f.upload.uploaded)
        .map(|f| {
            let mut file = f.clone();
            file.upload.upload_next_attempt_at = Some(now);
            Effect::UpdateFile(file)
        })
        .collect();
    let count = effects.len();
    Outcome::new(effects, count)
}

/// UPL-7: a released file that is not uploaded after `upload_stuck_after` attempts.
pub fn is_stuck(file: &RequestFile, rules: &Rules) -> bool {
    file.upload.released_at.is_some()
        && !file.upload.uploaded
        && stuck_after(file.upload.upload_attempts, rules)
}

/// UPL-8 and UPL-7: how far the upload of a request has got.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UploadProgress {
    /// Uploaded OUTPUT files (x of UPL-8).
    pub uploaded: usize,
    /// Released OUTPUT files (y of UPL-8).
    pub released: usize,
    /// The stuck files' paths, in path order (UPL-7).
    pub stuck: Vec<String>,
}

/// UPL-8 and UPL-7 for one request.
pub fn upload_progress(state: &RequestState, rules: &Rules) -> UploadProgress {
    let mut progress = UploadProgress::default();
    for file in state.output_files() {
        if file.upload.released_at.is_none() {
            continue;
        }
        progress.released += 1;
        if file.upload.uploaded {
            progress.uploaded += 1;
        } else if is_stuck(file, rules) {
            progress.stuck.push(file.relpath.clone());
        }
    }
    progress.stuck.sort();
    progress
}

/// One file of a release as the Jobs site is told of it (API-17): the request file and its
/// stored blob's byte length and modification time.
#[derive(Debug, Clone, Copy)]
pub struct ReleaseFile<'a> {
    /// The request file (its path and sha256).
    pub file: &'a RequestFile,
    /// Byte length of the stored blob.
    pub size: u64,
    /// Modification time of the stored blob.
    pub modified: Timestamp,
}

/// REL-2: the exact JSON body of the release creation call (API-16, API-17). `files` are the
/// OUTPUT files [`check_release`] answered; they are listed ordered by name.
pub fn release_body(request_id: &str, files: &[ReleaseFile<'_>]) -> serde_json::Value {
    use serde_json::json;
    let metadata = json!({"tool": "airlock", "airlock_id": request_id});
    let mut listed: Vec<(String, &ReleaseFile<'_>)> = files
        .iter()
        .map(|f| (f.file.relpath.replace('\\', "/"), f))
        .collect();
    listed.sort_by(|a, b| a.0.cmp(&b.0));
    let files: Vec<serde_json::Value> = listed
        .into_iter()
        .map(|(name, f)| {
            json!({
                "name": name,
                "url": name,
                "size": f.size,
                "sha256": f.file.file_id,
                "date": f.modified.to_rfc3339_opts(chrono::SecondsFormat::Micros, false),
                "metadata": metadata,
                "review": null,
            })
        })
        .collect();
    json!({"files": files, "metadata": metadata, "review": null})
}

/// UPL-5: an APPROVED request whose released OUTPUT files are all uploaded becomes RELEASED,
/// attributed to the `released_by` of the most recently uploaded file. `None` when it is not
/// complete (or has no released file, which UPL-7 reports as stuck).
pub(super) fn complete_if_uploaded(state: &RequestState, now: Timestamp) -> Option<Outcome<()>> {
    let request = &state.request;
    if request.status != Status::Approved {
        return None;
    }
    let released: Vec<&RequestFile> = state
        .output_files()
        .filter(|f| f.upload.released_at.is_some())
        .collect();
    if released.is_empty() || released.iter().any(|f| !f.upload.uploaded) {
        return None;
    }
    let last = released.iter().max_by_key(|f| f.upload.uploaded_at)?;
    let by = last.upload.released_by.clone().unwrap_or_default();
    let mut next = request.clone();
    next.status = Status::Released;
    next.updated_at = now;
    let entry = crate::audit::NewAudit::about_request(
        AuditType::RequestRelease,
        &by,
        &request.workspace,
        &request.id,
        request.review_turn,
        now,
    );
    Some(Outcome::of(vec![
        Effect::UpdateRequest(next),
        Effect::Audit(entry),
        notify_as(request, EventType::RequestReleased, &by, None),
    ]))
}
