package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/feedmill/feedmill"
)

// ScanOptions selects the items EachItem and Retag walk.
type ScanOptions struct {
	// Since keeps items published at or after it; zero keeps all.
	Since time.Time
	// Topics limits Retag to these topics: the item's other topics are
	// neither compared nor written. Empty means every topic, including
	// stored topics that no longer exist.
	Topics []string
	// DryRun makes Retag report the changes without writing them.
	DryRun bool
	// BatchSize is the number of items read (and written) at a time;
	// 1000 when 0.
	BatchSize int
}

// TopicChange is one item whose topics or explanations Retag changed (or
// would change, in a dry run).
type TopicChange struct {
	// Item has ID, Feed, Title, Link and Published set.
	Item feedmill.Item
	// Before and After are the item's topics (within ScanOptions.Topics)
	// in name order.
	Before, After []string
}

// RetagResult counts what Retag did.
type RetagResult struct {
	// Items were read and matched again.
	Items int
	// Changed items got other topics or other explanations.
	Changed int
	// Added and Removed count item-topic pairs.
	Added, Removed int
}

// EachItem calls fn for every stored item ScanOptions selects, in id order,
// with what tagging needs: ID, Feed (the first feed that carried it), Title,
// Text, Content (only when Text was never stored), Author, Link, Lang,
// Categories, Published and Topics. fn must not keep the item.
func (db *DB) EachItem(ctx context.Context, opt ScanOptions, fn func(*feedmill.Item) error) error {
	return db.scan(ctx, opt, func(batch []scanned) error {
		for i := range batch {
			if err := fn(&batch[i].item); err != nil {
				return err
			}
		}
		return nil
	})
}

// Retag walks the stored items batch by batch, asks tag for each item's
// topics under the current rules, and writes the items whose topics or
// explanations differ from the stored ones, one transaction per batch.
// changed, when not nil, is called for each such item. Any write bumps the
// items version, so output caches rebuild.
func (db *DB) Retag(ctx context.Context, opt ScanOptions, tag func(*feedmill.Item) []feedmill.TopicMatch,
	changed func(TopicChange)) (RetagResult, error) {
	var res RetagResult
	var buf []byte
	err := db.scan(ctx, opt, func(batch []scanned) error {
		var writes []itemMatches
		for i := range batch {
			s := &batch[i]
			res.Items++
			matches := inScope(tag(&s.item), opt.Topics)
			slices.SortFunc(matches, func(a, b feedmill.TopicMatch) int { return strings.Compare(a.Topic, b.Topic) })
			var err error
			if buf, err = appendTagKey(buf[:0], matches); err != nil {
				return err
			}
			if string(buf) == s.key {
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
				changed(TopicChange{Item: feedmill.Item{ID: it.ID, Feed: it.Feed, Title: it.Title, Link: it.Link,
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
		return res, fmt.Errorf("storage: retag: %w", err)
	}
	return res, nil
}

// itemMatches is the new tagging of one item.
type itemMatches struct {
	id      int64
	matches []feedmill.TopicMatch
}

// scanned is one item read for tagging and the key of its stored topics.
type scanned struct {
	item feedmill.Item
	key  string
}

// scan reads the selected items a batch at a time, each batch in its own
// read transaction so a long walk never pins an old snapshot. The next
// batch is read while fn works on the current one, on a second goroutine:
// reading and matching then take about as long as the slower of the two.
func (db *DB) scan(ctx context.Context, opt ScanOptions, fn func([]scanned) error) error {
	n := opt.BatchSize
	if n <= 0 {
		n = 1000
	}
	since := nanos(opt.Since)
	type result struct {
		batch []scanned
		err   error
	}
	full := make(chan result, 1)
	free := make(chan []scanned, 2)
	free <- nil
	free <- nil
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() {
		defer close(full)
		var after int64
		for {
			var buf []scanned
			select {
			case buf = <-free:
			case <-ctx.Done():
				return
			}
			batch, err := db.readBatch(ctx, buf[:0], after, since, n, opt.Topics)
			select {
			case full <- result{batch, err}:
			case <-ctx.Done():
				return
			}
			if err != nil || len(batch) < n {
				return
			}
			after = batch[len(batch)-1].item.ID
		}
	})
	for r := range full {
		if r.err != nil {
			return r.err
		}
		if len(r.batch) == 0 {
			return nil
		}
		if err := fn(r.batch); err != nil {
			return err
		}
		free <- r.batch
	}
	return ctx.Err()
}

// batchQuery reads one batch of items. Feed names are looked up in Go and
// the stored topics read by a second query over the batch's id range: both
// cost less than a join and a subquery per row.
const batchQuery = `SELECT id, feed_id, title, text, CASE WHEN text = '' THEN content ELSE '' END,
	author, link, lang, categories, published
	FROM items WHERE id > ? AND +published >= ? ORDER BY id LIMIT ?`

// topicsQuery reads the stored topics of a range of items, in the order
// appendTagKey writes them.
const topicsQuery = `SELECT item_id, topic, hits FROM item_topics WHERE item_id > ? AND item_id <= ? ORDER BY item_id, topic`

func (db *DB) readBatch(ctx context.Context, out []scanned, after, since int64, n int, scope []string) ([]scanned, error) {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() // one snapshot for items and their topics
	feeds, err := feedNames(ctx, tx)
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, batchQuery, after, since, n)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		out = append(out, scanned{})
		s := &out[len(out)-1]
		it := &s.item
		var cats string
		var feedID, published int64
		if err := rows.Scan(&it.ID, &feedID, &it.Title, &it.Text, &it.Content, &it.Author, &it.Link, &it.Lang,
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
		it.Feed = feeds[feedID]
		it.Published = fromNanos(published)
	}
	if err := rows.Close(); err != nil || len(out) == 0 {
		return out, err
	}
	rows, err = tx.QueryContext(ctx, topicsQuery, after, out[len(out)-1].item.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	i := 0
	var key []byte
	for rows.Next() {
		var id int64
		var topic, hits string
		if err := rows.Scan(&id, &topic, &hits); err != nil {
			return nil, err
		}
		for i < len(out) && out[i].item.ID < id {
			i++
		}
		// Items skipped by since have topics too; so may items stored
		// after the batch was read.
		if i == len(out) || out[i].item.ID != id || len(scope) > 0 && !slices.Contains(scope, topic) {
			continue
		}
		s := &out[i]
		key = key[:0]
		if s.key != "" {
			key = append(append(key, s.key...), '\n')
		}
		key = append(append(append(key, topic...), ' '), hits...)
		s.key = string(key)
		s.item.Topics = append(s.item.Topics, topic)
	}
	return out, rows.Err()
}

// feedNames maps feed ids to names.
func feedNames(ctx context.Context, tx *sql.Tx) (map[int64]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, name FROM feeds`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[int64]string{}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		m[id] = name
	}
	return m, rows.Err()
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

// appendTagKey writes matches, sorted by topic, as the stored topics read
// by tagKeyQuery: "topic hits-json" lines.
func appendTagKey(b []byte, ms []feedmill.TopicMatch) ([]byte, error) {
	for i, m := range ms {
		if i > 0 {
			b = append(b, '\n')
		}
		b = append(b, m.Topic...)
		b = append(b, ' ')
		h, err := encodeHits(m.Hits)
		if err != nil {
			return nil, err
		}
		b = append(b, h...)
	}
	return b, nil
}

// writeMatches replaces the topics (within scope) of the items in one
// transaction and bumps the items version.
func (db *DB) writeMatches(ctx context.Context, writes []itemMatches, scope []string) error {
	return db.write(ctx, func(tx *wtx) error {
		del := `DELETE FROM item_topics WHERE item_id = ?`
		var scopeJSON string
		if len(scope) > 0 {
			b, err := json.Marshal(scope)
			if err != nil {
				return err
			}
			scopeJSON = string(b)
			del += ` AND topic IN (SELECT value FROM json_each(?))`
		}
		delStmt, err := tx.PrepareContext(ctx, del)
		if err != nil {
			return err
		}
		defer delStmt.Close()
		insStmt, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO item_topics (topic, item_id, hits) VALUES (?, ?, ?)`)
		if err != nil {
			return err
		}
		defer insStmt.Close()
		for _, w := range writes {
			args := []any{w.id}
			if scopeJSON != "" {
				args = append(args, scopeJSON)
			}
			if _, err := delStmt.ExecContext(ctx, args...); err != nil {
				return err
			}
			for _, m := range w.matches {
				hits, err := encodeHits(m.Hits)
				if err != nil {
					return err
				}
				if _, err := insStmt.ExecContext(ctx, m.Topic, w.id, hits); err != nil {
					return err
				}
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE counters SET value = value + 1 WHERE name = 'items_version'`)
		return err
	})
}

// Meta returns the value stored under name, "" when none.
func (db *DB) Meta(ctx context.Context, name string) (string, error) {
	var v string
	err := db.r.QueryRowContext(ctx, `SELECT coalesce((SELECT value FROM meta WHERE name = ?), '')`, name).Scan(&v)
	if err != nil {
		return "", fmt.Errorf("storage: meta %s: %w", name, err)
	}
	return v, nil
}

// SetMeta stores value under name.
func (db *DB) SetMeta(ctx context.Context, name, value string) error {
	_, err := db.w.ExecContext(ctx, `INSERT INTO meta (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	if err != nil {
		return fmt.Errorf("storage: set meta %s: %w", name, err)
	}
	return nil
}

// Explain returns the item with its topics and, in Matches, the terms that
// matched each; feedmill.ErrNotFound when there is no such item.
func (db *DB) Explain(ctx context.Context, id int64) (feedmill.Item, error) {
	var it feedmill.Item
	var published int64
	err := db.r.QueryRowContext(ctx, `SELECT i.id, f.name, i.title, i.link, i.published
		FROM items i JOIN feeds f ON f.id = i.feed_id WHERE i.id = ?`, id).Scan(&it.ID, &it.Feed, &it.Title, &it.Link, &published)
	if err == sql.ErrNoRows {
		return it, fmt.Errorf("item %d: %w", id, feedmill.ErrNotFound)
	}
	if err != nil {
		return it, fmt.Errorf("storage: explain %d: %w", id, err)
	}
	it.Published = fromNanos(published)
	rows, err := db.r.QueryContext(ctx, `SELECT topic, hits FROM item_topics WHERE item_id = ? ORDER BY topic`, id)
	if err != nil {
		return it, fmt.Errorf("storage: explain %d: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var m feedmill.TopicMatch
		var hits string
		if err := rows.Scan(&m.Topic, &hits); err != nil {
			return it, err
		}
		if err := json.Unmarshal([]byte(hits), &m.Hits); err != nil {
			return it, fmt.Errorf("storage: item %d topic %s hits: %w", id, m.Topic, err)
		}
		it.Topics = append(it.Topics, m.Topic)
		it.Matches = append(it.Matches, m)
	}
	return it, rows.Err()
}
