-- PG-10: bearer tokens of the API and cookie sessions of the pages are both sessions, of two
-- kinds that never stand in for each other.
ALTER TABLE api_tokens RENAME TO sessions;
ALTER TABLE sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'api';
