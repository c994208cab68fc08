-- What a poll remembers for the next one: HTTP validators for conditional
-- GET, and a hash of the last body so an unchanged document is not parsed.
ALTER TABLE feeds ADD COLUMN etag          TEXT    NOT NULL DEFAULT '';
ALTER TABLE feeds ADD COLUMN last_modified TEXT    NOT NULL DEFAULT '';
ALTER TABLE feeds ADD COLUMN body_hash     TEXT    NOT NULL DEFAULT '';
ALTER TABLE feeds ADD COLUMN http_status   INTEGER NOT NULL DEFAULT 0;
