-- Retention: what remains of deleted items. A tombstone keeps a feed's key
-- for an item that retention deleted, so the item is not stored again as
-- new while its feed still carries it; seen_at is the last poll whose
-- document carried it. item_id is the deleted item's id (no longer in
-- items), grouping an item's tombstones.
CREATE TABLE tombstones (
	feed_id     INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
	key         TEXT    NOT NULL,
	item_id     INTEGER NOT NULL,
	deleted_at  INTEGER NOT NULL,
	seen_at     INTEGER NOT NULL,
	PRIMARY KEY (feed_id, key)
) WITHOUT ROWID;
CREATE INDEX tombstones_item ON tombstones(item_id);
CREATE INDEX tombstones_seen ON tombstones(seen_at);

-- The link keys of deleted items, so that another feed carrying the same
-- article does not bring it back either. They go with the item's last
-- tombstone.
CREATE TABLE link_tombstones (
	link_key  TEXT    PRIMARY KEY,
	item_id   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX link_tombstones_item ON link_tombstones(item_id);

-- When each feed's document was last parsed (a poll that was not a 304 or
-- an unchanged body): a tombstone not seen since then has left the feed.
ALTER TABLE feeds ADD COLUMN last_parsed INTEGER NOT NULL DEFAULT 0;

-- Totals of what retention did, for metrics.
INSERT INTO counters (name, value) VALUES ('items_pruned', 0), ('last_prune', 0);
