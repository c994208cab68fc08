-- SQLite's migrations 0010 (retention tombstones) and 0012 (readers).
CREATE TABLE tombstones (
	feed_id     BIGINT  NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
	key         TEXT    NOT NULL,
	item_id     BIGINT  NOT NULL,
	deleted_at  BIGINT  NOT NULL,
	seen_at     BIGINT  NOT NULL,
	PRIMARY KEY (feed_id, key)
);
CREATE INDEX tombstones_item ON tombstones(item_id);
CREATE INDEX tombstones_seen ON tombstones(seen_at);

CREATE TABLE link_tombstones (
	link_key  TEXT    PRIMARY KEY,
	item_id   BIGINT  NOT NULL
);
CREATE INDEX link_tombstones_item ON link_tombstones(item_id);

ALTER TABLE feeds ADD COLUMN last_parsed BIGINT NOT NULL DEFAULT 0;

INSERT INTO counters (name, value) VALUES ('items_pruned', 0), ('last_prune', 0);

CREATE TABLE readers (
	output       TEXT    COLLATE "C" NOT NULL,
	service      TEXT    COLLATE "C" NOT NULL,
	feed_id      TEXT    COLLATE "C" NOT NULL,
	subscribers  INTEGER NOT NULL,
	seen         BIGINT  NOT NULL,
	PRIMARY KEY (output, service, feed_id)
);
