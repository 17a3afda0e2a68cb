-- OPS-3: the day a scheduled job last ran, so that it runs once a day whatever the number of
-- workers or restarts. `last_run_on` is the UTC date, YYYY-MM-DD.
CREATE TABLE scheduled_runs (
    name TEXT PRIMARY KEY NOT NULL,
    last_run_on TEXT NOT NULL
);
-- UPL-1: the uploader's query of due files.
CREATE INDEX request_files_pending ON request_files (uploaded, released_at, upload_next_attempt_at);
-- UPL-2: the identity of each blob when the store wrote it and verified its sha256
-- (`<workspace>/<request id>/<sha256>`), so that the upload worker re-hashes only a blob whose
-- identity has changed since.
CREATE TABLE blob_seals (
    blob TEXT PRIMARY KEY NOT NULL,
    seal TEXT NOT NULL
);
-- The request aggregate's version: every transaction that changes a request, its groups,
-- files, votes or comments increments it, so that a process may keep the aggregate it read
-- and know, with one indexed read, whether it is still current.
ALTER TABLE requests ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
