DROP INDEX request_files_pending;
DROP TABLE scheduled_runs;
