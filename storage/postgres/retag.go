package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/storage"
	"github.com/jackc/pgx/v5"
)

// EachItem calls fn for every stored item opt selects, in id order, with
// what tagging needs (as storage.DB.EachItem). fn must not keep the item.
func (db *DB) EachItem(ctx context.Context, opt storage.ScanOptions, fn func(*feedmill.Item) error) error {
	return db.scan(ctx, opt, func(batch []scanned) error {
		for i := range batch {
			if err := fn(&batch[i].item); err != nil {
				return err
			}
		}
		return nil
	})
}

// Retag matches the stored items again with tag, batch by batch, and
// writes those whose topics or explanations changed, one transaction per
// batch, bumping the items version (as storage.DB.Retag).
func (db *DB) Retag(ctx context.Context, opt storage.ScanOptions, tag func(*feedmill.Item) []feedmill.TopicMatch,
	changed func(storage.TopicChange)) (storage.RetagResult, error) {
	var res storage.RetagResult
	err := db.scan(ctx, opt, func(batch []scanned) error {
		var writes []itemMatches
		for i := range batch {
			s := &batch[i]
			res.Items++
			matches := inScope(tag(&s.item), opt.Topics)
			slices.SortFunc(matches, func(a, b feedmill.TopicMatch) int { return strings.Compare(a.Topic, b.Topic) })
			key, err := tagKey(matches)
			if err != nil {
				return err
			}
			if key == s.key {
				continue
			}
			res.Changed++
			before := s.item.Topics
			after := make([]string, len(matches))
			for j, m := range matches {
				after[j] = m.Topic
			}
			for _, t := range after {
				if !slices.Contains(before, t) {
					res.Added++
				}
			}
			for _, t := range before {
				if !slices.Contains(after, t) {
					res.Removed++
				}
			}
			if changed != nil {
				it := s.item
				changed(storage.TopicChange{Item: feedmill.Item{ID: it.ID, Feed: it.Feed, Title: it.Title, Link: it.Link,
					Published: it.Published}, Before: before, After: after})
			}
			writes = append(writes, itemMatches{s.item.ID, matches})
		}
		if opt.DryRun || len(writes) == 0 {
			return nil
		}
		return db.writeMatches(ctx, writes, opt.Topics)
	})
	if err != nil {
		return res, fmt.Errorf("postgres: retag: %w", err)
	}
	return res, nil
}

type itemMatches struct {
	id      int64
	matches []feedmill.TopicMatch
}

// scanned is one item read for tagging and the key of its stored topics
// (within scope), as tagKey writes it.
type scanned struct {
	item feedmill.Item
	key  string
}

// scan reads the selected items a batch at a time, each batch in its own
// snapshot, so a long walk never pins an old one.
func (db *DB) scan(ctx context.Context, opt storage.ScanOptions, fn func([]scanned) error) error {
	n := opt.BatchSize
	if n <= 0 {
		n = 1000
	}
	var after int64
	for {
		batch, err := db.readBatch(ctx, after, nanos(opt.Since), n, opt.Topics)
		if err != nil || len(batch) == 0 {
			return err
		}
		if err := fn(batch); err != nil {
			return err
		}
		if len(batch) < n {
			return nil
		}
		after = batch[len(batch)-1].item.ID
	}
}

func (db *DB) readBatch(ctx context.Context, after, since int64, n int, scope []string) ([]scanned, error) {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, `SELECT i.id, f.name, i.title, i.text, CASE WHEN i.text = '' THEN i.content ELSE '' END,
		i.author, i.link, i.lang, i.categories, i.published
		FROM items i JOIN feeds f ON f.id = i.feed_id WHERE i.id > $1 AND i.published >= $2 ORDER BY i.id LIMIT $3`,
		after, since, n)
	if err != nil {
		return nil, err
	}
	var out []scanned
	index := map[int64]int{}
	for rows.Next() {
		var s scanned
		it := &s.item
		var cats string
		var published int64
		if err := rows.Scan(&it.ID, &it.Feed, &it.Title, &it.Text, &it.Content, &it.Author, &it.Link, &it.Lang,
			&cats, &published); err != nil {
			rows.Close()
			return nil, err
		}
		if cats != "[]" {
			if err := json.Unmarshal([]byte(cats), &it.Categories); err != nil {
				rows.Close()
				return nil, fmt.Errorf("item %d categories: %w", it.ID, err)
			}
		}
		it.Published = fromNanos(published)
		index[it.ID] = len(out)
		out = append(out, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	rows, err = tx.Query(ctx, `SELECT item_id, topic, hits FROM item_topics WHERE item_id > $1 AND item_id <= $2
		ORDER BY item_id, topic`, after, out[len(out)-1].item.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var topic, hits string
		if err := rows.Scan(&id, &topic, &hits); err != nil {
			return nil, err
		}
		i, ok := index[id]
		if !ok || len(scope) > 0 && !slices.Contains(scope, topic) {
			continue
		}
		s := &out[i]
		if s.key != "" {
			s.key += "\n"
		}
		s.key += topic + " " + hits
		s.item.Topics = append(s.item.Topics, topic)
	}
	return out, rows.Err()
}

// inScope keeps the matches of topics in scope (all when scope is empty).
func inScope(ms []feedmill.TopicMatch, scope []string) []feedmill.TopicMatch {
	if len(scope) == 0 {
		return ms
	}
	out := ms[:0]
	for _, m := range ms {
		if slices.Contains(scope, m.Topic) {
			out = append(out, m)
		}
	}
	return out
}

// tagKey writes matches, sorted by topic, as readBatch keys the stored
// topics: "topic hits-json" lines.
func tagKey(ms []feedmill.TopicMatch) (string, error) {
	var b strings.Builder
	for i, m := range ms {
		if i > 0 {
			b.WriteByte('\n')
		}
		h, err := encodeHits(m.Hits)
		if err != nil {
			return "", err
		}
		b.WriteString(m.Topic + " " + h)
	}
	return b.String(), nil
}

// writeMatches replaces the topics (within scope) of the items in one
// transaction and bumps the items version.
func (db *DB) writeMatches(ctx context.Context, writes []itemMatches, scope []string) error {
	return db.write(ctx, func(tx pgx.Tx) error {
		for _, w := range writes {
			if _, err := tx.Exec(ctx, `DELETE FROM item_topics WHERE item_id = $1 AND (cardinality($2::text[]) = 0 OR topic = ANY($2))`,
				w.id, nonNil(scope)); err != nil {
				return err
			}
			for _, m := range w.matches {
				hits, err := encodeHits(m.Hits)
				if err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `INSERT INTO item_topics (topic, item_id, hits) VALUES ($1, $2, $3)
					ON CONFLICT (topic, item_id) DO UPDATE SET hits = excluded.hits`, m.Topic, w.id, hits); err != nil {
					return err
				}
			}
		}
		return bumpVersion(ctx, tx)
	})
}

// Meta returns the value stored under name, "" when none.
func (db *DB) Meta(ctx context.Context, name string) (string, error) {
	var v string
	err := db.pool.QueryRow(ctx, `SELECT coalesce((SELECT value FROM meta WHERE name = $1), '')`, name).Scan(&v)
	if err != nil {
		return "", fmt.Errorf("postgres: meta %s: %w", name, err)
	}
	return v, nil
}

// SetMeta stores value under name.
func (db *DB) SetMeta(ctx context.Context, name, value string) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO meta (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	if err != nil {
		return fmt.Errorf("postgres: set meta %s: %w", name, err)
	}
	return nil
}

// Explain returns the item with its topics and, in Matches, the terms that
// matched each; feedmill.ErrNotFound when there is no such item.
func (db *DB) Explain(ctx context.Context, id int64) (feedmill.Item, error) {
	var it feedmill.Item
	var published int64
	err := db.pool.QueryRow(ctx, `SELECT i.id, f.name, i.title, i.link, i.published
		FROM items i JOIN feeds f ON f.id = i.feed_id WHERE i.id = $1`, id).Scan(&it.ID, &it.Feed, &it.Title, &it.Link, &published)
	if errors.Is(err, pgx.ErrNoRows) {
		return it, fmt.Errorf("item %d: %w", id, feedmill.ErrNotFound)
	}
	if err != nil {
		return it, fmt.Errorf("postgres: explain %d: %w", id, err)
	}
	it.Published = fromNanos(published)
	rows, err := db.pool.Query(ctx, `SELECT topic, hits FROM item_topics WHERE item_id = $1 ORDER BY topic`, id)
	if err != nil {
		return it, fmt.Errorf("postgres: explain %d: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var m feedmill.TopicMatch
		var hits string
		if err := rows.Scan(&m.Topic, &hits); err != nil {
			return it, err
		}
		if err := json.Unmarshal([]byte(hits), &m.Hits); err != nil {
			return it, fmt.Errorf("postgres: item %d topic %s hits: %w", id, m.Topic, err)
		}
		it.Topics = append(it.Topics, m.Topic)
		it.Matches = append(it.Matches, m)
	}
	return it, rows.Err()
}
