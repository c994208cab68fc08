package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/feedmill/feedmill"
	"github.com/jackc/pgx/v5"
)

// Items returns the items q selects, newest first (by published time, then
// by id), each with its topics and sources, all read in one snapshot
// (a REPEATABLE READ transaction).
func (db *DB) Items(ctx context.Context, q feedmill.ItemQuery) ([]feedmill.Item, error) {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("postgres: items: %w", err)
	}
	defer tx.Rollback(ctx)
	var items []feedmill.Item
	index := map[int64]int{}
	before := q.Before
	for {
		chunk := q.Limit
		if q.Filter != nil {
			chunk = max(2*(q.Limit-len(items)), 200)
		}
		query, args := selectItems(q, before, chunk)
		got, err := scanItems(ctx, tx, query, args)
		if err != nil {
			return nil, fmt.Errorf("postgres: items: %w", err)
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
		return nil, fmt.Errorf("postgres: items: %w", err)
	}
	if q.OnePerStory {
		if err := loadRelated(ctx, tx, items); err != nil {
			return nil, fmt.Errorf("postgres: items: %w", err)
		}
	}
	return items, nil
}

// args numbers the parameters of a query as they are added.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// selectItems builds the listing query of q from the cursor before, at most
// limit rows (0: all). With OnePerStory, an item is listed only when no
// earlier member of its story meets the same topic, feed and time
// conditions.
func selectItems(q feedmill.ItemQuery, before feedmill.Cursor, limit int) (string, []any) {
	var a args
	where := itemConds(q, "i", &a)
	if q.OnePerStory {
		earlier := itemConds(q, "j", &a)
		earlier = append(earlier, `j.story_id = i.story_id`, `(j.published < i.published OR (j.published = i.published AND j.id < i.id))`)
		where = append(where, `(i.story_id = 0 OR NOT EXISTS (SELECT 1 FROM items j WHERE `+strings.Join(earlier, " AND ")+`))`)
	}
	if !before.IsZero() {
		p := a.add(nanos(before.Published))
		where = append(where, `(i.published < `+p+` OR (i.published = `+p+` AND i.id < `+a.add(before.ID)+`))`)
	}
	query := `SELECT i.id, f.name, i.link, i.title, i.content, i.full_content, i.author, i.categories, i.published, i.updated,
		i.first_seen, i.story_id FROM items i JOIN feeds f ON f.id = i.feed_id`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY i.published DESC, i.id DESC"
	if limit > 0 {
		query += " LIMIT " + a.add(limit)
	}
	return query, a
}

// itemConds returns the topic, feed and time conditions of q on the items
// table under alias t, adding their arguments to a.
func itemConds(q feedmill.ItemQuery, t string, a *args) []string {
	var where []string
	if len(q.Topics) > 0 {
		where = append(where, t+`.id IN (SELECT item_id FROM item_topics WHERE topic = ANY(`+a.add(q.Topics)+`))`)
	}
	if len(q.AllTopics) > 0 {
		where = append(where, t+`.id IN (SELECT item_id FROM item_topics WHERE topic = ANY(`+a.add(q.AllTopics)+
			`) GROUP BY item_id HAVING count(*) = `+a.add(len(q.AllTopics))+`)`)
	}
	if len(q.ExcludeTopics) > 0 {
		where = append(where, t+`.id NOT IN (SELECT item_id FROM item_topics WHERE topic = ANY(`+a.add(q.ExcludeTopics)+`))`)
	}
	feeds := q.Feeds
	if q.Feed != "" {
		feeds = append([]string{q.Feed}, feeds...)
	}
	if len(feeds) > 0 {
		where = append(where, t+`.id IN (SELECT s.item_id FROM sources s JOIN feeds f ON f.id = s.feed_id WHERE f.name = ANY(`+
			a.add(feeds)+`))`)
	}
	if !q.Since.IsZero() {
		where = append(where, t+`.published >= `+a.add(q.Since.UnixNano()))
	}
	return where
}

func scanItems(ctx context.Context, tx pgx.Tx, query string, args []any) ([]feedmill.Item, error) {
	rows, err := tx.Query(ctx, query, args...)
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
// time.
func loadDetails(ctx context.Context, tx pgx.Tx, items []feedmill.Item, index map[int64]int) error {
	for start := 0; start < len(items); start += 500 {
		chunk := items[start:min(start+500, len(items))]
		ids := make([]int64, len(chunk))
		for i, it := range chunk {
			ids[i] = it.ID
		}
		rows, err := tx.Query(ctx, `SELECT s.item_id, f.name, s.link, s.key FROM sources s JOIN feeds f ON f.id = s.feed_id
			WHERE s.item_id = ANY($1) ORDER BY s.item_id, s.first_seen, f.name, s.key COLLATE "C"`, ids)
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
			if !hasSource(it.Sources, src) {
				it.Sources = append(it.Sources, src)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT item_id, topic FROM item_topics WHERE item_id = ANY($1) ORDER BY item_id, topic`, ids)
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
		rows.Close()
		if err := rows.Err(); err != nil {
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
// the items, by any process sharing the database.
func (db *DB) ItemsVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := db.pool.QueryRow(ctx, `SELECT value FROM counters WHERE name = 'items_version'`).Scan(&v); err != nil {
		return 0, fmt.Errorf("postgres: items version: %w", err)
	}
	return v, nil
}
