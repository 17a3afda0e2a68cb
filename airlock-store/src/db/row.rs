//! Row types of the tables and their conversion to and from `airlock_core` types. Enums are
//! stored by name (ST-3), maps and lists as JSON text, times as UTC microseconds.

use super::DbError;
use super::schema::{
    audit_log, comments, notifications, request_files, request_groups, requests, users, votes,
};
use airlock_core::audit::{AuditEntry, EXTRA_REVIEW_TURN, NewAudit};
use airlock_core::{
    Comment, Group, OutputMeta, Request, RequestFile, Status, Timestamp, UploadState, User, Vote,
};
use chrono::{NaiveDateTime, Timelike};
use diesel::prelude::*;
use std::str::FromStr;

/// The time as stored: truncated to whole microseconds (both backends keep exactly that).
/// Callers that compare a time with what they read back should pass times through this.
pub fn db_time(t: Timestamp) -> Timestamp {
    let nanos = t.nanosecond();
    t.with_nanosecond(nanos - nanos % 1_000).unwrap_or(t)
}

/// A time as a column value.
pub fn to_naive(t: Timestamp) -> NaiveDateTime {
    db_time(t).naive_utc()
}

/// A column value as a time (stored times are UTC).
pub fn from_naive(t: NaiveDateTime) -> Timestamp {
    t.and_utc()
}

fn opt_to_naive(t: Option<Timestamp>) -> Option<NaiveDateTime> {
    t.map(to_naive)
}

fn opt_from_naive(t: Option<NaiveDateTime>) -> Option<Timestamp> {
    t.map(from_naive)
}

/// Parses a stored enum name.
pub fn parse_name<T: FromStr>(what: &str, value: &str) -> Result<T, DbError> {
    value
        .parse()
        .map_err(|_| DbError::Corrupt(format!("{what} {value:?}")))
}

/// A `requests` row (REQ-1).
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = requests, treat_none_as_null = true)]
pub struct RequestRow {
    /// ULID.
    pub id: String,
    /// Workspace.
    pub workspace: String,
    /// Author.
    pub author: String,
    /// Status name.
    pub status: String,
    /// Turn.
    pub review_turn: i64,
    /// JSON map user → time.
    pub submitted_reviews: String,
    /// JSON array of user ids.
    pub turn_reviewers: String,
    /// Last submission.
    pub last_submitted_at: Option<NaiveDateTime>,
    /// Project.
    pub project: String,
    /// JSON array of organisations.
    pub organisations: String,
    /// Creation.
    pub created_at: NaiveDateTime,
    /// Last change.
    pub updated_at: NaiveDateTime,
}

impl RequestRow {
    /// The row of a request.
    pub fn from_request(r: &Request) -> Result<Self, DbError> {
        Ok(RequestRow {
            id: r.id.clone(),
            workspace: r.workspace.clone(),
            author: r.author.clone(),
            status: r.status.as_str().to_string(),
            review_turn: r.review_turn,
            submitted_reviews: serde_json::to_string(&r.submitted_reviews)?,
            turn_reviewers: serde_json::to_string(&r.turn_reviewers)?,
            last_submitted_at: opt_to_naive(r.last_submitted_at),
            project: r.project.clone(),
            organisations: serde_json::to_string(&r.organisations)?,
            created_at: to_naive(r.created_at),
            updated_at: to_naive(r.updated_at),
        })
    }

    /// The request of a row.
    pub fn into_request(self) -> Result<Request, DbError> {
        Ok(Request {
            status: parse_name::<Status>("status", &self.status)?,
            id: self.id,
            workspace: self.workspace,
            author: self.author,
            review_turn: self.review_turn,
            submitted_reviews: serde_json::from_str(&self.submitted_reviews)?,
            turn_reviewers: serde_json::from_str(&self.turn_reviewers)?,
            last_submitted_at: opt_from_naive(self.last_submitted_at),
            project: self.project,
            organisations: serde_json::from_str(&self.organisations)?,
            created_at: from_naive(self.created_at),
            updated_at: from_naive(self.updated_at),
        })
    }
}

/// A `request_groups` row without its surrogate id (GRP-1).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = request_groups)]
pub struct GroupRow {
    /// Request.
    pub request_id: String,
    /// Lower-case name.
    pub name: String,
    /// Context text.
    pub context: String,
    /// Controls text.
    pub controls: String,
    /// Creation.
    pub created_at: NaiveDateTime,
    /// Last edit.
    pub updated_at: NaiveDateTime,
}

impl GroupRow {
    /// The row of a group of a request.
    pub fn new(request_id: &str, g: &Group) -> Self {
        GroupRow {
            request_id: request_id.to_string(),
            name: g.name.clone(),
            context: g.context.clone(),
            controls: g.controls.clone(),
            created_at: to_naive(g.created_at),
            updated_at: to_naive(g.updated_at),
        }
    }

    /// The group of a row.
    pub fn into_group(self) -> Group {
        Group {
            name: self.name,
            context: self.context,
            controls: self.controls,
            created_at: from_naive(self.created_at),
            updated_at: from_naive(self.updated_at),
        }
    }
}

/// A `request_files` row without its surrogate id (FIL-1).
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = request_files, treat_none_as_null = true)]
pub struct FileRow {
    /// Request.
    pub request_id: String,
    /// Path.
    pub relpath: String,
    /// Group.
    pub group_name: String,
    /// sha256 of the content.
    pub file_id: String,
    /// FileType name.
    pub filetype: String,
    /// Manifest `timestamp`.
    pub mtime: f64,
    /// Size.
    pub size: i64,
    /// Job.
    pub job_id: String,
    /// Study commit.
    pub commit_sha: String,
    /// Study repository.
    pub repo: String,
    /// CSV rows.
    pub row_count: Option<i64>,
    /// CSV columns.
    pub col_count: Option<i64>,
    /// Release time.
    pub released_at: Option<NaiveDateTime>,
    /// Releasing checker.
    pub released_by: Option<String>,
    /// Uploaded.
    pub uploaded: bool,
    /// Upload time.
    pub uploaded_at: Option<NaiveDateTime>,
    /// Attempts.
    pub upload_attempts: i64,
    /// Last attempt.
    pub upload_attempted_at: Option<NaiveDateTime>,
    /// Next attempt.
    pub upload_next_attempt_at: Option<NaiveDateTime>,
    /// Last failure.
    pub upload_last_error: Option<String>,
}

impl FileRow {
    /// The row of a file of a request.
    pub fn new(request_id: &str, f: &RequestFile) -> Self {
        FileRow {
            request_id: request_id.to_string(),
            relpath: f.relpath.clone(),
            group_name: f.group.clone(),
            file_id: f.file_id.clone(),
            filetype: f.filetype.as_str().to_string(),
            mtime: f.meta.timestamp,
            size: f.meta.size,
            job_id: f.meta.job_id.clone(),
            commit_sha: f.meta.commit.clone(),
            repo: f.meta.repo.clone(),
            row_count: f.meta.row_count,
            col_count: f.meta.col_count,
            released_at: opt_to_naive(f.upload.released_at),
            released_by: f.upload.released_by.clone(),
            uploaded: f.upload.uploaded,
            uploaded_at: opt_to_naive(f.upload.uploaded_at),
            upload_attempts: f.upload.upload_attempts,
            upload_attempted_at: opt_to_naive(f.upload.upload_attempted_at),
            upload_next_attempt_at: opt_to_naive(f.upload.upload_next_attempt_at),
            upload_last_error: f.upload.upload_last_error.clone(),
        }
    }

    /// The file of a row.
    pub fn into_file(self) -> Result<RequestFile, DbError> {
        Ok(RequestFile {
            filetype: parse_name("file type", &self.filetype)?,
            relpath: self.relpath,
            group: self.group_name,
            file_id: self.file_id,
            meta: OutputMeta {
                timestamp: self.mtime,
                size: self.size,
                job_id: self.job_id,
                commit: self.commit_sha,
                repo: self.repo,
                row_count: self.row_count,
                col_count: self.col_count,
            },
            upload: UploadState {
                released_at: opt_from_naive(self.released_at),
                released_by: self.released_by,
                uploaded: self.uploaded,
                uploaded_at: opt_from_naive(self.uploaded_at),
                upload_attempts: self.upload_attempts,
                upload_attempted_at: opt_from_naive(self.upload_attempted_at),
                upload_next_attempt_at: opt_from_naive(self.upload_next_attempt_at),
                upload_last_error: self.upload_last_error,
            },
        })
    }
}

/// A `votes` row without its surrogate id (REV-1).
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = votes)]
pub struct VoteRow {
    /// Request.
    pub request_id: String,
    /// File path.
    pub relpath: String,
    /// Voter.
    pub reviewer: String,
    /// VoteStatus name.
    pub status: String,
    /// Turn.
    pub review_turn: i64,
    /// Creation.
    pub created_at: NaiveDateTime,
    /// Last change.
    pub updated_at: NaiveDateTime,
}

impl VoteRow {
    /// The row of a vote on a request.
    pub fn new(request_id: &str, v: &Vote) -> Self {
        VoteRow {
            request_id: request_id.to_string(),
            relpath: v.relpath.clone(),
            reviewer: v.reviewer.clone(),
            status: v.status.as_str().to_string(),
            review_turn: v.review_turn,
            created_at: to_naive(v.created_at),
            updated_at: to_naive(v.updated_at),
        }
    }

    /// The vote of a row.
    pub fn into_vote(self) -> Result<Vote, DbError> {
        Ok(Vote {
            status: parse_name("vote status", &self.status)?,
            relpath: self.relpath,
            reviewer: self.reviewer,
            review_turn: self.review_turn,
            created_at: from_naive(self.created_at),
            updated_at: from_naive(self.updated_at),
        })
    }
}

/// A `comments` row (COM-1).
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = comments)]
pub struct CommentRow {
    /// Comment id.
    pub id: String,
    /// Request.
    pub request_id: String,
    /// Group.
    pub group_name: String,
    /// Writer.
    pub author: String,
    /// Markdown.
    pub text: String,
    /// Visibility name.
    pub visibility: String,
    /// Turn.
    pub review_turn: i64,
    /// Creation.
    pub created_at: NaiveDateTime,
    /// The file it was posted from (COM-3).
    pub file: Option<String>,
}

impl CommentRow {
    /// The row of a comment on a request.
    pub fn new(request_id: &str, c: &Comment) -> Self {
        CommentRow {
            id: c.id.clone(),
            request_id: request_id.to_string(),
            group_name: c.group.clone(),
            author: c.author.clone(),
            text: c.text.clone(),
            visibility: c.visibility.as_str().to_string(),
            review_turn: c.review_turn,
            created_at: to_naive(c.created_at),
            file: c.file.clone(),
        }
    }

    /// The comment of a row.
    pub fn into_comment(self) -> Result<Comment, DbError> {
        Ok(Comment {
            visibility: parse_name("visibility", &self.visibility)?,
            id: self.id,
            group: self.group_name,
            author: self.author,
            text: self.text,
            review_turn: self.review_turn,
            created_at: from_naive(self.created_at),
            file: self.file,
        })
    }
}

/// An `audit_log` row (AUD-1).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    /// Chain position.
    pub id: i64,
    /// AuditType name.
    pub kind: String,
    /// Acting user.
    pub username: String,
    /// Workspace.
    pub workspace: String,
    /// Request.
    pub request: Option<String>,
    /// Path.
    pub path: Option<String>,
    /// JSON map of string to string.
    pub extra: String,
    /// The extra `review_turn`, as a number, for RET-3.
    pub review_turn: Option<i64>,
    /// Creation.
    pub created_at: NaiveDateTime,
    /// Hidden by an early return.
    pub hidden: bool,
    /// Previous hash.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

impl AuditRow {
    /// The row of an entry at chain position `id`.
    pub fn new(id: i64, a: &NewAudit, prev_hash: String, hash: String) -> Result<Self, DbError> {
        Ok(AuditRow {
            id,
            kind: a.kind.as_str().to_string(),
            username: a.user.clone(),
            workspace: a.workspace.clone(),
            request: a.request.clone(),
            path: a.path.clone(),
            extra: serde_json::to_string(&a.extra)?,
            review_turn: a.extra.get(EXTRA_REVIEW_TURN).and_then(|t| t.parse().ok()),
            created_at: to_naive(a.created_at),
            hidden: false,
            prev_hash,
            hash,
        })
    }

    /// The entry of a row.
    pub fn into_entry(self) -> Result<AuditEntry, DbError> {
        Ok(AuditEntry {
            id: self.id,
            entry: NewAudit {
                kind: parse_name("audit type", &self.kind)?,
                user: self.username,
                workspace: self.workspace,
                request: self.request,
                path: self.path,
                extra: serde_json::from_str(&self.extra)?,
                created_at: from_naive(self.created_at),
            },
            hidden: self.hidden,
            prev_hash: self.prev_hash,
            hash: self.hash,
        })
    }
}

/// A new `notifications` outbox row (NOT-4).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = notifications)]
pub struct NewNotificationRow {
    /// Request.
    pub request_id: String,
    /// Event name.
    pub event_type: String,
    /// The JSON payload to send (API-26/27).
    pub payload: String,
    /// Acting user.
    pub username: String,
    /// Queue time.
    pub created_at: NaiveDateTime,
    /// Attempts so far.
    pub attempts: i64,
    /// When the next attempt is due.
    pub next_attempt_at: Option<NaiveDateTime>,
}

/// A `users` row (USR-1).
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = users, treat_none_as_null = true)]
pub struct UserRow {
    /// Username.
    pub username: String,
    /// Display name.
    pub fullname: Option<String>,
    /// The whole record as JSON.
    pub record: String,
    /// Last refresh from the Jobs site.
    pub last_refresh: NaiveDateTime,
}

impl UserRow {
    /// The row of a user.
    pub fn new(user: &User, last_refresh: Timestamp) -> Result<Self, DbError> {
        Ok(UserRow {
            username: user.username.clone(),
            fullname: user.fullname.clone(),
            record: serde_json::to_string(user)?,
            last_refresh: to_naive(last_refresh),
        })
    }

    /// The user and last refresh time of a row.
    pub fn into_user(self) -> Result<(User, Timestamp), DbError> {
        Ok((
            serde_json::from_str(&self.record)?,
            from_naive(self.last_refresh),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn db_time_truncates_to_microseconds() {
        let t = chrono::Utc
            .timestamp_opt(1_700_000_000, 123_456_789)
            .single()
            .unwrap_or_default();
        assert_eq!(db_time(t).nanosecond(), 123_456_000);
        assert_eq!(from_naive(to_naive(t)), db_time(t));
    }
}
