package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/feedmill/feedmill"
)

// Items returns the items q selects, newest first (by published time, then
// by id), each with its topics and sources. All of it is read in one
// snapshot, so a concurrent ingest shows entirely or not at all.
func (db *DB) Items(ctx context.Context, q feedmill.ItemQuery) ([]feedmill.Item, error) {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("storage: items: %w", err)
	}
	defer tx.Rollback()

	var items []feedmill.Item
	index := map[int64]int{}
	before := q.Before
	for {
		// Without a filter one query answers; with one, chunks are read
		// until enough items pass or the listing ends.
		chunk := q.Limit
		if q.Filter != nil {
			chunk = max(2*(q.Limit-len(items)), 200)
		}
		query, args := selectItems(q, before, chunk)
		got, err := scanItems(ctx, tx, query, args)
		if err != nil {
			return nil, fmt.Errorf("storage: items: %w", err)
		}
		for i := range got {
			if q.Filter != nil && !q.Filter(&got[i]) {
				continue
			}
			index[got[i].ID] = len(items)
			items = append(items, got[i])
			if q.Limit > 0 && len(items) == q.Limit {
				break
			}
		}
		if q.Filter == nil || len(got) < chunk || chunk == 0 || (q.Limit > 0 && len(items) == q.Limit) {
			break
		}
		before = feedmill.CursorOf(got[len(got)-1])
	}
	if len(items) == 0 {
		return items, nil
	}
	if err := loadDetails(ctx, tx, items, index); err != nil {
		return nil, fmt.Errorf("storage: items: %w", err)
	}
	if q.OnePerStory {
		if err := loadRelated(ctx, tx, items); err != nil {
			return nil, fmt.Errorf("storage: items: %w", err)
		}
	}
	return items, nil
}

// scanItems runs an item listing query.
func scanItems(ctx context.Context, tx *sql.Tx, query string, args []any) ([]feedmill.Item, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var items []feedmill.Item
	for rows.Next() {
		var it feedmill.Item
		var cats string
		var published, updated, firstSeen int64
		if err := rows.Scan(&it.ID, &it.Feed, &it.Link, &it.Title, &it.Content, &it.FullContent, &it.Author, &cats,
			&published, &updated, &firstSeen, &it.Story); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(cats), &it.Categories); err != nil {
			return nil, fmt.Errorf("item %d categories: %w", it.ID, err)
		}
		it.Published, it.Updated, it.FirstSeen = fromNanos(published), fromNanos(updated), fromNanos(firstSeen)
		items = append(items, it)
	}
	return items, rows.Err()
}

// loadDetails fills the sources and topics of items, a chunk of ids at a
// time, so a long listing costs a few queries rather than two per item.
func loadDetails(ctx context.Context, tx *sql.Tx, items []feedmill.Item, index map[int64]int) error {
	for start := 0; start < len(items); start += 500 {
		chunk := items[start:min(start+500, len(items))]
		args := make([]any, len(chunk))
		for i, it := range chunk {
			args[i] = it.ID
		}
		in := "(" + placeholders(len(chunk)) + ")"
		rows, err := tx.QueryContext(ctx, `SELECT s.item_id, f.name, s.link, s.key FROM sources s JOIN feeds f ON f.id = s.feed_id
			WHERE s.item_id IN `+in+` ORDER BY s.item_id, s.first_seen, f.name, s.key`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			var src feedmill.Source
			var key string
			if err := rows.Scan(&id, &src.Feed, &src.Link, &key); err != nil {
				rows.Close()
				return err
			}
			it := &items[index[id]]
			if len(it.Sources) == 0 {
				it.Key = key
				if g, ok := strings.CutPrefix(key, "guid:"); ok {
					it.GUID = g
				}
			}
			// A feed that carried the article under two keys is one source.
			if !hasSource(it.Sources, src) {
				it.Sources = append(it.Sources, src)
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		rows, err = tx.QueryContext(ctx, `SELECT item_id, topic FROM item_topics WHERE item_id IN `+in+` ORDER BY item_id, topic`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			var topic string
			if err := rows.Scan(&id, &topic); err != nil {
				rows.Close()
				return err
			}
			it := &items[index[id]]
			it.Topics = append(it.Topics, topic)
		}
		if err := rows.Close(); err != nil {
			return err
		}
	}
	return nil
}

func hasSource(list []feedmill.Source, s feedmill.Source) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ItemsVersion returns a number that grows with every committed change to
// the items, by any process sharing the database. Output caches compare it
// to know when to rebuild.
func (db *DB) ItemsVersion(ctx context.Context) (int64, error) {
	var v int64
	err := db.r.QueryRowContext(ctx, `SELECT value FROM counters WHERE name = 'items_version'`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("storage: items version: %w", err)
	}
	return v, nil
}
