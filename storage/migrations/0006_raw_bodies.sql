-- Raw bodies of the fetches that changed something, gzip-compressed, kept
-- for keep_raw so that `feedmill replay` can re-run the pipeline on them.
CREATE TABLE raw_bodies (
	id       INTEGER PRIMARY KEY,
	feed_id  INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
	at       INTEGER NOT NULL,
	url      TEXT    NOT NULL,
	content_type TEXT NOT NULL DEFAULT '',
	body     BLOB    NOT NULL
);
CREATE INDEX raw_bodies_at ON raw_bodies(at);
CREATE INDEX raw_bodies_feed ON raw_bodies(feed_id, at);
