package storage

import (
	"context"

	"github.com/feedmill/feedmill"
)

// InsertBenchItems stores n generated items of one feed fast, for
// benchmarks: one transaction, prepared inserts, no sources or links.
func (db *DB) InsertBenchItems(ctx context.Context, feed string, n int, gen func(i int, it *feedmill.Item)) error {
	return db.write(ctx, func(tx *wtx) error {
		feedID, err := upsertFeed(ctx, tx, feed, "http://bench.example/"+feed)
		if err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO items (feed_id, link, title, content, text, lang, author,
			categories, published, first_seen) VALUES (?, ?, ?, '', ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		var it feedmill.Item
		for i := range n {
			it = feedmill.Item{Categories: it.Categories[:0]}
			gen(i, &it)
			cats := "[]"
			if len(it.Categories) > 0 {
				cats = `["` + it.Categories[0] + `"]`
			}
			p := nanos(it.Published)
			if _, err := stmt.ExecContext(ctx, feedID, it.Link, it.Title, it.Text, it.Lang, it.Author, cats, p, p); err != nil {
				return err
			}
		}
		return nil
	})
}

// BareRead reads every item row with the columns tagging needs and nothing
// else: the baseline a retag is compared with. It returns the row count.
func (db *DB) BareRead(ctx context.Context) (int, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT i.id, f.name, i.title, i.text, i.author, i.link, i.lang, i.categories, i.published
		FROM items i JOIN feeds f ON f.id = i.feed_id`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	var it feedmill.Item
	var cats string
	var published int64
	for rows.Next() {
		if err := rows.Scan(&it.ID, &it.Feed, &it.Title, &it.Text, &it.Author, &it.Link, &it.Lang, &cats, &published); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// SetGrouping turns story grouping on or off without dropping the index,
// so that a benchmark can time an ingest with and without it.
func (db *DB) SetGrouping(on bool) {
	db.group.mu.Lock()
	defer db.group.mu.Unlock()
	db.group.on = on
}
