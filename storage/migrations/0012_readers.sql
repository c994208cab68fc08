-- The latest subscriber count each feed service announced (in its
-- User-Agent) for each output, so reader counts survive a restart.
CREATE TABLE readers (
	output       TEXT    NOT NULL,
	service      TEXT    NOT NULL,
	feed_id      TEXT    NOT NULL,   -- the service's subscription id, or fmt:FORMAT
	subscribers  INTEGER NOT NULL,
	seen         INTEGER NOT NULL,   -- unix nanoseconds of the last request
	PRIMARY KEY (output, service, feed_id)
) WITHOUT ROWID;
