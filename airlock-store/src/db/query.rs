//! Reads: the request aggregate, request lists, users and the audit log.

use super::DbError;
use super::pool::DbConnection;
use super::row::{AuditRow, CommentRow, FileRow, GroupRow, RequestRow, UserRow, VoteRow};
use super::schema::{audit_log, comments, request_files, request_groups, requests, users, votes};
use super::tx::write_tx;
use airlock_core::audit::AuditEntry;
use airlock_core::{Request, RequestState, Status, Timestamp, User};
use diesel::prelude::*;
use std::collections::HashSet;
use std::ops::ControlFlow;

/// The request record, if it exists.
pub fn load_request(conn: &mut DbConnection, id: &str) -> Result<Option<Request>, DbError> {
    requests::table
        .find(id)
        .select(RequestRow::as_select())
        .first(conn)
        .optional()?
        .map(RequestRow::into_request)
        .transpose()
}

/// The aggregate's version, incremented by every transaction that changes it; `None` when the
/// request does not exist.
pub fn request_version(conn: &mut DbConnection, id: &str) -> Result<Option<i64>, DbError> {
    Ok(requests::table
        .find(id)
        .select(requests::version)
        .first(conn)
        .optional()?)
}

/// The whole aggregate of a request in five queries: groups by (created_at, insertion), files
/// and votes in insertion order, comments by (created_at, id), as `effect::apply` builds it.
pub fn load_request_state(
    conn: &mut DbConnection,
    request_id: &str,
) -> Result<Option<RequestState>, DbError> {
    let Some(request) = load_request(conn, request_id)? else {
        return Ok(None);
    };
    let mut states = vec![RequestState::new(request)];
    load_children(conn, &mut states, RequestIds::One(request_id))?;
    Ok(states.pop())
}

/// Ids per `IN (...)` list, well under every backend's parameter limit.
const IDS_PER_QUERY: usize = 500;

/// The aggregates of these requests, in the same order, in four queries per 500 requests
/// (never one per request): what a listing needs to compute per-request figures.
pub fn load_request_states(
    conn: &mut DbConnection,
    requests: Vec<Request>,
) -> Result<Vec<RequestState>, DbError> {
    let mut states: Vec<RequestState> = requests.into_iter().map(RequestState::new).collect();
    let ids: Vec<String> = states.iter().map(|s| s.request.id.clone()).collect();
    for chunk in ids.chunks(IDS_PER_QUERY) {
        load_children(conn, &mut states, RequestIds::Many(chunk))?;
    }
    Ok(states)
}

/// Which requests' rows to load: one (an `=` query, whose prepared statement is cached) or a
/// chunk of a listing (an `IN` list).
#[derive(Clone, Copy)]
enum RequestIds<'a> {
    One(&'a str),
    Many(&'a [String]),
}

/// The rows of `$table` whose `request_id` is among `$ids`, as `$row`s in `$order`.
macro_rules! child_rows {
    ($conn:expr, $ids:expr, $table:ident, $row:ty, $order:expr) => {
        match $ids {
            RequestIds::One(id) => $table::table
                .filter($table::request_id.eq(id))
                .order($order)
                .select(<$row>::as_select())
                .load::<$row>($conn)?,
            RequestIds::Many(chunk) => $table::table
                .filter($table::request_id.eq_any(chunk))
                .order($order)
                .select(<$row>::as_select())
                .load::<$row>($conn)?,
        }
    };
}

/// Adds the groups, files, votes and comments of `ids` to their states.
fn load_children(
    conn: &mut DbConnection,
    states: &mut [RequestState],
    ids: RequestIds<'_>,
) -> Result<(), DbError> {
    let position: std::collections::HashMap<String, usize> = states
        .iter()
        .enumerate()
        .map(|(i, s)| (s.request.id.clone(), i))
        .collect();
    let at = |id: &str| position.get(id).copied();
    let order = (request_groups::created_at, request_groups::id);
    for row in child_rows!(conn, ids, request_groups, GroupRow, order) {
        if let Some(i) = at(&row.request_id) {
            states[i].groups.push(row.into_group());
        }
    }
    for row in child_rows!(conn, ids, request_files, FileRow, request_files::id) {
        if let Some(i) = at(&row.request_id) {
            states[i].files.push(row.into_file()?);
        }
    }
    for row in child_rows!(conn, ids, votes, VoteRow, votes::id) {
        if let Some(i) = at(&row.request_id) {
            states[i].votes.push(row.into_vote()?);
        }
    }
    let order = (comments::created_at, comments::id);
    for row in child_rows!(conn, ids, comments, CommentRow, order) {
        if let Some(i) = at(&row.request_id) {
            states[i].comments.push(row.into_comment()?);
        }
    }
    Ok(())
}

/// The id of the user's current request in a workspace: their active request (ONE-3).
pub fn current_request_id(
    conn: &mut DbConnection,
    workspace: &str,
    author: &str,
) -> Result<Option<String>, DbError> {
    Ok(requests::table
        .filter(requests::workspace.eq(workspace))
        .filter(requests::author.eq(author))
        .filter(requests::status.eq_any(Status::active_names()))
        .select(requests::id)
        .first(conn)
        .optional()?)
}

/// Which requests [`list_requests`] returns. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestFilter {
    /// Only this workspace.
    pub workspace: Option<String>,
    /// Only this author.
    pub author: Option<String>,
    /// Only these statuses; empty means any.
    pub statuses: Vec<Status>,
    /// At most this many.
    pub limit: Option<i64>,
    /// Skip this many.
    pub offset: Option<i64>,
}

/// Requests matching the filter, newest first (by `created_at`, then id).
pub fn list_requests(
    conn: &mut DbConnection,
    filter: RequestFilter,
) -> Result<Vec<Request>, DbError> {
    let mut query = requests::table
        .select(RequestRow::as_select())
        .order((requests::created_at.desc(), requests::id.desc()))
        .into_boxed();
    if let Some(workspace) = filter.workspace {
        query = query.filter(requests::workspace.eq(workspace));
    }
    if let Some(author) = filter.author {
        query = query.filter(requests::author.eq(author));
    }
    if !filter.statuses.is_empty() {
        let names: Vec<&str> = filter.statuses.iter().map(|s| s.as_str()).collect();
        query = query.filter(requests::status.eq_any(names));
    }
    if let Some(limit) = filter.limit {
        query = query.limit(limit);
    }
    if let Some(offset) = filter.offset {
        query = query.offset(offset);
    }
    query
        .load(conn)?
        .into_iter()
        .map(RequestRow::into_request)
        .collect()
}

/// The `file_id`s of every released file of any request of the workspace (WS-5 row 2).
pub fn released_hashes(
    conn: &mut DbConnection,
    workspace: &str,
) -> Result<HashSet<String>, DbError> {
    Ok(request_files::table
        .inner_join(requests::table)
        .filter(requests::workspace.eq(workspace))
        .filter(request_files::released_at.is_not_null())
        .select(request_files::file_id)
        .distinct()
        .load::<String>(conn)?
        .into_iter()
        .collect())
}

/// Stores the user's record, replacing any previous one (USR-3).
pub fn upsert_user(
    conn: &mut DbConnection,
    user: &User,
    last_refresh: Timestamp,
) -> Result<(), DbError> {
    let row = UserRow::new(user, last_refresh)?;
    write_tx(conn, |conn| {
        let n = diesel::update(users::table.find(&row.username))
            .set(&row)
            .execute(conn)?;
        if n == 0 {
            diesel::insert_into(users::table)
                .values(&row)
                .execute(conn)?;
        }
        Ok(())
    })
}

/// The stored user record and its last refresh time.
pub fn get_user(
    conn: &mut DbConnection,
    username: &str,
) -> Result<Option<(User, Timestamp)>, DbError> {
    users::table
        .find(username)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .map(UserRow::into_user)
        .transpose()
}

/// The full names of these users that have one (USR-1), in one query.
pub fn full_names(
    conn: &mut DbConnection,
    usernames: &[&str],
) -> Result<Vec<(String, String)>, DbError> {
    let rows: Vec<(String, Option<String>)> = users::table
        .filter(users::username.eq_any(usernames))
        .select((users::username, users::fullname))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(user, name)| name.filter(|n| !n.trim().is_empty()).map(|n| (user, n)))
        .collect())
}

/// Which audit entries [`audit_entries`] returns; filters combine with AND (AUD-7).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only entries by this user.
    pub user: Option<String>,
    /// Only entries of this workspace.
    pub workspace: Option<String>,
    /// Only entries of this request.
    pub request: Option<String>,
    /// At most this many.
    pub limit: Option<i64>,
    /// Only entries with a greater id.
    pub after_id: Option<i64>,
}

/// Matching audit entries, hidden ones included, newest (highest id) first.
pub fn audit_entries(
    conn: &mut DbConnection,
    filter: AuditFilter,
) -> Result<Vec<AuditEntry>, DbError> {
    let mut query = audit_log::table
        .select(AuditRow::as_select())
        .order(audit_log::id.desc())
        .into_boxed();
    if let Some(user) = filter.user {
        query = query.filter(audit_log::username.eq(user));
    }
    if let Some(workspace) = filter.workspace {
        query = query.filter(audit_log::workspace.eq(workspace));
    }
    if let Some(request) = filter.request {
        query = query.filter(audit_log::request.eq(request));
    }
    if let Some(after) = filter.after_id {
        query = query.filter(audit_log::id.gt(after));
    }
    if let Some(limit) = filter.limit {
        query = query.limit(limit);
    }
    query
        .load(conn)?
        .into_iter()
        .map(AuditRow::into_entry)
        .collect()
}

/// Calls `f` on every audit entry in id order, reading `batch` rows at a time (keyset
/// pagination, so memory stays bounded on a long chain; AUD-5). Stops early when `f` breaks.
/// Returns the number of entries passed to `f`.
pub fn for_each_audit_entry(
    conn: &mut DbConnection,
    batch: i64,
    mut f: impl FnMut(&AuditEntry) -> ControlFlow<()>,
) -> Result<u64, DbError> {
    let batch = batch.max(1);
    // Reading rows on one thread while this one decodes them and runs `f` (typically hashing)
    // roughly halves a full-chain walk on two cores. At most two batches wait in between.
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<AuditRow>>(2);
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || -> Result<(), DbError> {
            let mut after = i64::MIN;
            loop {
                let rows = audit_log::table
                    .filter(audit_log::id.gt(after))
                    .order(audit_log::id)
                    .limit(batch)
                    .select(AuditRow::as_select())
                    .load(conn)?;
                let full = rows.len() as i64 == batch;
                if let Some(last) = rows.last() {
                    after = last.id;
                }
                // A closed channel means the caller stopped early.
                if !rows.is_empty() && sender.send(rows).is_err() {
                    return Ok(());
                }
                if !full {
                    return Ok(());
                }
            }
        });
        let mut seen = 0u64;
        let walked = (|| -> Result<(), DbError> {
            for rows in &receiver {
                for row in rows {
                    let entry = row.into_entry()?;
                    seen += 1;
                    if f(&entry).is_break() {
                        return Ok(());
                    }
                }
            }
            Ok(())
        })();
        drop(receiver);
        reader
            .join()
            .unwrap_or_else(|_| Err(DbError::Corrupt("the audit reader panicked".into())))?;
        walked?;
        Ok(seen)
    })
}
