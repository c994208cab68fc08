-- Story grouping: each item's story (0 while not grouped, as for items
-- stored before this migration until a restory) and its signature, the
-- compact fingerprint of its title and lead (stories.Signature), so that
-- the grouping can be rebuilt at start and redone with other thresholds
-- without the text being tokenized again.
ALTER TABLE items ADD COLUMN story_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN signature BLOB;
CREATE INDEX items_story ON items(story_id, published, id);

-- One row per story: its id is the id its first item had; centre is that
-- item (the one its members were compared with), first_published the
-- centre's publication time, updated when its last member joined, members
-- how many items it has.
CREATE TABLE stories (
	id               INTEGER PRIMARY KEY,
	centre           INTEGER NOT NULL,
	first_published  INTEGER NOT NULL,
	updated          INTEGER NOT NULL,
	members          INTEGER NOT NULL
);
CREATE INDEX stories_updated ON stories(updated DESC);
