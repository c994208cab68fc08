package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Verify checks the database file and feedmill's own invariants: SQLite's
// integrity_check and foreign_key_check, every item carried by at least
// one source and known under each of its links, every grouped item in a
// story that counts it. It returns every problem
// found, joined.
func (db *DB) Verify(ctx context.Context) error {
	var problems []error
	rows, err := db.r.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return fmt.Errorf("storage: integrity check: %w", err)
	}
	for rows.Next() {
		var msg string
		if err := rows.Scan(&msg); err != nil {
			rows.Close()
			return err
		}
		if msg != "ok" {
			problems = append(problems, fmt.Errorf("integrity: %s", msg))
		}
	}
	if err := rows.Close(); err != nil {
		return err
	}
	checks := []struct{ what, query string }{
		{"foreign keys", `SELECT count(*) FROM pragma_foreign_key_check`},
		{"items without a source", `SELECT count(*) FROM items i WHERE NOT EXISTS (SELECT 1 FROM sources s WHERE s.item_id = i.id)`},
		{"sources of missing items", `SELECT count(*) FROM sources s WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.id = s.item_id)`},
		{"topics of missing items", `SELECT count(*) FROM item_topics t WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.id = t.item_id)`},
		{"links of missing items", `SELECT count(*) FROM links l WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.id = l.item_id)`},
		{"items of missing stories", `SELECT count(*) FROM items i WHERE i.story_id <> 0 AND NOT EXISTS (SELECT 1 FROM stories s WHERE s.id = i.story_id)`},
		{"grouped items without a signature", `SELECT count(*) FROM items WHERE story_id <> 0 AND signature IS NULL`},
		{"stories with a wrong member count", `SELECT count(*) FROM stories s WHERE s.members <> (SELECT count(*) FROM items i WHERE i.story_id = s.id)`},
		{"keys both stored and deleted", `SELECT count(*) FROM tombstones t JOIN sources s USING (feed_id, key)`},
	}
	for _, c := range checks {
		var n int
		if err := db.r.QueryRowContext(ctx, c.query).Scan(&n); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("storage: verify %s: %w", c.what, err)
		}
		if n > 0 {
			problems = append(problems, fmt.Errorf("%d %s", n, c.what))
		}
	}
	if len(problems) > 0 {
		msgs := make([]string, len(problems))
		for i, p := range problems {
			msgs[i] = p.Error()
		}
		return fmt.Errorf("storage: %s: %s", db.path, strings.Join(msgs, "; "))
	}
	return nil
}

// Backup writes a consistent copy of the database to path (which must not
// exist) while other connections go on reading and writing: SQLite's
// VACUUM INTO copies one snapshot, compacted.
func (db *DB) Backup(ctx context.Context, path string) error {
	// Its own connection: the readers are query_only, and the writer must
	// stay free for ingests while the copy runs.
	conn, err := sql.Open("sqlite", dsn(db.path, false))
	if err != nil {
		return fmt.Errorf("storage: backup: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("storage: backup to %s: %w", path, err)
	}
	return nil
}
