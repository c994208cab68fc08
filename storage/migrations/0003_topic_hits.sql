-- Why each item has its topics: the terms that matched and where (title or
-- text), one JSON array of {"term", "field"} per item and topic.
ALTER TABLE item_topics ADD COLUMN hits TEXT NOT NULL DEFAULT '[]';

-- What retagging needs to match an item again without the feed: the plain
-- text it was matched on ('' for items stored before this migration; the
-- retagger then derives it from content) and the feed document's language.
ALTER TABLE items ADD COLUMN text TEXT NOT NULL DEFAULT '';
ALTER TABLE items ADD COLUMN lang TEXT NOT NULL DEFAULT '';

-- Small named values shared by every process, such as the fingerprint of
-- the topic rules the stored tags were computed with.
CREATE TABLE meta (
	name   TEXT PRIMARY KEY,
	value  TEXT NOT NULL
) WITHOUT ROWID;
