-- The status page charts new items per day over the last 30 days, per feed
-- (when each feed first carried an item) and per topic (when the item was
-- first stored): both queries range-scan these indexes instead of every row.
CREATE INDEX sources_first_seen ON sources(first_seen, feed_id);
CREATE INDEX items_first_seen ON items(first_seen);
