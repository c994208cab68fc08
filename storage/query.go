package storage

import (
	"strings"

	"github.com/feedmill/feedmill"
)

// selectItems builds the listing query of q from the cursor before, at most
// limit rows (0: all). Topic and feed conditions are IN sub-queries on the
// (topic, item_id) and sources indexes, so SQLite walks items_published
// newest first and stops at the limit.
func selectItems(q feedmill.ItemQuery, before feedmill.Cursor, limit int) (string, []any) {
	var where []string
	var args []any
	in := func(list []string) string {
		for _, v := range list {
			args = append(args, v)
		}
		return "(" + placeholders(len(list)) + ")"
	}
	if len(q.Topics) > 0 {
		where = append(where, `i.id IN (SELECT item_id FROM item_topics WHERE topic IN `+in(q.Topics)+`)`)
	}
	if len(q.AllTopics) > 0 {
		n := len(q.AllTopics)
		where = append(where, `i.id IN (SELECT item_id FROM item_topics WHERE topic IN `+in(q.AllTopics)+
			` GROUP BY item_id HAVING count(*) = ?)`)
		args = append(args, n)
	}
	if len(q.ExcludeTopics) > 0 {
		where = append(where, `i.id NOT IN (SELECT item_id FROM item_topics WHERE topic IN `+in(q.ExcludeTopics)+`)`)
	}
	feeds := q.Feeds
	if q.Feed != "" {
		feeds = append([]string{q.Feed}, feeds...)
	}
	if len(feeds) > 0 {
		where = append(where, `i.id IN (SELECT s.item_id FROM sources s JOIN feeds f ON f.id = s.feed_id WHERE f.name IN `+in(feeds)+`)`)
	}
	if !q.Since.IsZero() {
		where = append(where, `i.published >= ?`)
		args = append(args, q.Since.UnixNano())
	}
	if !before.IsZero() {
		p := nanos(before.Published)
		where = append(where, `(i.published < ? OR (i.published = ? AND i.id < ?))`)
		args = append(args, p, p, before.ID)
	}
	query := `SELECT i.id, f.name, i.link, i.title, i.content, i.full_content, i.author, i.categories, i.published, i.updated, i.first_seen
		FROM items i JOIN feeds f ON f.id = i.feed_id`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY i.published DESC, i.id DESC"
	if limit > 0 {
		query += " LIMIT ?"
		args = append(args, limit)
	}
	return query, args
}
