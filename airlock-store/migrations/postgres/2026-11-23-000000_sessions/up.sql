-- AUTH-7: when the last re-authorisation of a user failed (a new attempt waits a minute).
ALTER TABLE users ADD COLUMN refresh_failed_at TIMESTAMP;
-- api.md §5: why a token stopped working before its expiry ('session_expired' when
-- re-authorisation ended it); NULL while it works or after a plain revocation.
ALTER TABLE api_tokens ADD COLUMN ended_reason TEXT;
