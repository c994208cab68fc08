package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/feedmill/feedmill"
)

// SaveSubscription stores a verified WebSub subscription, replacing the
// one of the same topic and callback (a renewal: new lease, new secret).
func (db *DB) SaveSubscription(ctx context.Context, s feedmill.Subscription) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO websub_subscriptions (topic, callback, secret, expires, created)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (topic, callback) DO UPDATE SET secret = excluded.secret, expires = excluded.expires`,
		s.Topic, s.Callback, s.Secret, nanos(s.Expires), db.now().UnixNano())
	if err != nil {
		return fmt.Errorf("postgres: save subscription: %w", err)
	}
	return nil
}

// DeleteSubscription removes the subscription of callback to topic and
// reports whether there was one.
func (db *DB) DeleteSubscription(ctx context.Context, topic, callback string) (bool, error) {
	tag, err := db.pool.Exec(ctx, `DELETE FROM websub_subscriptions WHERE topic = $1 AND callback = $2`, topic, callback)
	if err != nil {
		return false, fmt.Errorf("postgres: delete subscription: %w", err)
	}
	return tag.RowsAffected() > 0, nil
}

// Subscriptions returns the subscriptions to topic whose lease runs past
// now, or to every topic when topic is "", ordered by topic and callback.
func (db *DB) Subscriptions(ctx context.Context, topic string, now time.Time) ([]feedmill.Subscription, error) {
	rows, err := db.pool.Query(ctx, `SELECT topic, callback, secret, expires FROM websub_subscriptions
		WHERE ($1 = '' OR topic = $1) AND expires > $2 ORDER BY topic, callback`, topic, now.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("postgres: subscriptions: %w", err)
	}
	defer rows.Close()
	var out []feedmill.Subscription
	for rows.Next() {
		var s feedmill.Subscription
		var exp int64
		if err := rows.Scan(&s.Topic, &s.Callback, &s.Secret, &exp); err != nil {
			return nil, fmt.Errorf("postgres: subscriptions: %w", err)
		}
		s.Expires = fromNanos(exp)
		out = append(out, s)
	}
	return out, rows.Err()
}

// PruneSubscriptions deletes the subscriptions whose lease ended at or
// before now and returns how many it deleted.
func (db *DB) PruneSubscriptions(ctx context.Context, now time.Time) (int64, error) {
	tag, err := db.pool.Exec(ctx, `DELETE FROM websub_subscriptions WHERE expires <= $1`, now.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("postgres: prune subscriptions: %w", err)
	}
	return tag.RowsAffected(), nil
}

// TopicETags returns the ETag last announced for each WebSub topic.
func (db *DB) TopicETags(ctx context.Context) (map[string]string, error) {
	rows, err := db.pool.Query(ctx, `SELECT topic, etag FROM websub_topics`)
	if err != nil {
		return nil, fmt.Errorf("postgres: topic etags: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var topic, etag string
		if err := rows.Scan(&topic, &etag); err != nil {
			return nil, fmt.Errorf("postgres: topic etags: %w", err)
		}
		out[topic] = etag
	}
	return out, rows.Err()
}

// SetTopicETag records the ETag of the content announced for topic.
func (db *DB) SetTopicETag(ctx context.Context, topic, etag string) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO websub_topics (topic, etag, updated) VALUES ($1, $2, $3)
		ON CONFLICT (topic) DO UPDATE SET etag = excluded.etag, updated = excluded.updated`,
		topic, etag, db.now().UnixNano())
	if err != nil {
		return fmt.Errorf("postgres: set topic etag: %w", err)
	}
	return nil
}

// SwapTopicETag records etag as the last announced for topic unless it
// already is, as one compare-and-set in the database, so that of several
// daemons sharing it exactly one sees each change (a concurrent UPDATE
// waits for the row and re-checks its WHERE). first reports that topic
// had no ETag yet (its first version, only remembered); changed that this
// call replaced a different one (the caller should announce).
func (db *DB) SwapTopicETag(ctx context.Context, topic, etag string) (first, changed bool, err error) {
	now := db.now().UnixNano()
	tag, err := db.pool.Exec(ctx, `INSERT INTO websub_topics (topic, etag, updated) VALUES ($1, $2, $3)
		ON CONFLICT (topic) DO NOTHING`, topic, etag, now)
	if err != nil {
		return false, false, fmt.Errorf("postgres: swap topic etag: %w", err)
	}
	if tag.RowsAffected() > 0 {
		return true, false, nil
	}
	tag, err = db.pool.Exec(ctx, `UPDATE websub_topics SET etag = $2, updated = $3 WHERE topic = $1 AND etag <> $2`,
		topic, etag, now)
	if err != nil {
		return false, false, fmt.Errorf("postgres: swap topic etag: %w", err)
	}
	return false, tag.RowsAffected() > 0, nil
}
