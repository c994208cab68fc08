package storage

import (
	"context"
	"fmt"
	"time"
)

// Daily counts new items per day over the days ending with today (UTC): the
// counts of one name (a feed or a topic), oldest day first, today last.
type Daily map[string][]int

// dayNanos is one day in the stored unit.
const dayNanos = int64(24 * time.Hour)

// DayStart returns midnight UTC of the first day of a window of days ending
// with the day of now: the day index 0 of Daily.
func DayStart(now time.Time, days int) time.Time {
	y, m, d := now.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -(days - 1))
}

// The daily queries return (name, day index, count) rows; their parameters
// are the window's start (?1) and the length of a day (?2). They group by
// day first: grouped by name first, SQLite would walk the whole primary key
// in name order to spare a sort, instead of range-scanning first_seen.
const (
	feedDailyQuery = `SELECT f.name, (s.first_seen - ?1) / ?2 AS day, count(*)
		FROM sources s JOIN feeds f ON f.id = s.feed_id
		WHERE s.first_seen >= ?1 GROUP BY day, s.feed_id`
	topicDailyQuery = `SELECT t.topic, (i.first_seen - ?1) / ?2 AS day, count(*)
		FROM items i JOIN item_topics t ON t.item_id = i.id
		WHERE i.first_seen >= ?1 GROUP BY day, t.topic`
)

// FeedDaily counts, per feed and per day of the last days (today included),
// the items the feed carried for the first time, including those already
// stored from another feed. It is one grouped range scan of the
// sources_first_seen index.
func (db *DB) FeedDaily(ctx context.Context, days int) (Daily, error) {
	d, err := db.daily(ctx, days, feedDailyQuery)
	if err != nil {
		return nil, fmt.Errorf("storage: feed daily counts: %w", err)
	}
	return d, nil
}

// TopicDaily counts, per topic and per day of the last days (today
// included), the items first stored that day that have the topic. It is one
// grouped range scan of the items_first_seen index.
func (db *DB) TopicDaily(ctx context.Context, days int) (Daily, error) {
	d, err := db.daily(ctx, days, topicDailyQuery)
	if err != nil {
		return nil, fmt.Errorf("storage: topic daily counts: %w", err)
	}
	return d, nil
}

// daily runs one of the daily queries.
func (db *DB) daily(ctx context.Context, days int, query string) (Daily, error) {
	if days <= 0 {
		return nil, fmt.Errorf("days %d: want at least 1", days)
	}
	start := DayStart(db.now(), days).UnixNano()
	rows, err := db.r.QueryContext(ctx, query, start, dayNanos)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := Daily{}
	for rows.Next() {
		var name string
		var day int64
		var n int
		if err := rows.Scan(&name, &day, &n); err != nil {
			return nil, err
		}
		// An item first seen after today (a clock set back) counts today.
		day = min(day, int64(days-1))
		counts := out[name]
		if counts == nil {
			counts = make([]int, days)
			out[name] = counts
		}
		counts[day] += n
	}
	return out, rows.Err()
}

// TopicCounts returns how many stored items have each topic; topics without
// items are absent. It reads only the (topic, item_id) primary key.
func (db *DB) TopicCounts(ctx context.Context) (map[string]int, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT topic, count(*) FROM item_topics GROUP BY topic`)
	if err != nil {
		return nil, fmt.Errorf("storage: topic counts: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var topic string
		var n int
		if err := rows.Scan(&topic, &n); err != nil {
			return nil, fmt.Errorf("storage: topic counts: %w", err)
		}
		out[topic] = n
	}
	return out, rows.Err()
}
