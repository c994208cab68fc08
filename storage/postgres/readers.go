package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/jackc/pgx/v5"
)

// SaveReaders stores the latest subscriber counts of feed services, in one
// transaction; an older count never replaces a newer one.
func (db *DB) SaveReaders(ctx context.Context, counts []feedmill.ReaderCount) error {
	err := db.write(ctx, func(tx pgx.Tx) error {
		for _, c := range counts {
			if _, err := tx.Exec(ctx, `INSERT INTO readers (output, service, feed_id, subscribers, seen)
				VALUES ($1, $2, $3, $4, $5) ON CONFLICT (output, service, feed_id) DO UPDATE
				SET subscribers = excluded.subscribers, seen = excluded.seen WHERE excluded.seen >= readers.seen`,
				c.Output, c.Service, c.FeedID, c.Subscribers, nanos(c.Seen)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: save readers: %w", err)
	}
	return nil
}

// LoadReaders returns the subscriber counts last seen at or after since.
func (db *DB) LoadReaders(ctx context.Context, since time.Time) ([]feedmill.ReaderCount, error) {
	rows, err := db.pool.Query(ctx, `SELECT output, service, feed_id, subscribers, seen FROM readers
		WHERE seen >= $1 ORDER BY output, service, feed_id`, nanos(since))
	if err != nil {
		return nil, fmt.Errorf("postgres: load readers: %w", err)
	}
	defer rows.Close()
	var out []feedmill.ReaderCount
	for rows.Next() {
		var c feedmill.ReaderCount
		var seen int64
		if err := rows.Scan(&c.Output, &c.Service, &c.FeedID, &c.Subscribers, &seen); err != nil {
			return nil, fmt.Errorf("postgres: load readers: %w", err)
		}
		c.Seen = fromNanos(seen)
		out = append(out, c)
	}
	return out, rows.Err()
}

// Size returns the size of the database in bytes.
func (db *DB) Size(ctx context.Context) (int64, error) {
	var n int64
	if err := db.pool.QueryRow(ctx, `SELECT pg_database_size(current_database())`).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: size: %w", err)
	}
	return n, nil
}

// LastSuccesses returns, for every feed polled successfully at least once,
// when it last was.
func (db *DB) LastSuccesses(ctx context.Context) (map[string]time.Time, error) {
	rows, err := db.pool.Query(ctx, `SELECT name, last_success FROM feeds WHERE last_success > 0`)
	if err != nil {
		return nil, fmt.Errorf("postgres: last successes: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var name string
		var at int64
		if err := rows.Scan(&name, &at); err != nil {
			return nil, fmt.Errorf("postgres: last successes: %w", err)
		}
		out[name] = fromNanos(at)
	}
	return out, rows.Err()
}
