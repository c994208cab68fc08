package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
)

// keyDeleted reports whether retention deleted the item that feed feedID
// carried under key: its tombstone is still there.
func keyDeleted(ctx context.Context, tx pgx.Tx, feedID int64, key string) (bool, error) {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM tombstones WHERE feed_id = $1 AND key = $2`, feedID, key).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// linkDeleted reports whether an item new to feed feedID (under key) is
// known by linkKey (its link or content key) to be an article
// that retention deleted; the feed's key then gets a tombstone of its own.
func linkDeleted(ctx context.Context, tx pgx.Tx, feedID int64, key, linkKey string, at int64) (bool, error) {
	var itemID int64
	err := tx.QueryRow(ctx, `SELECT item_id FROM link_tombstones WHERE link_key = $1`, linkKey).Scan(&itemID)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return false, nil
	case err != nil:
		return false, err
	}
	_, err = tx.Exec(ctx, `INSERT INTO tombstones (feed_id, key, item_id, deleted_at, seen_at) VALUES ($1, $2, $3, $4, $4)
		ON CONFLICT (feed_id, key) DO UPDATE SET seen_at = greatest(tombstones.seen_at, excluded.seen_at)`, feedID, key, itemID, at)
	return true, err
}

// touchTombstones records that the feed's document was parsed at at and
// still carried the deleted items of keys.
func touchTombstones(ctx context.Context, tx pgx.Tx, feedID, at int64, keys []string) error {
	if _, err := tx.Exec(ctx, `UPDATE feeds SET last_parsed = $1 WHERE id = $2`, at, feedID); err != nil {
		return err
	}
	if len(keys) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `UPDATE tombstones SET seen_at = greatest(seen_at, $1) WHERE feed_id = $2 AND key = ANY($3)`,
		at, feedID, keys)
	return err
}
