package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/feedmill/feedmill"
)

// knownQuery is KnownHashes' statement: the stored keys with their raw
// hash, and the keys of deleted items (tombstones), both by primary key.
const knownQuery = `WITH f AS (SELECT id FROM feeds WHERE name = ?), k AS (SELECT value FROM json_each(?))
	SELECT key, raw_hash, 0 FROM sources WHERE feed_id = (SELECT id FROM f) AND key IN k
	UNION ALL
	SELECT key, '', 1 FROM tombstones WHERE feed_id = (SELECT id FROM f) AND key IN k`

// KnownHashes returns, for those of keys that feed has already stored, the
// raw hash stored with them. A caller skips items whose hash is unchanged.
// The key of an item that retention deleted, while its tombstone lasts,
// has feedmill.DeletedHash, so that the item is not stored again.
func (db *DB) KnownHashes(ctx context.Context, feed string, keys []string) (map[string]string, error) {
	known := make(map[string]string, len(keys))
	if len(keys) == 0 {
		return known, nil
	}
	// One statement text whatever the number of keys, prepared once per
	// connection: the keys travel as a JSON array.
	list, err := json.Marshal(keys)
	if err != nil {
		return nil, err
	}
	rows, err := db.knownStmt.QueryContext(ctx, feed, string(list))
	if err != nil {
		return nil, fmt.Errorf("storage: known items of %s: %w", feed, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, h string
		var deleted bool
		if err := rows.Scan(&k, &h, &deleted); err != nil {
			return nil, err
		}
		if deleted {
			if _, stored := known[k]; stored {
				continue // stored again after all: the stored item wins
			}
			h = feedmill.DeletedHash
		}
		known[k] = h
	}
	return known, rows.Err()
}

// Ingest stores one fetched batch in a single transaction: new items are
// inserted, items carried by another feed gain a source, changed items are
// updated in place, and the feed's state is marked successful.
func (db *DB) Ingest(ctx context.Context, b feedmill.Batch) (feedmill.IngestResult, error) {
	res := feedmill.IngestResult{Seen: b.Seen, Dedup: b.SeenDedup}
	err := db.write(ctx, func(tx *wtx) (err error) {
		g, err := db.group.begin(ctx, tx)
		if err != nil {
			return err
		}
		defer func() { g.end(err) }()
		feedID, err := upsertFeed(ctx, tx, b.Feed, b.URL)
		if err != nil {
			return err
		}
		at := nanos(b.FetchedAt)
		for i := range b.Items {
			if err := ingestItem(ctx, tx, g, feedID, &b.Items[i], at, b.Replay, &res); err != nil {
				return fmt.Errorf("item %q: %w", b.Items[i].Key, err)
			}
		}
		if res.Changed() {
			if _, err := tx.ExecContext(ctx, `UPDATE counters SET value = value + 1 WHERE name = 'items_version'`); err != nil {
				return err
			}
		}
		if b.Replay {
			return nil // a replay is no poll
		}
		if err := touchTombstones(ctx, tx, feedID, at, b.Deleted); err != nil {
			return err
		}
		if b.Outcome == "" {
			b.Outcome = feedmill.OutcomeOK
		}
		return recordPoll(ctx, tx, feedID, b, res)
	})
	if err != nil {
		return feedmill.IngestResult{}, fmt.Errorf("storage: ingest %s: %w", b.Feed, err)
	}
	res.Dedup.Story = res.Grouped
	return res, nil
}

// write runs fn in a write transaction and commits it. The transaction is
// rolled back if fn fails or ctx ends; a cancelled ingest never half-commits.
func (db *DB) write(ctx context.Context, fn func(*wtx) error) error {
	db.stmts.prepareWanted(ctx)
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(&wtx{Tx: tx, cache: &db.stmts}); err != nil {
		return err
	}
	return tx.Commit()
}

func upsertFeed(ctx context.Context, tx *wtx, name, url string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO feeds (name, url) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET url = excluded.url RETURNING id`, name, url).Scan(&id)
	return id, err
}

// ingestItem stores one item of a batch and counts what it did.
// g, when not nil, puts new items in stories.
func ingestItem(ctx context.Context, tx *wtx, g *grouper, feedID int64, it *feedmill.Item, at int64, replay bool, res *feedmill.IngestResult) error {
	if it.Key == "" {
		return errors.New("item has no key")
	}
	cats, err := json.Marshal(nonNil(it.Categories))
	if err != nil {
		return err
	}
	published := nanos(it.Published)
	if published == 0 {
		published = at // no date of its own: first seen
	}

	var itemID int64
	var rawHash string
	err = tx.QueryRowContext(ctx, `SELECT item_id, raw_hash FROM sources WHERE feed_id = ? AND key = ?`,
		feedID, it.Key).Scan(&itemID, &rawHash)
	switch {
	case err == nil && rawHash == it.Hash && !replay:
		res.Seen++
		res.Dedup.AddKey(it.Key)
		it.ID = itemID
		return nil
	case err == nil:
		// Same item, new content: update it in place. If its new link is
		// already another item's, the two are one article: merge them.
		if itemID, err = claimKeys(ctx, tx, itemID, it, &res.Dedup); err != nil {
			return err
		}
		// An item without a date of its own keeps the one it was given.
		// A full text fetched before is kept: pages are fetched for new
		// items only.
		if _, err := tx.ExecContext(ctx, `UPDATE items SET link = ?, title = ?, content = ?,
			text = CASE WHEN ? = '' AND full_content <> '' THEN text ELSE ? END, lang = ?, author = ?,
			categories = ?, published = CASE WHEN ? = 0 THEN published ELSE ? END, updated = ?,
			full_content = CASE WHEN ? = '' THEN full_content ELSE ? END WHERE id = ?`,
			it.Link, it.Title, it.Content, it.FullContent, it.Text, it.Lang, it.Author, string(cats),
			nanos(it.Published), nanos(it.Published), nanos(it.Updated), it.FullContent, it.FullContent, itemID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sources SET raw_hash = ?, link = ?, item_id = ? WHERE feed_id = ? AND key = ?`,
			it.Hash, it.Link, itemID, feedID, it.Key); err != nil {
			return err
		}
		if err := setTopics(ctx, tx, itemID, it); err != nil {
			return err
		}
		res.Updated++
		res.Dedup.AddKey(it.Key)
		it.ID = itemID
		return nil
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}

	// A key this feed never carried, unless retention deleted its item.
	if gone, err := keyDeleted(ctx, tx, feedID, it.Key); err != nil || gone {
		if gone {
			res.Seen++
			res.Dedup.AddKey(it.Key)
		}
		return err
	}
	// Maybe an article another feed carried: known under its link, or
	// republished under a new guid and link with the same title and body.
	for _, k := range []struct {
		key   string
		count *int
	}{{it.LinkKey, &res.Dedup.Link}, {it.ContentKey, &res.Dedup.Content}} {
		if k.key == "" {
			continue
		}
		err := tx.QueryRowContext(ctx, `SELECT item_id FROM links WHERE link_key = ?`, k.key).Scan(&itemID)
		switch {
		case err == nil:
			*k.count++
			// The article is now known under this item's other key too.
			if itemID, err = claimKeys(ctx, tx, itemID, it, &res.Dedup); err != nil {
				return err
			}
			if err := insertSource(ctx, tx, feedID, it, itemID, at); err != nil {
				return err
			}
			res.Merged++
			it.ID = itemID
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		// Or an article retention deleted, carried by this feed now.
		if gone, err := linkDeleted(ctx, tx, feedID, it.Key, k.key, at); err != nil || gone {
			if gone {
				res.Seen++
				*k.count++
			}
			return err
		}
	}
	if err := tx.QueryRowContext(ctx, `INSERT INTO items (feed_id, link, title, content, full_content, text, lang, author,
		categories, published, updated, first_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		feedID, it.Link, it.Title, it.Content, it.FullContent, it.Text, it.Lang, it.Author, string(cats),
		published, nanos(it.Updated), at).Scan(&itemID); err != nil {
		return err
	}
	if itemID, err = claimKeys(ctx, tx, itemID, it, &feedmill.DedupCounts{}); err != nil {
		return err
	}
	if err := insertSource(ctx, tx, feedID, it, itemID, at); err != nil {
		return err
	}
	if err := setTopics(ctx, tx, itemID, it); err != nil {
		return err
	}
	if g != nil {
		if err := g.assign(ctx, tx, it, itemID, published, at, res); err != nil {
			return err
		}
	}
	res.New++
	countTopics(res, it)
	it.ID = itemID
	return nil
}

func insertSource(ctx context.Context, tx *wtx, feedID int64, it *feedmill.Item, itemID, at int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO sources (feed_id, key, item_id, link, raw_hash, first_seen)
		VALUES (?, ?, ?, ?, ?, ?)`, feedID, it.Key, itemID, it.Link, it.Hash, at)
	return err
}

// claimKeys records that item itemID is known under its link key and
// content key, merging it with the items already known under them (counted
// in dedup); it returns the id of the item that remains.
func claimKeys(ctx context.Context, tx *wtx, itemID int64, it *feedmill.Item, dedup *feedmill.DedupCounts) (int64, error) {
	for _, k := range []struct {
		key   string
		count *int
	}{{it.LinkKey, &dedup.Link}, {it.ContentKey, &dedup.Content}} {
		var merged bool
		var err error
		if itemID, merged, err = claimLink(ctx, tx, itemID, k.key); err != nil {
			return 0, err
		}
		if merged {
			*k.count++
		}
	}
	return itemID, nil
}

// claimLink records that item itemID is known under linkKey. When another
// item already is, the two are one article and are merged (merged is true);
// claimLink returns the id of the item that remains.
func claimLink(ctx context.Context, tx *wtx, itemID int64, linkKey string) (id int64, merged bool, err error) {
	if linkKey == "" {
		return itemID, false, nil
	}
	var owner int64
	err = tx.QueryRowContext(ctx, `SELECT item_id FROM links WHERE link_key = ?`, linkKey).Scan(&owner)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err := tx.ExecContext(ctx, `INSERT INTO links (link_key, item_id) VALUES (?, ?)`, linkKey, itemID)
		return itemID, false, err
	case err != nil:
		return 0, false, err
	case owner == itemID:
		return itemID, false, nil
	}
	keep, drop := min(itemID, owner), max(itemID, owner)
	return keep, true, mergeItems(ctx, tx, keep, drop)
}

// mergeItems folds item drop into item keep: its sources, links and topics move
// over and drop is deleted. keep is the older item, so ids stay stable.
func mergeItems(ctx context.Context, tx *wtx, keep, drop int64) error {
	if err := leaveStory(ctx, tx, drop); err != nil {
		return err
	}
	for _, q := range []string{
		`UPDATE sources SET item_id = ? WHERE item_id = ?`,
		`UPDATE links SET item_id = ? WHERE item_id = ?`,
		`INSERT OR IGNORE INTO item_topics (topic, item_id, hits) SELECT topic, ?, hits FROM item_topics WHERE item_id = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, keep, drop); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM items WHERE id = ?`, drop)
	return err
}

// countTopics counts a new item under each topic it matched.
func countTopics(res *feedmill.IngestResult, it *feedmill.Item) {
	add := func(topic string) {
		if res.NewTopics == nil {
			res.NewTopics = map[string]int{}
		}
		res.NewTopics[topic]++
	}
	if it.Matches == nil {
		for _, t := range it.Topics {
			add(t)
		}
		return
	}
	for _, m := range it.Matches {
		add(m.Topic)
	}
}

// setTopics replaces the topics of an item with it.Matches, or with
// it.Topics (without explanations) when the item carries no matches.
func setTopics(ctx context.Context, tx *wtx, itemID int64, it *feedmill.Item) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM item_topics WHERE item_id = ?`, itemID); err != nil {
		return err
	}
	matches := it.Matches
	if matches == nil {
		for _, t := range it.Topics {
			matches = append(matches, feedmill.TopicMatch{Topic: t})
		}
	}
	for _, m := range matches {
		hits, err := encodeHits(m.Hits)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO item_topics (topic, item_id, hits) VALUES (?, ?, ?)`,
			m.Topic, itemID, hits); err != nil {
			return err
		}
	}
	return nil
}

// encodeHits is the stored form of hits: a JSON array, "[]" when none.
func encodeHits(h []feedmill.Hit) (string, error) {
	b, err := json.Marshal(nonNil(h))
	return string(b), err
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?,", n-1) + "?"
}
