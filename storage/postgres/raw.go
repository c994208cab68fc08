package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/feedmill/feedmill"
)

// SaveRaw keeps the compressed body of a fetch for replay.
func (db *DB) SaveRaw(ctx context.Context, r feedmill.RawBody) error {
	tag, err := db.pool.Exec(ctx, `INSERT INTO raw_bodies (feed_id, at, url, content_type, body)
		SELECT id, $2, $3, $4, $5 FROM feeds WHERE name = $1`, r.Feed, nanos(r.At), r.URL, r.ContentType, r.Gzip)
	if err == nil && tag.RowsAffected() == 0 {
		err = fmt.Errorf("no feed named %s: %w", r.Feed, feedmill.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("postgres: save raw body of %s: %w", r.Feed, err)
	}
	return nil
}

// PruneRaw deletes the raw bodies fetched before t, a batch at a time, and
// returns how many it deleted.
func (db *DB) PruneRaw(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		tag, err := db.pool.Exec(ctx, `DELETE FROM raw_bodies WHERE id IN (
			SELECT id FROM raw_bodies WHERE at < $1 LIMIT 500)`, nanos(before))
		if err != nil {
			return total, fmt.Errorf("postgres: prune raw bodies: %w", err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < 500 {
			return total, nil
		}
	}
}

// RawBodies calls fn with every kept raw body fetched at or after since
// (of feed, when not ""), oldest first, a page at a time so fn may write.
func (db *DB) RawBodies(ctx context.Context, since time.Time, feed string, fn func(feedmill.RawBody) error) error {
	var lastID int64
	for {
		rows, err := db.pool.Query(ctx, `SELECT r.id, f.name, r.at, r.url, r.content_type, r.body
			FROM raw_bodies r JOIN feeds f ON f.id = r.feed_id
			WHERE r.at >= $1 AND r.id > $2 AND ($3 = '' OR f.name = $3) ORDER BY r.id LIMIT 100`,
			nanos(since), lastID, feed)
		if err != nil {
			return fmt.Errorf("postgres: raw bodies: %w", err)
		}
		var page []feedmill.RawBody
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
		rows.Close()
		if err := rows.Err(); err != nil {
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
	}
}
