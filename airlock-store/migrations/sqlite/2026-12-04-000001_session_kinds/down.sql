ALTER TABLE sessions DROP COLUMN kind;
ALTER TABLE sessions RENAME TO api_tokens;
