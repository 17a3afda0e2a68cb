ALTER TABLE requests DROP COLUMN version;
DROP TABLE blob_seals;
DROP INDEX request_files_pending;
DROP TABLE scheduled_runs;
