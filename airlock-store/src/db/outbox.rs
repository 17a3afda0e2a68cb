//! The notification outbox (NOT-4, NOT-5): rows queued by [`crate::db::apply_effects`], read and
//! updated by the delivery worker.

use super::DbError;
use super::pool::DbConnection;
use super::row::{from_naive, to_naive};
use super::schema::notifications;
use airlock_core::Timestamp;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::HashSet;

/// A queued notification (NOT-4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// Increasing id: the delivery order.
    pub id: i64,
    /// Request id.
    pub request_id: String,
    /// Event name, e.g. `request_submitted`.
    pub event_type: String,
    /// The JSON body to send (API-26/27).
    pub payload: String,
    /// Acting user.
    pub username: String,
    /// Queue time.
    pub created_at: Timestamp,
    /// Attempts so far.
    pub attempts: i64,
    /// When the next attempt is due.
    pub next_attempt_at: Option<Timestamp>,
    /// Delivery time.
    pub delivered_at: Option<Timestamp>,
    /// The last failure.
    pub last_error: Option<String>,
    /// The Jobs site's `"status": "error"` message, if any.
    pub jobs_site_message: Option<String>,
}

type Row = (
    i64,
    String,
    String,
    String,
    String,
    NaiveDateTime,
    i64,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<String>,
    Option<String>,
);

fn entry(row: Row) -> OutboxEntry {
    OutboxEntry {
        id: row.0,
        request_id: row.1,
        event_type: row.2,
        payload: row.3,
        username: row.4,
        created_at: from_naive(row.5),
        attempts: row.6,
        next_attempt_at: row.7.map(from_naive),
        delivered_at: row.8.map(from_naive),
        last_error: row.9,
        jobs_site_message: row.10,
    }
}

fn undelivered(conn: &mut DbConnection) -> Result<Vec<OutboxEntry>, DbError> {
    Ok(notifications::table
        .filter(notifications::delivered_at.is_null())
        .order(notifications::id)
        .load::<Row>(conn)?
        .into_iter()
        .map(entry)
        .collect())
}

/// The notifications to send now, in id order (NOT-5): undelivered, due at `now`, and each the
/// oldest undelivered one of its request. At most `limit`.
pub fn due_notifications(
    conn: &mut DbConnection,
    now: Timestamp,
    limit: usize,
) -> Result<Vec<OutboxEntry>, DbError> {
    let now = to_naive(now);
    let mut blocked = HashSet::new();
    let mut due = Vec::new();
    for e in undelivered(conn)? {
        if !blocked.insert(e.request_id.clone()) {
            continue;
        }
        if e.next_attempt_at.is_none_or(|t| to_naive(t) <= now) {
            due.push(e);
            if due.len() >= limit {
                break;
            }
        }
    }
    Ok(due)
}

/// Undelivered notifications with at least `min_attempts` attempts, for operators (NOT-5).
pub fn stuck_notifications(
    conn: &mut DbConnection,
    min_attempts: i64,
) -> Result<Vec<OutboxEntry>, DbError> {
    Ok(undelivered(conn)?
        .into_iter()
        .filter(|e| e.attempts >= min_attempts)
        .collect())
}

/// The earliest `next_attempt_at` of an undelivered notification (for sleeping, UPL-6).
pub fn next_notification_due(conn: &mut DbConnection) -> Result<Option<Timestamp>, DbError> {
    Ok(due_notifications(conn, Timestamp::MAX_UTC, usize::MAX)?
        .into_iter()
        .map(|e| e.next_attempt_at.unwrap_or(e.created_at))
        .min())
}

/// NOT-5 with a claim: if notification `id` is still undelivered and due at `now`, counts the
/// attempt and makes it not due again before `claim_until`, so that no other worker sends it
/// meanwhile. The update is conditional, so of two workers claiming the same row exactly one
/// wins. True when this call claimed it.
pub fn claim(
    conn: &mut DbConnection,
    id: i64,
    now: Timestamp,
    claim_until: Timestamp,
) -> Result<bool, DbError> {
    let now = to_naive(now);
    let n = diesel::update(
        notifications::table
            .find(id)
            .filter(notifications::delivered_at.is_null())
            .filter(
                notifications::next_attempt_at
                    .is_null()
                    .or(notifications::next_attempt_at.le(now)),
            ),
    )
    .set((
        notifications::attempts.eq(notifications::attempts + 1),
        notifications::next_attempt_at.eq(Some(to_naive(claim_until).max(now))),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Records a delivery (a 201 answer), with the Jobs site's error message when its body said
/// `"status": "error"`. The attempt was counted by [`claim`].
pub fn mark_delivered(
    conn: &mut DbConnection,
    id: i64,
    at: Timestamp,
    jobs_site_message: Option<&str>,
) -> Result<(), DbError> {
    let n = diesel::update(notifications::table.find(id))
        .set((
            notifications::delivered_at.eq(Some(to_naive(at))),
            notifications::last_error.eq(None::<String>),
            notifications::jobs_site_message.eq(jobs_site_message),
        ))
        .execute(conn)?;
    found(n, id)
}

/// Records a failed attempt (counted by [`claim`]) and when to try again.
pub fn mark_failed(
    conn: &mut DbConnection,
    id: i64,
    error: &str,
    next_attempt_at: Timestamp,
) -> Result<(), DbError> {
    let n = diesel::update(notifications::table.find(id))
        .set((
            notifications::last_error.eq(Some(error)),
            notifications::next_attempt_at.eq(Some(to_naive(next_attempt_at))),
        ))
        .execute(conn)?;
    found(n, id)
}

/// The attempts counted so far for notification `id`.
pub fn attempts(conn: &mut DbConnection, id: i64) -> Result<i64, DbError> {
    notifications::table
        .find(id)
        .select(notifications::attempts)
        .first(conn)
        .optional()?
        .ok_or_else(|| DbError::NotFound(format!("notification {id}")))
}

fn found(n: usize, id: i64) -> Result<(), DbError> {
    if n == 0 {
        Err(DbError::NotFound(format!("notification {id}")))
    } else {
        Ok(())
    }
}
