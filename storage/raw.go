package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/feedmill/feedmill"
)

// SaveRaw keeps the compressed body of a fetch for replay.
func (db *DB) SaveRaw(ctx context.Context, r feedmill.RawBody) error {
	return db.write(ctx, func(tx *wtx) error {
		var feedID int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM feeds WHERE name = ?`, r.Feed).Scan(&feedID); err != nil {
			return fmt.Errorf("storage: save raw body of %s: %w", r.Feed, err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO raw_bodies (feed_id, at, url, content_type, body) VALUES (?, ?, ?, ?, ?)`,
			feedID, nanos(r.At), r.URL, r.ContentType, r.Gzip)
		return err
	})
}

// PruneRaw deletes the raw bodies fetched before t, a batch at a time so a
// large prune never holds the write lock for long. It returns how many it
// deleted.
func (db *DB) PruneRaw(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		res, err := db.w.ExecContext(ctx, `DELETE FROM raw_bodies WHERE id IN (
			SELECT id FROM raw_bodies WHERE at < ? LIMIT 500)`, nanos(before))
		if err != nil {
			return total, fmt.Errorf("storage: prune raw bodies: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
		if n < 500 {
			return total, nil
		}
	}
}

// RawBodies calls fn with every kept raw body fetched at or after since
// (of feed, when not ""), oldest first.
func (db *DB) RawBodies(ctx context.Context, since time.Time, feed string, fn func(feedmill.RawBody) error) error {
	q := `SELECT r.id, f.name, r.at, r.url, r.content_type, r.body FROM raw_bodies r JOIN feeds f ON f.id = r.feed_id
		WHERE r.at >= ? AND r.id > ?`
	args := []any{nanos(since), int64(0)}
	if feed != "" {
		q += ` AND f.name = ?`
		args = append(args, feed)
	}
	q += ` ORDER BY r.id LIMIT 100`
	// Page by id so fn may write to the database between pages.
	for {
		rows, err := db.r.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("storage: raw bodies: %w", err)
		}
		var page []feedmill.RawBody
		var lastID int64
		for rows.Next() {
			var r feedmill.RawBody
			var at int64
			if err := rows.Scan(&lastID, &r.Feed, &at, &r.URL, &r.ContentType, &r.Gzip); err != nil {
				rows.Close()
				return err
			}
			r.At = fromNanos(at)
			page = append(page, r)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, r := range page {
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(page) < 100 {
			return nil
		}
		args[1] = lastID
	}
}
