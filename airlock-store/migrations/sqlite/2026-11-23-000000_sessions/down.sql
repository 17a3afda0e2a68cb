ALTER TABLE api_tokens DROP COLUMN ended_reason;
ALTER TABLE users DROP COLUMN refresh_failed_at;
