package storage

import (
	"context"
	"fmt"
	"time"
)

// Size returns the size of the database in bytes: its page count times its
// page size (the main file; the WAL is not counted).
func (db *DB) Size(ctx context.Context) (int64, error) {
	var pages, size int64
	if err := db.r.QueryRowContext(ctx, `SELECT page_count, page_size FROM pragma_page_count(), pragma_page_size()`).Scan(&pages, &size); err != nil {
		return 0, fmt.Errorf("storage: size: %w", err)
	}
	return pages * size, nil
}

// LastSuccesses returns, for every feed polled successfully at least once,
// when it last was.
func (db *DB) LastSuccesses(ctx context.Context) (map[string]time.Time, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT name, last_success FROM feeds WHERE last_success > 0`)
	if err != nil {
		return nil, fmt.Errorf("storage: last successes: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var name string
		var at int64
		if err := rows.Scan(&name, &at); err != nil {
			return nil, fmt.Errorf("storage: last successes: %w", err)
		}
		out[name] = fromNanos(at)
	}
	return out, rows.Err()
}
