//! Diesel table definitions, identical for SQLite and PostgreSQL (see `migrations/`).
//!
//! Times are `Timestamp` (UTC, microsecond precision), ids and enum names are `Text` (ST-3),
//! maps and lists are JSON `Text`.

#![allow(missing_docs)]

diesel::table! {
    /// USR-1: users and their whole record as JSON.
    users (username) {
        username -> Text,
        fullname -> Nullable<Text>,
        record -> Text,
        last_refresh -> Timestamp,
        refresh_failed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// REQ-1: requests. ONE-2 is a partial unique index over (workspace, author).
    requests (id) {
        id -> Text,
        workspace -> Text,
        author -> Text,
        status -> Text,
        review_turn -> BigInt,
        submitted_reviews -> Text,
        turn_reviewers -> Text,
        last_submitted_at -> Nullable<Timestamp>,
        project -> Text,
        organisations -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        /// Incremented by every transaction that changes the aggregate.
        version -> BigInt,
    }
}

diesel::table! {
    /// GRP-1: file groups, unique on (request_id, name).
    request_groups (id) {
        id -> BigInt,
        request_id -> Text,
        name -> Text,
        context -> Text,
        controls -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// FIL-1: request files, unique on (request_id, relpath); `id` is the insertion order.
    request_files (id) {
        id -> BigInt,
        request_id -> Text,
        relpath -> Text,
        group_name -> Text,
        file_id -> Text,
        filetype -> Text,
        mtime -> Double,
        size -> BigInt,
        job_id -> Text,
        commit_sha -> Text,
        repo -> Text,
        row_count -> Nullable<BigInt>,
        col_count -> Nullable<BigInt>,
        released_at -> Nullable<Timestamp>,
        released_by -> Nullable<Text>,
        uploaded -> Bool,
        uploaded_at -> Nullable<Timestamp>,
        upload_attempts -> BigInt,
        upload_attempted_at -> Nullable<Timestamp>,
        upload_next_attempt_at -> Nullable<Timestamp>,
        upload_last_error -> Nullable<Text>,
    }
}

diesel::table! {
    /// REV-1: votes, unique on (request_id, relpath, reviewer).
    votes (id) {
        id -> BigInt,
        request_id -> Text,
        relpath -> Text,
        reviewer -> Text,
        status -> Text,
        review_turn -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// COM-1: comments.
    comments (id) {
        id -> Text,
        request_id -> Text,
        group_name -> Text,
        author -> Text,
        text -> Text,
        visibility -> Text,
        review_turn -> BigInt,
        created_at -> Timestamp,
        file -> Nullable<Text>,
    }
}

diesel::table! {
    /// AUD-1: the audit log, one hash chain in id order (AUD-4).
    audit_log (id) {
        id -> BigInt,
        #[sql_name = "type"]
        kind -> Text,
        username -> Text,
        workspace -> Text,
        request -> Nullable<Text>,
        path -> Nullable<Text>,
        extra -> Text,
        review_turn -> Nullable<BigInt>,
        created_at -> Timestamp,
        hidden -> Bool,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    /// NOT-4: the notification outbox.
    notifications (id) {
        id -> BigInt,
        request_id -> Text,
        event_type -> Text,
        payload -> Text,
        username -> Text,
        created_at -> Timestamp,
        attempts -> BigInt,
        next_attempt_at -> Nullable<Timestamp>,
        delivered_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        jobs_site_message -> Nullable<Text>,
    }
}

diesel::table! {
    /// API tokens, stored as a hash.
    sessions (token_hash) {
        token_hash -> Text,
        username -> Text,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        ended_reason -> Nullable<Text>,
        kind -> Text,
    }
}

diesel::table! {
    /// The day each scheduled job last ran (OPS-3).
    scheduled_runs (name) {
        name -> Text,
        last_run_on -> Text,
    }
}

diesel::table! {
    /// The identity of each blob when it was written and verified (UPL-2).
    blob_seals (blob) {
        blob -> Text,
        seal -> Text,
    }
}

diesel::joinable!(request_groups -> requests (request_id));
diesel::joinable!(request_files -> requests (request_id));
diesel::joinable!(votes -> requests (request_id));
diesel::joinable!(comments -> requests (request_id));
diesel::joinable!(notifications -> requests (request_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    requests,
    request_groups,
    request_files,
    votes,
    comments,
    audit_log,
    notifications,
    sessions,
    scheduled_runs,
    blob_seals,
);
