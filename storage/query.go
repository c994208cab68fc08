package storage

import (
	"strings"

	"github.com/feedmill/feedmill"
)

// selectItems builds the listing query of q from the cursor before, at most
// limit rows (0: all). Topic and feed conditions are IN sub-queries on the
// (topic, item_id) and sources indexes, so SQLite walks items_published
// newest first and stops at the limit.
//
// With OnePerStory, an item is listed only when no earlier member of its
// story meets the same topic, feed and time conditions.
func selectItems(q feedmill.ItemQuery, before feedmill.Cursor, limit int) (string, []any) {
	where, args := itemConds(q, "i", nil)
	if q.OnePerStory {
		var earlier []string
		earlier, args = itemConds(q, "j", args)
		earlier = append(earlier, `j.story_id = i.story_id`, `(j.published < i.published OR (j.published = i.published AND j.id < i.id))`)
		where = append(where, `(i.story_id = 0 OR NOT EXISTS (SELECT 1 FROM items j WHERE `+strings.Join(earlier, " AND ")+`))`)
	}
	if !before.IsZero() {
		p := nanos(before.Published)
		where = append(where, `(i.published < ? OR (i.published = ? AND i.id < ?))`)
		args = append(args, p, p, before.ID)
	}
	query := `SELECT i.id, f.name, i.link, i.title, i.content, i.full_content, i.author, i.categories, i.published, i.updated, i.first_seen, i.story_id
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

// itemConds returns the topic, feed and time conditions of q on the items
// table under alias a, appending their arguments to args.
func itemConds(q feedmill.ItemQuery, a string, args []any) ([]string, []any) {
	var where []string
	in := func(list []string) string {
		for _, v := range list {
			args = append(args, v)
		}
		return "(" + placeholders(len(list)) + ")"
	}
	if len(q.Topics) > 0 {
		where = append(where, a+`.id IN (SELECT item_id FROM item_topics WHERE topic IN `+in(q.Topics)+`)`)
	}
	if len(q.AllTopics) > 0 {
		n := len(q.AllTopics)
		where = append(where, a+`.id IN (SELECT item_id FROM item_topics WHERE topic IN `+in(q.AllTopics)+
			` GROUP BY item_id HAVING count(*) = ?)`)
		args = append(args, n)
	}
	if len(q.ExcludeTopics) > 0 {
		where = append(where, a+`.id NOT IN (SELECT item_id FROM item_topics WHERE topic IN `+in(q.ExcludeTopics)+`)`)
	}
	feeds := q.Feeds
	if q.Feed != "" {
		feeds = append([]string{q.Feed}, feeds...)
	}
	if len(feeds) > 0 {
		where = append(where, a+`.id IN (SELECT s.item_id FROM sources s JOIN feeds f ON f.id = s.feed_id WHERE f.name IN `+in(feeds)+`)`)
	}
	if !q.Since.IsZero() {
		where = append(where, a+`.published >= ?`)
		args = append(args, q.Since.UnixNano())
	}
	return where, args
}
