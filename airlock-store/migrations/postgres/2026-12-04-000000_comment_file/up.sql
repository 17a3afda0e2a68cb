-- COM-3: the file a comment was posted from (its path on the request), or null.
ALTER TABLE comments ADD COLUMN file TEXT;
