//! Reads of the upload queue (UPL-1, UPL-5 to UPL-7): which released files are due, when the next
//! one is, which are stuck. Each is one query; the changes go through the request aggregate
//! ([`crate::store::Store`]), so that `airlock_core` decides them.

use super::DbError;
use super::pool::DbConnection;
use super::row::{from_naive, to_naive};
use super::schema::{request_files, requests};
use airlock_core::Timestamp;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A released file that is not uploaded (UPL-7 listings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingUpload {
    /// Request id.
    pub request_id: String,
    /// Workspace name.
    pub workspace: String,
    /// Path in the workspace.
    pub relpath: String,
    /// Attempts so far.
    pub attempts: i64,
    /// The last failure.
    pub last_error: Option<String>,
    /// When the last attempt started.
    pub last_attempt_at: Option<Timestamp>,
    /// When the next attempt is due.
    pub next_attempt_at: Option<Timestamp>,
}

const OUTPUT: &str = "OUTPUT";
const APPROVED: &str = "APPROVED";

type PendingRow = (
    String,
    String,
    String,
    i64,
    Option<String>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
);

/// UPL-1: up to `limit` (request id, path) pairs of released, not-uploaded OUTPUT files of
/// APPROVED requests due at `now`, the longest-waiting first.
pub fn due_uploads(
    conn: &mut DbConnection,
    now: Timestamp,
    limit: i64,
) -> Result<Vec<(String, String)>, DbError> {
    let now = to_naive(now);
    Ok(request_files::table
        .inner_join(requests::table)
        .filter(requests::status.eq(APPROVED))
        .filter(request_files::filetype.eq(OUTPUT))
        .filter(request_files::released_at.is_not_null())
        .filter(request_files::uploaded.eq(false))
        .filter(
            request_files::upload_next_attempt_at
                .is_null()
                .or(request_files::upload_next_attempt_at.le(now)),
        )
        .order((
            request_files::upload_next_attempt_at.asc(),
            request_files::id.asc(),
        ))
        .select((request_files::request_id, request_files::relpath))
        .limit(limit)
        .load(conn)?)
}

/// UPL-6: the earliest `upload_next_attempt_at` of a pending file of an APPROVED request.
pub fn next_upload_due(conn: &mut DbConnection) -> Result<Option<Timestamp>, DbError> {
    let next: Option<NaiveDateTime> = request_files::table
        .inner_join(requests::table)
        .filter(requests::status.eq(APPROVED))
        .filter(request_files::filetype.eq(OUTPUT))
        .filter(request_files::released_at.is_not_null())
        .filter(request_files::uploaded.eq(false))
        .select(diesel::dsl::min(request_files::upload_next_attempt_at))
        .first(conn)?;
    Ok(next.map(from_naive))
}

/// UPL-5: APPROVED requests that have released files and none of them pending: complete.
/// (An APPROVED request with no released file at all is not complete: UPL-7 reports it.)
pub fn approved_without_pending(conn: &mut DbConnection) -> Result<Vec<String>, DbError> {
    let released = request_files::table
        .filter(request_files::filetype.eq(OUTPUT))
        .filter(request_files::released_at.is_not_null())
        .select(request_files::request_id);
    let pending = request_files::table
        .filter(request_files::filetype.eq(OUTPUT))
        .filter(request_files::released_at.is_not_null())
        .filter(request_files::uploaded.eq(false))
        .select(request_files::request_id);
    Ok(requests::table
        .filter(requests::status.eq(APPROVED))
        .filter(requests::id.eq_any(released))
        .filter(requests::id.ne_all(pending))
        .order(requests::id)
        .select(requests::id)
        .load(conn)?)
}

/// UPL-7: APPROVED requests with no released OUTPUT file at all.
pub fn approved_without_released(conn: &mut DbConnection) -> Result<Vec<String>, DbError> {
    let released = request_files::table
        .filter(request_files::filetype.eq(OUTPUT))
        .filter(request_files::released_at.is_not_null())
        .select(request_files::request_id);
    Ok(requests::table
        .filter(requests::status.eq(APPROVED))
        .filter(requests::id.ne_all(released))
        .order(requests::id)
        .select(requests::id)
        .load(conn)?)
}

/// Released, not-uploaded OUTPUT files of APPROVED requests, by request and path (which of
/// them are stuck is `airlock_core::action::stuck_after`).
pub fn pending_uploads(conn: &mut DbConnection) -> Result<Vec<PendingUpload>, DbError> {
    let rows: Vec<PendingRow> = request_files::table
        .inner_join(requests::table)
        .filter(requests::status.eq(APPROVED))
        .filter(request_files::filetype.eq(OUTPUT))
        .filter(request_files::released_at.is_not_null())
        .filter(request_files::uploaded.eq(false))
        .order((request_files::request_id, request_files::relpath))
        .select((
            request_files::request_id,
            requests::workspace,
            request_files::relpath,
            request_files::upload_attempts,
            request_files::upload_last_error,
            request_files::upload_attempted_at,
            request_files::upload_next_attempt_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| PendingUpload {
            request_id: r.0,
            workspace: r.1,
            relpath: r.2,
            attempts: r.3,
            last_error: r.4,
            last_attempt_at: r.5.map(from_naive),
            next_attempt_at: r.6.map(from_naive),
        })
        .collect())
}

/// OPS-3: claims today's run of the scheduled job `name`: true for exactly one caller per UTC
/// date `today` (`YYYY-MM-DD`), however many workers ask.
pub fn claim_daily_run(conn: &mut DbConnection, name: &str, today: &str) -> Result<bool, DbError> {
    use super::schema::scheduled_runs;
    // A first run ever: the row is created as "never run" (a date before any real one). Two
    // workers racing here: one insert fails on the primary key and its transaction is retried.
    let known = scheduled_runs::table
        .find(name)
        .select(scheduled_runs::name)
        .first::<String>(conn)
        .optional()?;
    if known.is_none() {
        diesel::insert_into(scheduled_runs::table)
            .values((
                scheduled_runs::name.eq(name),
                scheduled_runs::last_run_on.eq("0000-00-00"),
            ))
            .execute(conn)?;
    }
    let n = diesel::update(
        scheduled_runs::table
            .find(name)
            .filter(scheduled_runs::last_run_on.lt(today)),
    )
    .set(scheduled_runs::last_run_on.eq(today))
    .execute(conn)?;
    Ok(n == 1)
}

/// The key of a blob in `blob_seals`: `<workspace>/<request id>/<sha256>`.
pub fn blob_key(workspace: &str, request_id: &str, sha256: &str) -> String {
    format!("{workspace}/{request_id}/{sha256}")
}

/// UPL-2: records the identity of a blob the store has just written and verified.
pub fn put_seal(conn: &mut DbConnection, blob: &str, seal: &str) -> Result<(), DbError> {
    use super::schema::blob_seals;
    diesel::delete(blob_seals::table.find(blob)).execute(conn)?;
    diesel::insert_into(blob_seals::table)
        .values((blob_seals::blob.eq(blob), blob_seals::seal.eq(seal)))
        .execute(conn)?;
    Ok(())
}

/// UPL-2: the identity recorded for a blob, if any.
pub fn seal(conn: &mut DbConnection, blob: &str) -> Result<Option<String>, DbError> {
    use super::schema::blob_seals;
    Ok(blob_seals::table
        .find(blob)
        .select(blob_seals::seal)
        .first(conn)
        .optional()?)
}
