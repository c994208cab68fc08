package postgres

import (
	"context"
	"fmt"
	"time"
)

// dayNanos is one day in the stored unit.
const dayNanos = int64(24 * time.Hour)

// The daily queries return (name, day index, count) rows; their parameters
// are the window's start ($1) and the length of a day ($2).
const (
	feedDailyQuery = `SELECT f.name, (s.first_seen - $1) / $2 AS day, count(*)
		FROM sources s JOIN feeds f ON f.id = s.feed_id
		WHERE s.first_seen >= $1 GROUP BY day, f.name`
	topicDailyQuery = `SELECT t.topic, (i.first_seen - $1) / $2 AS day, count(*)
		FROM items i JOIN item_topics t ON t.item_id = i.id
		WHERE i.first_seen >= $1 GROUP BY day, t.topic`
)

// FeedDaily counts, per feed and per day of the days from start, the items
// the feed carried for the first time (as storage.DB.FeedDaily).
func (db *DB) FeedDaily(ctx context.Context, start time.Time, days int) (map[string][]int, error) {
	d, err := db.daily(ctx, start, days, feedDailyQuery)
	if err != nil {
		return nil, fmt.Errorf("postgres: feed daily counts: %w", err)
	}
	return d, nil
}

// TopicDaily counts, per topic and per day of the days from start, the
// items first stored that day that have the topic.
func (db *DB) TopicDaily(ctx context.Context, start time.Time, days int) (map[string][]int, error) {
	d, err := db.daily(ctx, start, days, topicDailyQuery)
	if err != nil {
		return nil, fmt.Errorf("postgres: topic daily counts: %w", err)
	}
	return d, nil
}

func (db *DB) daily(ctx context.Context, start time.Time, days int, query string) (map[string][]int, error) {
	if days <= 0 {
		return nil, fmt.Errorf("days %d: want at least 1", days)
	}
	rows, err := db.pool.Query(ctx, query, start.UnixNano(), dayNanos)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]int{}
	for rows.Next() {
		var name string
		var day, n int64
		if err := rows.Scan(&name, &day, &n); err != nil {
			return nil, err
		}
		day = min(day, int64(days-1))
		counts := out[name]
		if counts == nil {
			counts = make([]int, days)
			out[name] = counts
		}
		counts[day] += int(n)
	}
	return out, rows.Err()
}

// TopicCounts returns how many stored items have each topic.
func (db *DB) TopicCounts(ctx context.Context) (map[string]int, error) {
	rows, err := db.pool.Query(ctx, `SELECT topic, count(*) FROM item_topics GROUP BY topic`)
	if err != nil {
		return nil, fmt.Errorf("postgres: topic counts: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var topic string
		var n int64
		if err := rows.Scan(&topic, &n); err != nil {
			return nil, fmt.Errorf("postgres: topic counts: %w", err)
		}
		out[topic] = int(n)
	}
	return out, rows.Err()
}
