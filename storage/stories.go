package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/stories"
)

// grouper assigns new items to stories as Ingest stores them. Its Index is
// a cache of what the database holds: it is rebuilt from the stored
// signatures of the window when first used or after a failed write, and
// catches up at the start of every write with the items other processes
// (a `feedmill fetch` beside `serve`) stored since. The story of an item
// is written in the transaction that inserts it, so a crash never leaves
// an item half grouped.
type grouper struct {
	mu  sync.Mutex
	on  bool
	cfg stories.Config
	// ix is nil until built from the database.
	ix *stories.Index
	// lastID is the highest item id ix has seen.
	lastID int64
}

// SetStories turns story grouping on, with the thresholds of cfg (which
// must be valid), for the items Ingest stores from now on. Items stored
// before keep their stories until Restory.
func (db *DB) SetStories(cfg stories.Config) {
	g := &db.group
	g.mu.Lock()
	defer g.mu.Unlock()
	g.on, g.cfg, g.ix = true, cfg, nil
}

// begin locks the grouper for one write transaction and brings its index
// up to date with the database; it returns nil when grouping is off.
// The caller calls end with the transaction's outcome.
func (g *grouper) begin(ctx context.Context, tx *wtx) (*grouper, error) {
	g.mu.Lock()
	if !g.on {
		g.mu.Unlock()
		return nil, nil
	}
	if err := g.sync(ctx, tx); err != nil {
		g.ix = nil
		g.mu.Unlock()
		return nil, fmt.Errorf("stories: %w", err)
	}
	return g, nil
}

// forget drops the index, rebuilt from the database on next use: items
// it holds were deleted (retention).
func (g *grouper) forget() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.ix = nil
}

// end unlocks the grouper after a write; a failed write leaves the index
// ahead of the database, so it is dropped and rebuilt on next use.
func (g *grouper) end(err error) {
	if g == nil {
		return
	}
	if err != nil {
		g.ix = nil
	}
	g.mu.Unlock()
}

// sync builds the index from the stored items of the window, or adds the
// items stored by others since it last looked. Items come in id order:
// the order in which they joined their stories, not their publication's.
// A story's centre is its first item as Add saw it, which Restore finds
// by id: not always the least (a restory adds in publication order).
func (g *grouper) sync(ctx context.Context, tx *wtx) error {
	var rows *sql.Rows
	var err error
	if g.ix == nil {
		var newest, maxID int64
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(published), 0), coalesce(max(id), 0) FROM items`).Scan(&newest, &maxID); err != nil {
			return err
		}
		g.ix, g.lastID = stories.NewIndex(g.cfg), maxID
		rows, err = tx.Tx.QueryContext(ctx, `SELECT id, story_id, published, signature FROM items
			WHERE published >= ? AND story_id <> 0 ORDER BY id`, newest-2*int64(g.cfg.Window))
	} else {
		rows, err = tx.Tx.QueryContext(ctx, `SELECT id, story_id, published, signature FROM items
			WHERE id > ? AND story_id <> 0 ORDER BY id`, g.lastID)
	}
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, storyID, published int64
		var sig []byte
		if err := rows.Scan(&id, &storyID, &published, &sig); err != nil {
			return err
		}
		g.lastID = max(g.lastID, id)
		s, err := stories.DecodeSignature(sig)
		if err != nil {
			continue // a signature of another version: grouped again by restory
		}
		g.ix.Restore(storyID, stories.Doc{ID: id, Published: fromNanos(published), Sig: s})
	}
	return rows.Err()
}

// assign puts a newly inserted item in a story and records it.
func (g *grouper) assign(ctx context.Context, tx *wtx, it *feedmill.Item, itemID, published, at int64, res *feedmill.IngestResult) error {
	sig := stories.Sign(it.Title, it.Content)
	storyID, joined := g.ix.Add(stories.Doc{ID: itemID, Published: fromNanos(published), Sig: sig})
	g.lastID = max(g.lastID, itemID)
	if _, err := tx.ExecContext(ctx, `UPDATE items SET story_id = ?, signature = ? WHERE id = ?`,
		storyID, sig.Encode(), itemID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO stories (id, centre, first_published, updated, members)
		VALUES (?, ?, ?, ?, 1) ON CONFLICT (id) DO UPDATE SET members = members + 1, updated = max(updated, excluded.updated)`,
		storyID, itemID, published, at); err != nil {
		return err
	}
	if joined {
		res.Grouped++
	}
	it.Story = storyID
	return nil
}

// leaveStory takes item id out of its story's count, before the item is
// merged into another.
func leaveStory(ctx context.Context, tx *wtx, id int64) error {
	var storyID int64
	err := tx.QueryRowContext(ctx, `SELECT story_id FROM items WHERE id = ?`, id).Scan(&storyID)
	if err != nil || storyID == 0 {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE stories SET members = members - 1 WHERE id = ?`, storyID); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM stories WHERE id = ? AND members <= 0`, storyID)
	return err
}

// RestoryResult counts what Restory did.
type RestoryResult struct {
	// Items were grouped again.
	Items int
	// Changed items moved to another story.
	Changed int
	// Signed items had no usable stored signature: it was computed from
	// their title and content, and stored.
	Signed int
	// Stories is the number of stories of two items or more afterwards.
	Stories int
}

// StoriesRulesMeta is the meta name under which Restory records the
// fingerprint of the thresholds the stored stories were made with.
const StoriesRulesMeta = "stories_rules"

// Restory groups every stored item again with the thresholds of cfg, in
// publication order, from the stored signatures (computing those that are
// missing), and rewrites the items whose story changes and the stories
// table, in one transaction: readers see the old stories or the new ones.
// It records cfg's fingerprint (StoriesRulesMeta) and bumps the items
// version, so output caches rebuild.
func (db *DB) Restory(ctx context.Context, cfg stories.Config) (RestoryResult, error) {
	var res RestoryResult
	g := &db.group
	err := db.write(ctx, func(tx *wtx) error {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.ix = nil // rebuilt from what this writes, on next use
		ix := stories.NewIndex(cfg)
		var lastPub, lastID int64 = -1 << 63, 0
		for {
			batch, err := restoryBatch(ctx, tx, lastPub, lastID)
			if err != nil {
				return err
			}
			if len(batch) == 0 {
				break
			}
			for _, r := range batch {
				res.Items++
				sig, err := stories.DecodeSignature(r.sig)
				if err != nil {
					sig = stories.Sign(r.title, r.content)
					res.Signed++
					if _, err := tx.ExecContext(ctx, `UPDATE items SET signature = ? WHERE id = ?`, sig.Encode(), r.id); err != nil {
						return err
					}
				}
				s, _ := ix.Add(stories.Doc{ID: r.id, Published: fromNanos(r.published), Sig: sig})
				if s != r.story {
					res.Changed++
					if _, err := tx.ExecContext(ctx, `UPDATE items SET story_id = ? WHERE id = ?`, s, r.id); err != nil {
						return err
					}
				}
			}
			last := batch[len(batch)-1]
			lastPub, lastID = last.published, last.id
		}
		for _, q := range []string{
			`DELETE FROM stories`,
			`INSERT INTO stories (id, centre, first_published, updated, members)
				SELECT story_id, story_id, min(published), max(first_seen), count(*) FROM items WHERE story_id <> 0 GROUP BY story_id`,
			`UPDATE counters SET value = value + 1 WHERE name = 'items_version'`,
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO meta (name, value) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, StoriesRulesMeta, cfg.Fingerprint()); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM stories WHERE members > 1`).Scan(&res.Stories)
	})
	if err != nil {
		return res, fmt.Errorf("storage: restory: %w", err)
	}
	return res, nil
}

// restoryRow is one item as Restory reads it.
type restoryRow struct {
	id, story, published int64
	sig                  []byte
	title, content       string
}

// restoryBatch reads the next 1000 items after (published, id), in
// publication order.
func restoryBatch(ctx context.Context, tx *wtx, published, id int64) ([]restoryRow, error) {
	rows, err := tx.Tx.QueryContext(ctx, `SELECT id, story_id, published, signature,
		CASE WHEN signature IS NULL THEN title ELSE '' END, CASE WHEN signature IS NULL THEN content ELSE '' END
		FROM items WHERE published > ? OR (published = ? AND id > ?) ORDER BY published, id LIMIT 1000`, published, published, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []restoryRow
	for rows.Next() {
		var r restoryRow
		if err := rows.Scan(&r.id, &r.story, &r.published, &r.sig, &r.title, &r.content); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// A signature of another version needs the text after all.
	for i := range out {
		r := &out[i]
		if r.sig == nil {
			continue
		}
		if _, err := stories.DecodeSignature(r.sig); err != nil {
			if err := tx.QueryRowContext(ctx, `SELECT title, content FROM items WHERE id = ?`, r.id).Scan(&r.title, &r.content); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// StoryCount returns the number of stories of two items or more: events
// that several sources (or several items of one) reported.
func (db *DB) StoryCount(ctx context.Context) (int64, error) {
	var n int64
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM stories WHERE members > 1`).Scan(&n); err != nil {
		return 0, fmt.Errorf("storage: story count: %w", err)
	}
	return n, nil
}

// StoryQuery selects stories for Stories.
type StoryQuery struct {
	// Topic keeps stories with a member tagged with it.
	Topic string
	// Since keeps stories with a member published at or after it.
	Since time.Time
	// MinItems keeps stories of at least this many items (1 when 0).
	MinItems int
	// Limit caps the number of stories; 0 means no limit.
	Limit int
}

// Stories returns the stories q selects, the latest first (by their newest
// member's publication), each with its members earliest first.
func (db *DB) Stories(ctx context.Context, q StoryQuery) ([]feedmill.Story, error) {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("storage: stories: %w", err)
	}
	defer tx.Rollback()
	where := []string{"i.story_id <> 0"}
	var args []any
	if !q.Since.IsZero() {
		where = append(where, "i.published >= ?")
		args = append(args, q.Since.UnixNano())
	}
	if q.Topic != "" {
		where = append(where, "i.id IN (SELECT item_id FROM item_topics WHERE topic = ?)")
		args = append(args, q.Topic)
	}
	query := `SELECT i.story_id, max(i.published) AS latest FROM items i WHERE ` + strings.Join(where, " AND ") +
		` GROUP BY i.story_id HAVING (SELECT members FROM stories WHERE id = i.story_id) >= ? ORDER BY latest DESC, i.story_id DESC`
	args = append(args, max(q.MinItems, 1))
	if q.Limit > 0 {
		query += " LIMIT ?"
		args = append(args, q.Limit)
	}
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: stories: %w", err)
	}
	var out []feedmill.Story
	index := map[int64]int{}
	for rows.Next() {
		var id, latest int64
		if err := rows.Scan(&id, &latest); err != nil {
			rows.Close()
			return nil, err
		}
		index[id] = len(out)
		out = append(out, feedmill.Story{ID: id})
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("storage: stories: %w", err)
	}
	if err := loadMembers(ctx, tx, out, index); err != nil {
		return nil, fmt.Errorf("storage: stories: %w", err)
	}
	return out, nil
}

// loadMembers fills in the members of stories (indexed by id in index),
// earliest first, and each story's title and Updated.
func loadMembers(ctx context.Context, tx *sql.Tx, out []feedmill.Story, index map[int64]int) error {
	ids := make([]int64, 0, len(out))
	for _, s := range out {
		ids = append(ids, s.ID)
	}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := tx.QueryContext(ctx, `SELECT i.story_id, i.id, f.name, i.title, i.link, i.published, i.first_seen
			FROM items i JOIN feeds f ON f.id = i.feed_id WHERE i.story_id IN (`+placeholders(len(chunk))+`)
			ORDER BY i.story_id, i.published, i.id`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var sid, published, firstSeen int64
			var it feedmill.Item
			if err := rows.Scan(&sid, &it.ID, &it.Feed, &it.Title, &it.Link, &published, &firstSeen); err != nil {
				rows.Close()
				return err
			}
			it.Published, it.FirstSeen, it.Story = fromNanos(published), fromNanos(firstSeen), sid
			s := &out[index[sid]]
			s.Items = append(s.Items, it)
			if it.FirstSeen.After(s.Updated) {
				s.Updated = it.FirstSeen
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
	}
	for i := range out {
		s := &out[i]
		if len(s.Items) == 0 {
			continue
		}
		// The title is the centre's, when it is still stored.
		s.Title = s.Items[0].Title
		for _, it := range s.Items {
			if it.ID == s.ID {
				s.Title = it.Title
			}
		}
	}
	return nil
}

// loadRelated fills in, for the items of a one-per-story listing, the
// other members of their stories (Related: each member's sources, one per
// feed not already among the item's), and moves Updated to when the last
// other member joined.
func loadRelated(ctx context.Context, tx *sql.Tx, items []feedmill.Item) error {
	byStory := map[int64][]int{}
	var ids []any
	for i, it := range items {
		if it.Story == 0 {
			continue
		}
		if _, ok := byStory[it.Story]; !ok {
			ids = append(ids, it.Story)
		}
		byStory[it.Story] = append(byStory[it.Story], i)
	}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		rows, err := tx.QueryContext(ctx, `SELECT i.story_id, i.id, i.first_seen, f.name, s.link
			FROM items i JOIN sources s ON s.item_id = i.id JOIN feeds f ON f.id = s.feed_id
			WHERE i.story_id IN (`+placeholders(len(chunk))+`) ORDER BY i.story_id, i.published, i.id, s.first_seen, f.name, s.key`, chunk...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var sid, id, firstSeen int64
			var src feedmill.Source
			if err := rows.Scan(&sid, &id, &firstSeen, &src.Feed, &src.Link); err != nil {
				rows.Close()
				return err
			}
			for _, k := range byStory[sid] {
				it := &items[k]
				if id == it.ID || hasFeed(it.Sources, src.Feed) || hasFeed(it.Related, src.Feed) {
					continue
				}
				it.Related = append(it.Related, src)
				if t := fromNanos(firstSeen); t.After(it.Updated) && t.After(it.Published) {
					it.Updated = t
				}
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
	}
	return nil
}

func hasFeed(list []feedmill.Source, feed string) bool {
	for _, s := range list {
		if s.Feed == feed {
			return true
		}
	}
	return false
}
