-- Feeds known to the database. A feed row survives its removal from the
-- config so that its items keep their source.
CREATE TABLE feeds (
	id            INTEGER PRIMARY KEY,
	name          TEXT    NOT NULL UNIQUE,
	url           TEXT    NOT NULL,
	title         TEXT    NOT NULL DEFAULT '',
	site_url      TEXT    NOT NULL DEFAULT '',
	last_fetch    INTEGER NOT NULL DEFAULT 0,   -- unix nanoseconds, 0 = never
	last_success  INTEGER NOT NULL DEFAULT 0,
	status        TEXT    NOT NULL DEFAULT '',
	last_error    TEXT    NOT NULL DEFAULT ''
);

-- One row per stored item, however many feeds carried it.
CREATE TABLE items (
	id          INTEGER PRIMARY KEY,
	feed_id     INTEGER NOT NULL REFERENCES feeds(id),   -- first feed that carried it
	link        TEXT    NOT NULL DEFAULT '',             -- canonical link
	title       TEXT    NOT NULL,
	content     TEXT    NOT NULL DEFAULT '',
	author      TEXT    NOT NULL DEFAULT '',
	categories  TEXT    NOT NULL DEFAULT '[]',           -- JSON array
	published   INTEGER NOT NULL,                        -- unix nanoseconds
	updated     INTEGER NOT NULL DEFAULT 0,
	first_seen  INTEGER NOT NULL
);

-- Every link an item was ever known under, in its de-duplication form, so
-- the same article arriving from another feed (or under an older link) is
-- found whatever link the item shows now.
CREATE TABLE links (
	link_key  TEXT    PRIMARY KEY,
	item_id   INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX links_item ON links(item_id);
CREATE INDEX items_published ON items(published DESC, id DESC);

-- One row per feed that carried an item: the feed's own identity for it.
CREATE TABLE sources (
	feed_id     INTEGER NOT NULL REFERENCES feeds(id),
	key         TEXT    NOT NULL,                        -- guid:, link: or hash: key
	item_id     INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
	link        TEXT    NOT NULL DEFAULT '',
	raw_hash    TEXT    NOT NULL,                        -- fingerprint of the raw item as fetched
	first_seen  INTEGER NOT NULL,
	PRIMARY KEY (feed_id, key)
) WITHOUT ROWID;
CREATE INDEX sources_item ON sources(item_id);

-- Topics each item matched.
CREATE TABLE item_topics (
	topic    TEXT    NOT NULL,
	item_id  INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
	PRIMARY KEY (topic, item_id)
) WITHOUT ROWID;
CREATE INDEX item_topics_item ON item_topics(item_id);

-- Counters shared by every process using the database. items_version grows
-- with every committed change to items, so an output cache in any process
-- knows when to rebuild.
CREATE TABLE counters (
	name   TEXT    PRIMARY KEY,
	value  INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO counters (name, value) VALUES ('items_version', 0);
