-- Per-feed scheduling: when the feed is next due, how many polls in a row
-- failed and since when, where it moved (permanent redirects), and a
-- bounded log of recent fetches.
ALTER TABLE feeds ADD COLUMN next_check    INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN failures      INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN failing_since INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN moved_to      TEXT    NOT NULL DEFAULT '';

CREATE TABLE fetch_log (
	id          INTEGER PRIMARY KEY,
	feed_id     INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
	at          INTEGER NOT NULL,
	outcome     TEXT    NOT NULL,   -- ok, not_modified, failing, disabled
	http_status INTEGER NOT NULL DEFAULT 0,
	duration_ms INTEGER NOT NULL DEFAULT 0,
	bytes       INTEGER NOT NULL DEFAULT 0,
	new_items   INTEGER NOT NULL DEFAULT 0,
	updated     INTEGER NOT NULL DEFAULT 0,
	seen        INTEGER NOT NULL DEFAULT 0,
	error       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX fetch_log_feed ON fetch_log(feed_id, at DESC);
