-- Leases on feeds, so processes sharing the database split the polling:
-- the process polling a feed now, until when, and when it claimed it.
ALTER TABLE feeds ADD COLUMN lease_owner TEXT    NOT NULL DEFAULT '';
ALTER TABLE feeds ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN claimed_at  INTEGER NOT NULL DEFAULT 0;
