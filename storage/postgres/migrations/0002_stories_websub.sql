-- SQLite's migrations 0009 (stories), 0011 (WebSub) and 0013 (first_seen
-- indexes for the status page), in one.
ALTER TABLE items ADD COLUMN story_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN signature BYTEA;
CREATE INDEX items_story ON items(story_id, published, id);

CREATE TABLE stories (
	id               BIGINT  PRIMARY KEY,
	centre           BIGINT  NOT NULL,
	first_published  BIGINT  NOT NULL,
	updated          BIGINT  NOT NULL,
	members          INTEGER NOT NULL
);
CREATE INDEX stories_updated ON stories(updated DESC);

CREATE TABLE websub_subscriptions (
	topic    TEXT    COLLATE "C" NOT NULL,
	callback TEXT    COLLATE "C" NOT NULL,
	secret   TEXT    NOT NULL DEFAULT '',
	expires  BIGINT  NOT NULL,
	created  BIGINT  NOT NULL,
	PRIMARY KEY (topic, callback)
);
CREATE INDEX websub_subscriptions_expires ON websub_subscriptions(expires);

CREATE TABLE websub_topics (
	topic   TEXT    PRIMARY KEY,
	etag    TEXT    NOT NULL,
	updated BIGINT  NOT NULL
);

CREATE INDEX sources_first_seen ON sources(first_seen, feed_id);
CREATE INDEX items_first_seen ON items(first_seen);
