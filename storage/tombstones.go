package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
)

// keyDeleted reports whether retention deleted the item that feed feedID
// carried under key: its tombstone is still there.
func keyDeleted(ctx context.Context, tx *wtx, feedID int64, key string) (bool, error) {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM tombstones WHERE feed_id = ? AND key = ?`, feedID, key).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// linkDeleted reports whether an item new to feed feedID (under key) is
// known by linkKey (its link or content key) to be an article
// that retention deleted. The feed's key then gets a tombstone of its own,
// so that the next poll skips the item before normalizing it.
func linkDeleted(ctx context.Context, tx *wtx, feedID int64, key, linkKey string, at int64) (bool, error) {
	var itemID int64
	err := tx.QueryRowContext(ctx, `SELECT item_id FROM link_tombstones WHERE link_key = ?`, linkKey).Scan(&itemID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO tombstones (feed_id, key, item_id, deleted_at, seen_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (feed_id, key) DO UPDATE SET seen_at = max(seen_at, excluded.seen_at)`, feedID, key, itemID, at, at)
	return true, err
}

// touchTombstones records that the feed's document was parsed at at and
// still carried the deleted items of keys, whose tombstones must then stay.
func touchTombstones(ctx context.Context, tx *wtx, feedID, at int64, keys []string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE feeds SET last_parsed = ? WHERE id = ?`, at, feedID); err != nil {
		return err
	}
	if len(keys) == 0 {
		return nil
	}
	list, err := json.Marshal(keys)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE tombstones SET seen_at = max(seen_at, ?)
		WHERE feed_id = ? AND key IN (SELECT value FROM json_each(?))`, at, feedID, string(list))
	return err
}
