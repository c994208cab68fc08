package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/feedmill/feedmill"
	"github.com/jackc/pgx/v5"
)

// KnownHashes returns, for those of keys that feed has already stored, the
// raw hash stored with them. A caller skips items whose hash is unchanged.
// The key of an item that retention deleted, while its tombstone lasts,
// has feedmill.DeletedHash.
func (db *DB) KnownHashes(ctx context.Context, feed string, keys []string) (map[string]string, error) {
	known := make(map[string]string, len(keys))
	if len(keys) == 0 {
		return known, nil
	}
	rows, err := db.pool.Query(ctx, `WITH f AS (SELECT id FROM feeds WHERE name = $1)
		SELECT key, raw_hash, false FROM sources WHERE feed_id = (SELECT id FROM f) AND key = ANY($2)
		UNION ALL
		SELECT key, '', true FROM tombstones WHERE feed_id = (SELECT id FROM f) AND key = ANY($2)`, feed, keys)
	if err != nil {
		return nil, fmt.Errorf("postgres: known items of %s: %w", feed, err)
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
// updated in place, the feed's state is marked successful and its lease
// released.
func (db *DB) Ingest(ctx context.Context, b feedmill.Batch) (feedmill.IngestResult, error) {
	var res feedmill.IngestResult
	// A retried transaction starts again from the batch as given.
	items := make([]feedmill.Item, len(b.Items))
	err := db.write(ctx, func(tx pgx.Tx) (err error) {
		res = feedmill.IngestResult{Seen: b.Seen, Dedup: b.SeenDedup}
		copy(items, b.Items)
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
		for i := range items {
			if err := ingestItem(ctx, tx, g, feedID, &items[i], at, b.Replay, &res); err != nil {
				return fmt.Errorf("item %q: %w", items[i].Key, err)
			}
		}
		if !b.Replay {
			if err := touchTombstones(ctx, tx, feedID, at, b.Deleted); err != nil {
				return err
			}
			if b.Outcome == "" {
				b.Outcome = feedmill.OutcomeOK
			}
			if err := recordPoll(ctx, tx, feedID, b, res); err != nil {
				return err
			}
		}
		if res.Changed() {
			return bumpVersion(ctx, tx)
		}
		return nil
	})
	if err != nil {
		return feedmill.IngestResult{}, fmt.Errorf("postgres: ingest %s: %w", b.Feed, err)
	}
	for i := range items {
		b.Items[i].ID = items[i].ID // as the SQLite backend does
	}
	res.Dedup.Story = res.Grouped
	return res, nil
}

// bumpVersion is the last statement of a transaction that changed items:
// the counter row stays locked only while the transaction commits.
func bumpVersion(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `UPDATE counters SET value = value + 1 WHERE name = 'items_version'`)
	return err
}

func upsertFeed(ctx context.Context, tx pgx.Tx, name, url string) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO feeds (name, url) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET url = excluded.url RETURNING id`, name, url).Scan(&id)
	return id, err
}

// ingestItem stores one item of a batch and counts what it did; g, when
// not nil, puts new items in stories.
func ingestItem(ctx context.Context, tx pgx.Tx, g *grouper, feedID int64, it *feedmill.Item, at int64, replay bool, res *feedmill.IngestResult) error {
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
	err = tx.QueryRow(ctx, `SELECT item_id, raw_hash FROM sources WHERE feed_id = $1 AND key = $2`,
		feedID, it.Key).Scan(&itemID, &rawHash)
	switch {
	case err == nil && rawHash == it.Hash && !replay:
		res.Seen++
		res.Dedup.AddKey(it.Key)
		it.ID = itemID
		return nil
	case err == nil:
		// Same item, new content: update it in place, merging it with the
		// item that already has its new link, if any.
		if itemID, err = claimKeys(ctx, tx, itemID, it, &res.Dedup); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE items SET link = $1, title = $2, content = $3,
			text = CASE WHEN $4 = '' AND full_content <> '' THEN text ELSE $5 END, lang = $6, author = $7,
			categories = $8, published = CASE WHEN $9::BIGINT = 0 THEN published ELSE $9 END, updated = $10,
			full_content = CASE WHEN $4 = '' THEN full_content ELSE $4 END WHERE id = $11`,
			it.Link, it.Title, it.Content, it.FullContent, it.Text, it.Lang, it.Author, string(cats),
			nanos(it.Published), nanos(it.Updated), itemID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE sources SET raw_hash = $1, link = $2, item_id = $3 WHERE feed_id = $4 AND key = $5`,
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
	case !errors.Is(err, pgx.ErrNoRows):
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
		err := tx.QueryRow(ctx, `SELECT item_id FROM links WHERE link_key = $1`, k.key).Scan(&itemID)
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
		case !errors.Is(err, pgx.ErrNoRows):
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
	if err := tx.QueryRow(ctx, `INSERT INTO items (feed_id, link, title, content, full_content, text, lang, author,
		categories, published, updated, first_seen) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
		feedID, it.Link, it.Title, it.Content, it.FullContent, it.Text, it.Lang, it.Author, string(cats),
		published, nanos(it.Updated), at).Scan(&itemID); err != nil {
		return err
	}
	// Another daemon may have stored the same article since the lookup
	// above: claimLink then merges the two.
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

func insertSource(ctx context.Context, tx pgx.Tx, feedID int64, it *feedmill.Item, itemID, at int64) error {
	_, err := tx.Exec(ctx, `INSERT INTO sources (feed_id, key, item_id, link, raw_hash, first_seen)
		VALUES ($1, $2, $3, $4, $5, $6)`, feedID, it.Key, itemID, it.Link, it.Hash, at)
	return err
}

// claimKeys records that item itemID is known under its link key and
// content key, merging it with the items already known under them (counted
// in dedup); it returns the id of the item that remains.
func claimKeys(ctx context.Context, tx pgx.Tx, itemID int64, it *feedmill.Item, dedup *feedmill.DedupCounts) (int64, error) {
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
// item already is, the two are one article and are merged (merged is
// true); claimLink returns the id of the item that remains.
func claimLink(ctx context.Context, tx pgx.Tx, itemID int64, linkKey string) (id int64, merged bool, err error) {
	if linkKey == "" {
		return itemID, false, nil
	}
	// ON CONFLICT waits for a concurrent insert of the key to commit.
	tag, err := tx.Exec(ctx, `INSERT INTO links (link_key, item_id) VALUES ($1, $2) ON CONFLICT (link_key) DO NOTHING`,
		linkKey, itemID)
	if err != nil {
		return 0, false, err
	}
	if tag.RowsAffected() == 1 {
		return itemID, false, nil
	}
	var owner int64
	if err := tx.QueryRow(ctx, `SELECT item_id FROM links WHERE link_key = $1`, linkKey).Scan(&owner); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			// The row that conflicted went with an item another
			// transaction merged away between the two statements.
			return 0, false, errKeyMoved
		}
		return 0, false, err
	}
	if owner == itemID {
		return itemID, false, nil
	}
	keep, drop := min(itemID, owner), max(itemID, owner)
	return keep, true, mergeItems(ctx, tx, keep, drop)
}

// mergeItems folds item drop into item keep: its sources, links and topics
// move over and drop is deleted. keep is the older item, so ids stay stable.
func mergeItems(ctx context.Context, tx pgx.Tx, keep, drop int64) error {
	// Lock drop first: a transaction of another process adding a source,
	// link or topic to it holds a key-share lock on it, so this waits for
	// that to commit (and the moves below see its rows, instead of the
	// delete cascading over them); one starting after waits for this one,
	// then fails on the deleted item and is retried (see retryable).
	var locked int64
	if err := tx.QueryRow(ctx, `SELECT id FROM items WHERE id = $1 FOR UPDATE`, drop).Scan(&locked); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return errKeyMoved // another transaction merged drop away first
		}
		return err
	}
	if err := leaveStory(ctx, tx, drop); err != nil {
		return err
	}
	for _, q := range []string{
		`UPDATE sources SET item_id = $1 WHERE item_id = $2`,
		`UPDATE links SET item_id = $1 WHERE item_id = $2`,
		`INSERT INTO item_topics (topic, item_id, hits) SELECT topic, $1, hits FROM item_topics WHERE item_id = $2
			ON CONFLICT DO NOTHING`,
	} {
		if _, err := tx.Exec(ctx, q, keep, drop); err != nil {
			return err
		}
	}
	_, err := tx.Exec(ctx, `DELETE FROM items WHERE id = $1`, drop)
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
func setTopics(ctx context.Context, tx pgx.Tx, itemID int64, it *feedmill.Item) error {
	if _, err := tx.Exec(ctx, `DELETE FROM item_topics WHERE item_id = $1`, itemID); err != nil {
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
		if _, err := tx.Exec(ctx, `INSERT INTO item_topics (topic, item_id, hits) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
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
