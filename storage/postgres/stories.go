package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/stories"
	"github.com/jackc/pgx/v5"
)

// grouper assigns new items to stories as Ingest stores them, as the
// SQLite backend's does: its index caches the stored signatures of the
// window, catches up at the start of every write with the items other
// processes stored since, and is rebuilt after a failed write. The
// process's ingests take turns while grouping is on. Items that daemons
// store at the same moment do not see each other's signatures: two such
// items of one event may start two stories until a restory.
//
// Ids are not handed out in commit order: an item of another daemon's
// transaction may commit after an item with a higher id was indexed. So
// the ids below lastID that the index has not seen (holes) are looked for
// again at every catch-up, for holeTTL, and then forgotten (a rolled back
// insert or an item stored with grouping off leaves a hole for good).
type grouper struct {
	mu     sync.Mutex
	on     bool
	cfg    stories.Config
	ix     *stories.Index
	lastID int64
	// holes are the ids below lastID not seen yet, with when they were
	// found missing.
	holes map[int64]time.Time
	now   func() time.Time
}

// holeTTL bounds how long an id below the highest seen is looked for: a
// transaction storing items commits well within it.
const holeTTL = 10 * time.Minute

// maxHoles bounds the ids looked for again; the oldest go first.
const maxHoles = 10000

// SetStories turns story grouping on with the thresholds of cfg for the
// items Ingest stores from now on.
func (db *DB) SetStories(cfg stories.Config) {
	g := &db.group
	g.mu.Lock()
	defer g.mu.Unlock()
	g.on, g.cfg, g.ix, g.now = true, cfg, nil, db.now
}

func (g *grouper) begin(ctx context.Context, tx pgx.Tx) (*grouper, error) {
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

func (g *grouper) end(err error) {
	if g == nil {
		return
	}
	if err != nil {
		g.ix = nil
	}
	g.mu.Unlock()
}

func (g *grouper) sync(ctx context.Context, tx pgx.Tx) error {
	var rows pgx.Rows
	var err error
	if g.ix == nil {
		var newest, maxID int64
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(published), 0), coalesce(max(id), 0) FROM items`).Scan(&newest, &maxID); err != nil {
			return err
		}
		g.ix, g.lastID, g.holes = stories.NewIndex(g.cfg), maxID, map[int64]time.Time{}
		rows, err = tx.Query(ctx, `SELECT id, story_id, published, signature FROM items
			WHERE published >= $1 AND story_id <> 0 ORDER BY id`, newest-2*int64(g.cfg.Window))
	} else {
		g.expireHoles()
		holes := make([]int64, 0, len(g.holes))
		for id := range g.holes {
			holes = append(holes, id)
		}
		rows, err = tx.Query(ctx, `SELECT id, story_id, published, signature FROM items
			WHERE (id > $1 OR id = ANY($2)) AND story_id <> 0 ORDER BY id`, g.lastID, holes)
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
		if _, ok := g.holes[id]; ok {
			delete(g.holes, id)
		} else {
			g.advance(id)
		}
		s, err := stories.DecodeSignature(sig)
		if err != nil {
			continue
		}
		g.ix.Restore(storyID, stories.Doc{ID: id, Published: fromNanos(published), Sig: s})
	}
	return rows.Err()
}

// advance records that id was seen: the ids between the highest seen
// before and id become holes.
func (g *grouper) advance(id int64) {
	if id <= g.lastID {
		return
	}
	at := g.now()
	for h := max(g.lastID+1, id-maxHoles); h < id; h++ {
		g.holes[h] = at
	}
	g.lastID = id
	if len(g.holes) > maxHoles {
		g.expireHoles()
	}
}

// expireHoles forgets the holes older than holeTTL and, beyond maxHoles,
// the lowest ids.
func (g *grouper) expireHoles() {
	cutoff := g.now().Add(-holeTTL)
	for id, at := range g.holes {
		if at.Before(cutoff) {
			delete(g.holes, id)
		}
	}
	if n := len(g.holes) - maxHoles; n > 0 {
		ids := make([]int64, 0, len(g.holes))
		for id := range g.holes {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids[:n] {
			delete(g.holes, id)
		}
	}
}

func (g *grouper) assign(ctx context.Context, tx pgx.Tx, it *feedmill.Item, itemID, published, at int64, res *feedmill.IngestResult) error {
	sig := stories.Sign(it.Title, it.Content)
	storyID, joined := g.ix.Add(stories.Doc{ID: itemID, Published: fromNanos(published), Sig: sig})
	delete(g.holes, itemID)
	g.advance(itemID)
	if _, err := tx.Exec(ctx, `UPDATE items SET story_id = $1, signature = $2 WHERE id = $3`,
		storyID, sig.Encode(), itemID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO stories (id, centre, first_published, updated, members)
		VALUES ($1, $2, $3, $4, 1) ON CONFLICT (id) DO UPDATE SET members = stories.members + 1,
		updated = greatest(stories.updated, excluded.updated)`,
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
func leaveStory(ctx context.Context, tx pgx.Tx, id int64) error {
	var storyID int64
	err := tx.QueryRow(ctx, `SELECT story_id FROM items WHERE id = $1`, id).Scan(&storyID)
	if err != nil || storyID == 0 {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE stories SET members = members - 1 WHERE id = $1`, storyID); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `DELETE FROM stories WHERE id = $1 AND members <= 0`, storyID)
	return err
}

// Restory groups every stored item again with the thresholds of cfg (as
// storage.DB.Restory), in one transaction.
func (db *DB) Restory(ctx context.Context, cfg stories.Config) (storage.RestoryResult, error) {
	var res storage.RestoryResult
	g := &db.group
	err := db.write(ctx, func(tx pgx.Tx) error {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.ix = nil
		res = storage.RestoryResult{}
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
					if _, err := tx.Exec(ctx, `UPDATE items SET signature = $1 WHERE id = $2`, sig.Encode(), r.id); err != nil {
						return err
					}
				}
				s, _ := ix.Add(stories.Doc{ID: r.id, Published: fromNanos(r.published), Sig: sig})
				if s != r.story {
					res.Changed++
					if _, err := tx.Exec(ctx, `UPDATE items SET story_id = $1 WHERE id = $2`, s, r.id); err != nil {
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
		} {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO meta (name, value) VALUES ($1, $2)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, storage.StoriesRulesMeta, cfg.Fingerprint()); err != nil {
			return err
		}
		var n int64
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM stories WHERE members > 1`).Scan(&n); err != nil {
			return err
		}
		res.Stories = int(n)
		return bumpVersion(ctx, tx)
	})
	if err != nil {
		return res, fmt.Errorf("postgres: restory: %w", err)
	}
	return res, nil
}

type restoryRow struct {
	id, story, published int64
	sig                  []byte
	title, content       string
}

func restoryBatch(ctx context.Context, tx pgx.Tx, published, id int64) ([]restoryRow, error) {
	rows, err := tx.Query(ctx, `SELECT id, story_id, published, signature,
		CASE WHEN signature IS NULL THEN title ELSE '' END, CASE WHEN signature IS NULL THEN content ELSE '' END
		FROM items WHERE published > $1 OR (published = $1 AND id > $2) ORDER BY published, id LIMIT 1000`, published, id)
	if err != nil {
		return nil, err
	}
	var out []restoryRow
	for rows.Next() {
		var r restoryRow
		if err := rows.Scan(&r.id, &r.story, &r.published, &r.sig, &r.title, &r.content); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		r := &out[i]
		if r.sig == nil {
			continue
		}
		if _, err := stories.DecodeSignature(r.sig); err != nil {
			if err := tx.QueryRow(ctx, `SELECT title, content FROM items WHERE id = $1`, r.id).Scan(&r.title, &r.content); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// StoryCount returns the number of stories of two items or more.
func (db *DB) StoryCount(ctx context.Context) (int64, error) {
	var n int64
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM stories WHERE members > 1`).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: story count: %w", err)
	}
	return n, nil
}

// Stories returns the stories q selects, the latest first, each with its
// members earliest first (as storage.DB.Stories).
func (db *DB) Stories(ctx context.Context, q storage.StoryQuery) ([]feedmill.Story, error) {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("postgres: stories: %w", err)
	}
	defer tx.Rollback(ctx)
	where := []string{"i.story_id <> 0"}
	var a args
	if !q.Since.IsZero() {
		where = append(where, "i.published >= "+a.add(q.Since.UnixNano()))
	}
	if q.Topic != "" {
		where = append(where, "i.id IN (SELECT item_id FROM item_topics WHERE topic = "+a.add(q.Topic)+")")
	}
	query := `SELECT i.story_id, max(i.published) AS latest FROM items i WHERE ` + strings.Join(where, " AND ") +
		` GROUP BY i.story_id HAVING (SELECT members FROM stories WHERE id = i.story_id) >= ` + a.add(max(q.MinItems, 1)) +
		` ORDER BY latest DESC, i.story_id DESC`
	if q.Limit > 0 {
		query += " LIMIT " + a.add(q.Limit)
	}
	rows, err := tx.Query(ctx, query, a...)
	if err != nil {
		return nil, fmt.Errorf("postgres: stories: %w", err)
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
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: stories: %w", err)
	}
	if err := loadMembers(ctx, tx, out, index); err != nil {
		return nil, fmt.Errorf("postgres: stories: %w", err)
	}
	return out, nil
}

func loadMembers(ctx context.Context, tx pgx.Tx, out []feedmill.Story, index map[int64]int) error {
	ids := make([]int64, 0, len(out))
	for _, s := range out {
		ids = append(ids, s.ID)
	}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		rows, err := tx.Query(ctx, `SELECT i.story_id, i.id, f.name, i.title, i.link, i.published, i.first_seen
			FROM items i JOIN feeds f ON f.id = i.feed_id WHERE i.story_id = ANY($1)
			ORDER BY i.story_id, i.published, i.id`, chunk)
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
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	for i := range out {
		s := &out[i]
		if len(s.Items) == 0 {
			continue
		}
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
// other members' sources (as the SQLite backend does).
func loadRelated(ctx context.Context, tx pgx.Tx, items []feedmill.Item) error {
	byStory := map[int64][]int{}
	var ids []int64
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
		rows, err := tx.Query(ctx, `SELECT i.story_id, i.id, i.first_seen, f.name, s.link
			FROM items i JOIN sources s ON s.item_id = i.id JOIN feeds f ON f.id = s.feed_id
			WHERE i.story_id = ANY($1) ORDER BY i.story_id, i.published, i.id, s.first_seen, f.name, s.key COLLATE "C"`, chunk)
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
		rows.Close()
		if err := rows.Err(); err != nil {
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
