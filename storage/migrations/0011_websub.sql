-- WebSub: the builtin hub's verified subscriptions, one per topic and
-- callback, dropped when their lease expires.
CREATE TABLE websub_subscriptions (
	topic    TEXT    NOT NULL,
	callback TEXT    NOT NULL,
	secret   TEXT    NOT NULL DEFAULT '',
	expires  INTEGER NOT NULL,
	created  INTEGER NOT NULL,
	PRIMARY KEY (topic, callback)
) WITHOUT ROWID;
CREATE INDEX websub_subscriptions_expires ON websub_subscriptions(expires);

-- The ETag of the content last announced for each topic, so a change made
-- while the daemon was down is announced when it starts.
CREATE TABLE websub_topics (
	topic   TEXT    PRIMARY KEY,
	etag    TEXT    NOT NULL,
	updated INTEGER NOT NULL
) WITHOUT ROWID;
