-- An estimate of how many new items a feed publishes a day (a moving
-- average over polls), so quiet feeds are polled less often. -1: unknown.
ALTER TABLE feeds ADD COLUMN rate REAL NOT NULL DEFAULT -1;
