-- Airlock schema, SQLite. Keep in step with ../../postgres (same tables, columns and indexes).
-- Times are TIMESTAMP values in UTC at microsecond precision; ids, enums and JSON are TEXT;
-- statuses are stored by name (ST-3).

-- USR-1, USR-3: the whole user record as JSON, replaced at each login or refresh.
CREATE TABLE users (
    username TEXT PRIMARY KEY NOT NULL,
    fullname TEXT,
    record TEXT NOT NULL,
    last_refresh TIMESTAMP NOT NULL
);

-- REQ-1.
CREATE TABLE requests (
    id TEXT PRIMARY KEY NOT NULL,
    workspace TEXT NOT NULL,
    author TEXT NOT NULL,
    status TEXT NOT NULL,
    review_turn BIGINT NOT NULL,
    submitted_reviews TEXT NOT NULL,
    turn_reviewers TEXT NOT NULL,
    last_submitted_at TIMESTAMP,
    project TEXT NOT NULL,
    organisations TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- ONE-2: at most one active request per (workspace, author). The list is Status::active_names().
CREATE UNIQUE INDEX requests_one_active ON requests (workspace, author)
    WHERE status IN ('PENDING', 'SUBMITTED', 'PARTIALLY_REVIEWED', 'REVIEWED', 'RETURNED');
CREATE INDEX requests_workspace ON requests (workspace, created_at);
CREATE INDEX requests_author ON requests (author, created_at);

-- GRP-1.
CREATE TABLE request_groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL REFERENCES requests (id),
    name TEXT NOT NULL,
    context TEXT NOT NULL,
    controls TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (request_id, name)
);

-- FIL-1. `id` keeps insertion order; the group must exist when the transaction commits.
CREATE TABLE request_files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL REFERENCES requests (id),
    relpath TEXT NOT NULL,
    group_name TEXT NOT NULL,
    file_id TEXT NOT NULL,
    filetype TEXT NOT NULL,
    mtime DOUBLE PRECISION NOT NULL,
    size BIGINT NOT NULL,
    job_id TEXT NOT NULL,
    commit_sha TEXT NOT NULL,
    repo TEXT NOT NULL,
    row_count BIGINT,
    col_count BIGINT,
    released_at TIMESTAMP,
    released_by TEXT,
    uploaded BOOLEAN NOT NULL,
    uploaded_at TIMESTAMP,
    upload_attempts BIGINT NOT NULL,
    upload_attempted_at TIMESTAMP,
    upload_next_attempt_at TIMESTAMP,
    upload_last_error TEXT,
    UNIQUE (request_id, relpath),
    FOREIGN KEY (request_id, group_name) REFERENCES request_groups (request_id, name)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX request_files_released ON request_files (released_at)
    WHERE released_at IS NOT NULL;

-- REV-1.
CREATE TABLE votes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL REFERENCES requests (id),
    relpath TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    status TEXT NOT NULL,
    review_turn BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (request_id, relpath, reviewer)
);

-- COM-1.
CREATE TABLE comments (
    id TEXT PRIMARY KEY NOT NULL,
    request_id TEXT NOT NULL REFERENCES requests (id),
    group_name TEXT NOT NULL,
    author TEXT NOT NULL,
    text TEXT NOT NULL,
    visibility TEXT NOT NULL,
    review_turn BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX comments_request ON comments (request_id, created_at);

-- AUD-1, AUD-4. `id` is written explicitly (the hash covers it); `review_turn` copies the
-- extra `review_turn` so that RET-3 can hide a turn through an index. Each prev_hash is unique:
-- the chain cannot fork.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY NOT NULL,
    type TEXT NOT NULL,
    username TEXT NOT NULL,
    workspace TEXT NOT NULL,
    request TEXT,
    path TEXT,
    extra TEXT NOT NULL,
    review_turn BIGINT,
    created_at TIMESTAMP NOT NULL,
    hidden BOOLEAN NOT NULL DEFAULT FALSE,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE UNIQUE INDEX audit_log_prev_hash ON audit_log (prev_hash);
CREATE INDEX audit_log_request ON audit_log (request, review_turn);
CREATE INDEX audit_log_username ON audit_log (username);
CREATE INDEX audit_log_workspace ON audit_log (workspace);

-- NOT-4: the notification outbox.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL REFERENCES requests (id),
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    username TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP,
    delivered_at TIMESTAMP,
    last_error TEXT,
    jobs_site_message TEXT
);
CREATE INDEX notifications_pending ON notifications (id) WHERE delivered_at IS NULL;
CREATE INDEX notifications_request ON notifications (request_id, id);

-- API tokens (stored hashed).
CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX api_tokens_username ON api_tokens (username);
