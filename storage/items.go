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
// by id), each with its topics and sources.
func (db *DB) Items(ctx context.Context, q feedmill.ItemQuery) ([]feedmill.Item, error) {
	var where []string
	var args []any
	if len(q.Topics) > 0 {
		where = append(where, `i.id IN (SELECT item_id FROM item_topics WHERE topic IN (`+placeholders(len(q.Topics))+`))`)
		for _, t := range q.Topics {
			args = append(args, t)
		}
	}
	if q.Feed != "" {
		where = append(where, `i.id IN (SELECT s.item_id FROM sources s JOIN feeds f ON f.id = s.feed_id WHERE f.name = ?)`)
		args = append(args, q.Feed)
	}
	query := `SELECT i.id, f.name, i.link, i.title, i.content, i.author, i.categories, i.published, i.updated, i.first_seen
		FROM items i JOIN feeds f ON f.id = i.feed_id`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY i.published DESC, i.id DESC"
	if q.Limit > 0 {
		query += " LIMIT ?"
		args = append(args, q.Limit)
	}

	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("storage: items: %w", err)
	}
	defer tx.Rollback() // one snapshot for items, sources and topics

	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: items: %w", err)
	}
	var items []feedmill.Item
	index := map[int64]int{}
	for rows.Next() {
		var it feedmill.Item
		var cats string
		var published, updated, firstSeen int64
		if err := rows.Scan(&it.ID, &it.Feed, &it.Link, &it.Title, &it.Content, &it.Author, &cats,
			&published, &updated, &firstSeen); err != nil {
			rows.Close()
			return nil, fmt.Errorf("storage: items: %w", err)
		}
		if err := json.Unmarshal([]byte(cats), &it.Categories); err != nil {
			rows.Close()
			return nil, fmt.Errorf("storage: item %d categories: %w", it.ID, err)
		}
		it.Published, it.Updated, it.FirstSeen = fromNanos(published), fromNanos(updated), fromNanos(firstSeen)
		index[it.ID] = len(items)
		items = append(items, it)
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("storage: items: %w", err)
	}
	if len(items) == 0 {
		return items, nil
	}
	if err := loadDetails(ctx, tx, items, index); err != nil {
		return nil, fmt.Errorf("storage: items: %w", err)
	}
	return items, nil
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
			WHERE s.item_id IN `+in+` ORDER BY s.item_id, s.first_seen, f.name`, args...)
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
