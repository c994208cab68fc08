package postgres

import (
	"context"
	"fmt"
	"strings"
)

// Verify checks feedmill's own invariants (PostgreSQL keeps its foreign
// keys itself): every item carried by at least one source, and nothing
// left pointing at a missing item. It returns every problem found.
func (db *DB) Verify(ctx context.Context) error {
	checks := []struct{ what, query string }{
		{"items without a source", `SELECT count(*) FROM items i WHERE NOT EXISTS (SELECT 1 FROM sources s WHERE s.item_id = i.id)`},
		{"sources of missing items", `SELECT count(*) FROM sources s WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.id = s.item_id)`},
		{"topics of missing items", `SELECT count(*) FROM item_topics t WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.id = t.item_id)`},
		{"links of missing items", `SELECT count(*) FROM links l WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.id = l.item_id)`},
		{"keys both stored and deleted", `SELECT count(*) FROM tombstones t JOIN sources s USING (feed_id, key)`},
	}
	var problems []string
	for _, c := range checks {
		var n int64
		if err := db.pool.QueryRow(ctx, c.query).Scan(&n); err != nil {
			return fmt.Errorf("postgres: verify %s: %w", c.what, err)
		}
		if n > 0 {
			problems = append(problems, fmt.Sprintf("%d %s", n, c.what))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("postgres: %s: %s", db.Path(), strings.Join(problems, "; "))
	}
	return nil
}
