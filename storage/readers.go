package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/feedmill/feedmill"
)

// SaveReaders stores the latest subscriber counts of feed services, one row
// per output, service and subscription id, in one transaction.
func (db *DB) SaveReaders(ctx context.Context, counts []feedmill.ReaderCount) error {
	err := db.write(ctx, func(tx *wtx) error {
		for _, c := range counts {
			if _, err := tx.ExecContext(ctx, `INSERT INTO readers (output, service, feed_id, subscribers, seen)
				VALUES (?, ?, ?, ?, ?) ON CONFLICT (output, service, feed_id) DO UPDATE
				SET subscribers = excluded.subscribers, seen = excluded.seen WHERE excluded.seen >= readers.seen`,
				c.Output, c.Service, c.FeedID, c.Subscribers, nanos(c.Seen)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("storage: save readers: %w", err)
	}
	return nil
}

// LoadReaders returns the subscriber counts last seen at or after since.
func (db *DB) LoadReaders(ctx context.Context, since time.Time) ([]feedmill.ReaderCount, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT output, service, feed_id, subscribers, seen FROM readers
		WHERE seen >= ? ORDER BY output, service, feed_id`, nanos(since))
	if err != nil {
		return nil, fmt.Errorf("storage: load readers: %w", err)
	}
	defer rows.Close()
	var out []feedmill.ReaderCount
	for rows.Next() {
		var c feedmill.ReaderCount
		var seen int64
		if err := rows.Scan(&c.Output, &c.Service, &c.FeedID, &c.Subscribers, &seen); err != nil {
			return nil, fmt.Errorf("storage: load readers: %w", err)
		}
		c.Seen = fromNanos(seen)
		out = append(out, c)
	}
	return out, rows.Err()
}
