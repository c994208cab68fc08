package storage

import (
	"context"
	"fmt"

	"github.com/feedmill/feedmill"
)

// Claim takes c.Feed for one poll by c.Owner when it is due (see
// feedmill.Claim), recording the feed first if it is new. SQLite runs one
// write transaction at a time, so of several processes claiming at once
// exactly one gets it.
func (db *DB) Claim(ctx context.Context, c feedmill.Claim) (bool, error) {
	var claimed bool
	err := db.write(ctx, func(tx *wtx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO feeds (name, url) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
			c.Feed, c.URL); err != nil {
			return err
		}
		now := nanos(c.Now)
		res, err := tx.ExecContext(ctx, `UPDATE feeds SET lease_owner = ?, lease_until = ?, claimed_at = ?
			WHERE name = ? AND (url <> ? OR (status <> 'disabled' AND next_check <= ?))
			AND lease_until <= ? AND claimed_at < ?`,
			c.Owner, now+int64(c.Lease), now, c.Feed, c.URL, now, now, c.SinceNanos())
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		claimed = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("storage: claim %s: %w", c.Feed, err)
	}
	return claimed, nil
}
