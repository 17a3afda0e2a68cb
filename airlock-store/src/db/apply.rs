//! Writing an action's effects (`airlock_core::effect`) and appending to the audit chain.

use super::DbError;
use super::pool::DbConnection;
use super::row::{
    AuditRow, CommentRow, FileRow, GroupRow, NewNotificationRow, RequestRow, VoteRow, to_naive,
};
use super::schema::{
    audit_log, comments, notifications, request_files, request_groups, requests, votes,
};
use super::tx::write_tx;
use airlock_core::Timestamp;
use airlock_core::audit::NewAudit;
use airlock_core::chain::{GENESIS_HASH, entry_hash};
use airlock_core::effect::Effect;
use airlock_core::notification::Notification;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

/// The key of the PostgreSQL transaction-level advisory lock that serialises audit appends.
pub const AUDIT_LOCK_KEY: i64 = 0x4149_524C_4155_4431; // "AIRLAUD1"

/// Writes `effects` in order, in one write transaction (a savepoint when the caller already
/// holds one, as operations should: see [`write_tx`]). Returns the ids of the audit entries
/// appended, in order.
///
/// - `CreateRequest` inserts the row; a second active request for the same workspace and
///   author fails with [`DbError::Conflict`] (ONE-2).
/// - `UpdateRequest`, `UpdateGroup`, `UpdateFile` and `UpdateComment` replace the whole row and
///   fail with [`DbError::NotFound`] when it is missing; `Delete*` of a missing row does nothing.
/// - `PutVote` inserts or replaces the vote of (path, reviewer).
/// - `Audit` appends to the hash chain ([`append_audit`]).
/// - `HideAuditTurn { turn }` sets `hidden` on every entry of `request_id` at that turn (RET-3).
/// - `Notify(n)` queues an outbox row (NOT-4) with payload `n.payload(org_repo)`, due at once.
///   Its `created_at` is the time of the latest preceding `Audit` or request write among the
///   effects (ST-6 writes both with each notification), else the current time.
///
/// Group, file, vote and comment effects apply to `request_id`.
pub fn apply_effects(
    conn: &mut DbConnection,
    request_id: &str,
    effects: &[Effect],
    org_repo: Option<(&str, &str)>,
) -> Result<Vec<i64>, DbError> {
    write_tx(conn, |conn| {
        let mut writer = Writer {
            request_id,
            org_repo,
            clock: None,
            audit_ids: Vec::new(),
        };
        for effect in effects {
            writer.apply(conn, effect)?;
        }
        if effects.iter().any(changes_aggregate) {
            bump_version(conn, request_id)?;
        }
        Ok(writer.audit_ids)
    })
}

/// Whether an effect changes the request aggregate (its rows), rather than only the audit log
/// or the outbox.
fn changes_aggregate(effect: &Effect) -> bool {
    !matches!(
        effect,
        Effect::Audit(_) | Effect::Notify(_) | Effect::HideAuditTurn { .. }
    )
}

/// Increments the aggregate's version (see [`super::query::request_version`]); every write
/// to a request's rows calls it in the same transaction.
fn bump_version(conn: &mut DbConnection, request_id: &str) -> Result<(), DbError> {
    use super::schema::requests;
    diesel::update(requests::table.find(request_id))
        .set(requests::version.eq(requests::version + 1))
        .execute(conn)?;
    Ok(())
}

/// The state of one [`apply_effects`] call.
struct Writer<'a> {
    request_id: &'a str,
    org_repo: Option<(&'a str, &'a str)>,
    /// The time of the latest audit entry or request write so far.
    clock: Option<Timestamp>,
    audit_ids: Vec<i64>,
}

fn not_found(n: usize, what: impl FnOnce() -> String) -> Result<(), DbError> {
    if n == 0 {
        Err(DbError::NotFound(what()))
    } else {
        Ok(())
    }
}

impl Writer<'_> {
    fn apply(&mut self, conn: &mut DbConnection, effect: &Effect) -> Result<(), DbError> {
        let request_id = self.request_id;
        match effect {
            Effect::CreateRequest(r) => {
                self.clock = Some(r.updated_at);
                diesel::insert_into(requests::table)
                    .values(RequestRow::from_request(r)?)
                    .execute(conn)?;
            }
            Effect::UpdateRequest(r) => {
                self.clock = Some(r.updated_at);
                let n = diesel::update(requests::table.find(&r.id))
                    .set(RequestRow::from_request(r)?)
                    .execute(conn)?;
                not_found(n, || format!("request {}", r.id))?;
            }
            Effect::CreateGroup(g) => {
                diesel::insert_into(request_groups::table)
                    .values(GroupRow::new(request_id, g))
                    .execute(conn)?;
            }
            Effect::UpdateGroup(g) => {
                let n = diesel::update(
                    request_groups::table
                        .filter(request_groups::request_id.eq(request_id))
                        .filter(request_groups::name.eq(&g.name)),
                )
                .set((
                    request_groups::context.eq(&g.context),
                    request_groups::controls.eq(&g.controls),
                    request_groups::created_at.eq(to_naive(g.created_at)),
                    request_groups::updated_at.eq(to_naive(g.updated_at)),
                ))
                .execute(conn)?;
                not_found(n, || format!("group {:?}", g.name))?;
            }
            Effect::InsertFile(f) => {
                diesel::insert_into(request_files::table)
                    .values(FileRow::new(request_id, f))
                    .execute(conn)?;
            }
            Effect::UpdateFile(f) => {
                let n = diesel::update(
                    request_files::table
                        .filter(request_files::request_id.eq(request_id))
                        .filter(request_files::relpath.eq(&f.relpath)),
                )
                .set(FileRow::new(request_id, f))
                .execute(conn)?;
                not_found(n, || format!("file {:?}", f.relpath))?;
            }
            Effect::DeleteFile { relpath } => {
                diesel::delete(
                    request_files::table
                        .filter(request_files::request_id.eq(request_id))
                        .filter(request_files::relpath.eq(relpath)),
                )
                .execute(conn)?;
            }
            Effect::PutVote(v) => {
                let row = VoteRow::new(request_id, v);
                let n = diesel::update(
                    votes::table
                        .filter(votes::request_id.eq(request_id))
                        .filter(votes::relpath.eq(&v.relpath))
                        .filter(votes::reviewer.eq(&v.reviewer)),
                )
                .set(&row)
                .execute(conn)?;
                if n == 0 {
                    diesel::insert_into(votes::table)
                        .values(&row)
                        .execute(conn)?;
                }
            }
            Effect::DeleteVote { relpath, reviewer } => {
                diesel::delete(
                    votes::table
                        .filter(votes::request_id.eq(request_id))
                        .filter(votes::relpath.eq(relpath))
                        .filter(votes::reviewer.eq(reviewer)),
                )
                .execute(conn)?;
            }
            Effect::InsertComment(c) => {
                diesel::insert_into(comments::table)
                    .values(CommentRow::new(request_id, c))
                    .execute(conn)?;
            }
            Effect::UpdateComment(c) => {
                let n = diesel::update(
                    comments::table
                        .filter(comments::request_id.eq(request_id))
                        .filter(comments::id.eq(&c.id)),
                )
                .set(CommentRow::new(request_id, c))
                .execute(conn)?;
                not_found(n, || format!("comment {:?}", c.id))?;
            }
            Effect::DeleteComment { id } => {
                diesel::delete(
                    comments::table
                        .filter(comments::request_id.eq(request_id))
                        .filter(comments::id.eq(id)),
                )
                .execute(conn)?;
            }
            Effect::HideAuditTurn { turn } => {
                diesel::update(
                    audit_log::table
                        .filter(audit_log::request.eq(request_id))
                        .filter(audit_log::review_turn.eq(turn)),
                )
                .set(audit_log::hidden.eq(true))
                .execute(conn)?;
            }
            Effect::Audit(a) => {
                self.clock = Some(a.created_at);
                self.audit_ids.push(append_in_tx(conn, a)?);
            }
            Effect::Notify(n) => {
                let at = self.clock.unwrap_or_else(chrono::Utc::now);
                queue_notification(conn, n, self.org_repo, at)?;
            }
        }
        Ok(())
    }
}

fn queue_notification(
    conn: &mut DbConnection,
    n: &Notification,
    org_repo: Option<(&str, &str)>,
    at: Timestamp,
) -> Result<(), DbError> {
    diesel::insert_into(notifications::table)
        .values(NewNotificationRow {
            request_id: n.request.clone(),
            event_type: n.event_type.as_str().to_string(),
            payload: n.payload(org_repo).to_string(),
            username: n.user.clone(),
            created_at: to_naive(at),
            attempts: 0,
            next_attempt_at: Some(to_naive(at)),
        })
        .execute(conn)?;
    Ok(())
}

/// Appends one audit entry to the hash chain (AUD-4) in its own write transaction (a savepoint
/// inside the caller's); for entries outside effects, e.g. file views (REN-6). Returns its id.
pub fn append_audit(conn: &mut DbConnection, entry: &NewAudit) -> Result<i64, DbError> {
    write_tx(conn, |conn| append_in_tx(conn, entry))
}

/// The append itself; the caller holds a write transaction. On PostgreSQL a transaction-level
/// advisory lock serialises appends, so no two entries read the same last entry; on SQLite the
/// `BEGIN IMMEDIATE` of [`write_tx`] does. The unique index on `prev_hash` backs both.
fn append_in_tx(conn: &mut DbConnection, entry: &NewAudit) -> Result<i64, DbError> {
    if let DbConnection::Pg(pg) = conn {
        pg.batch_execute(&format!("SELECT pg_advisory_xact_lock({AUDIT_LOCK_KEY})"))?;
    }
    let last: Option<(i64, String)> = audit_log::table
        .select((audit_log::id, audit_log::hash))
        .order(audit_log::id.desc())
        .first(conn)
        .optional()?;
    let (last_id, prev_hash) = last.unwrap_or_else(|| (0, GENESIS_HASH.to_string()));
    let id = last_id + 1;
    // Hash exactly what is stored: the time at microsecond precision.
    let mut stored = entry.clone();
    stored.created_at = super::row::db_time(entry.created_at);
    let hash = entry_hash(&prev_hash, id, &stored);
    diesel::insert_into(audit_log::table)
        .values(AuditRow::new(id, &stored, prev_hash, hash)?)
        .execute(conn)?;
    Ok(id)
}
