package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/jackc/pgx/v5"
)

// fetchLogSize is how many fetches the log keeps per feed.
const fetchLogSize = 200

// FetchState returns what the last poll of feed left for the next one; the
// zero value (rate unknown) for a feed never fetched or whose configured
// URL changed since.
func (db *DB) FetchState(ctx context.Context, feed, url string) (feedmill.FetchState, error) {
	var st feedmill.FetchState
	var next, since, success int64
	var status, storedURL string
	err := db.pool.QueryRow(ctx, `SELECT url, etag, last_modified, body_hash, next_check, failures, failing_since,
		moved_to, status, last_success, rate FROM feeds WHERE name = $1`, feed).
		Scan(&storedURL, &st.ETag, &st.LastModified, &st.BodyHash, &next, &st.Failures, &since, &st.MovedTo, &status,
			&success, &st.Rate)
	if errors.Is(err, pgx.ErrNoRows) || err == nil && storedURL != url {
		return feedmill.FetchState{Rate: -1}, nil
	}
	if err != nil {
		return st, fmt.Errorf("postgres: fetch state of %s: %w", feed, err)
	}
	st.NextCheck, st.FailingSince, st.LastSuccess = fromNanos(next), fromNanos(since), fromNanos(success)
	st.Disabled = status == feedmill.StatusDisabled
	return st, nil
}

// Claim takes c.Feed for one poll by c.Owner when it is due (see
// feedmill.Claim), recording the feed first if it is new. Of several
// processes claiming at once exactly one gets it: the row is locked with
// FOR UPDATE SKIP LOCKED, so the others pass over it without waiting, and
// a process that comes later sees the claim.
func (db *DB) Claim(ctx context.Context, c feedmill.Claim) (bool, error) {
	if _, err := db.pool.Exec(ctx, `INSERT INTO feeds (name, url) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
		c.Feed, c.URL); err != nil {
		return false, fmt.Errorf("postgres: claim %s: %w", c.Feed, err)
	}
	now := nanos(c.Now)
	tag, err := db.pool.Exec(ctx, `UPDATE feeds SET lease_owner = $3, lease_until = $4, claimed_at = $5
		WHERE id = (SELECT id FROM feeds WHERE name = $1
			AND (url <> $2 OR (status <> 'disabled' AND next_check <= $5))
			AND lease_until <= $5 AND claimed_at < $6
			FOR UPDATE SKIP LOCKED)`,
		c.Feed, c.URL, c.Owner, now+int64(c.Lease), now, c.SinceNanos())
	if err != nil {
		return false, fmt.Errorf("postgres: claim %s: %w", c.Feed, err)
	}
	return tag.RowsAffected() == 1, nil
}

// RecordPoll records a poll that stored no items (not modified, failed,
// gone) and releases the feed's lease.
func (db *DB) RecordPoll(ctx context.Context, b feedmill.Batch) error {
	err := db.write(ctx, func(tx pgx.Tx) error {
		feedID, err := upsertFeed(ctx, tx, b.Feed, b.URL)
		if err != nil {
			return err
		}
		return recordPoll(ctx, tx, feedID, b, feedmill.IngestResult{})
	})
	if err != nil {
		return fmt.Errorf("postgres: record poll of %s: %w", b.Feed, err)
	}
	return nil
}

// recordPoll writes a feed's state after a poll, releases its lease and
// appends to its log.
func recordPoll(ctx context.Context, tx pgx.Tx, feedID int64, b feedmill.Batch, res feedmill.IngestResult) error {
	at := nanos(b.FetchedAt)
	st := b.State
	status := feedmill.StatusOK
	switch b.Outcome {
	case feedmill.OutcomeFailed:
		status = feedmill.StatusFailing
	case feedmill.OutcomeGone:
		status = feedmill.StatusDisabled
	}
	ok := status == feedmill.StatusOK
	if _, err := tx.Exec(ctx, `UPDATE feeds SET last_fetch = $1, status = $2, last_error = $3, http_status = $4,
		etag = $5, last_modified = $6, body_hash = $7, next_check = $8, failures = $9, failing_since = $10,
		moved_to = $11, rate = $12, lease_owner = '', lease_until = 0,
		last_success = CASE WHEN $13 THEN $1 ELSE last_success END,
		title = CASE WHEN $14 <> '' THEN $14 ELSE title END,
		site_url = CASE WHEN $14 <> '' THEN $15 ELSE site_url END
		WHERE id = $16`,
		at, status, b.Error, b.HTTPStatus, st.ETag, st.LastModified, st.BodyHash, nanos(st.NextCheck),
		st.Failures, nanos(st.FailingSince), st.MovedTo, st.Rate, ok, b.Title, b.SiteURL, feedID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO fetch_log (feed_id, at, outcome, http_status, duration_ms, bytes,
		new_items, updated, seen, error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		feedID, at, b.Outcome, b.HTTPStatus, b.Duration.Milliseconds(), b.Bytes, res.New, res.Updated,
		res.Seen, b.Error); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `DELETE FROM fetch_log WHERE feed_id = $1 AND id <= (
		SELECT id FROM fetch_log WHERE feed_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)`, feedID, fetchLogSize)
	return err
}

// FeedTitles returns the name, URL and title of every feed the database
// knows, by name.
func (db *DB) FeedTitles(ctx context.Context) ([]feedmill.FeedState, error) {
	rows, err := db.pool.Query(ctx, `SELECT name, url, title FROM feeds ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("postgres: feed titles: %w", err)
	}
	defer rows.Close()
	var feeds []feedmill.FeedState
	for rows.Next() {
		var f feedmill.FeedState
		if err := rows.Scan(&f.Name, &f.URL, &f.Title); err != nil {
			return nil, fmt.Errorf("postgres: feed titles: %w", err)
		}
		feeds = append(feeds, f)
	}
	return feeds, rows.Err()
}

// Feeds returns the state of every feed the database knows, by name.
func (db *DB) Feeds(ctx context.Context) ([]feedmill.FeedState, error) {
	now := db.now()
	since := now.Add(-30 * 24 * time.Hour).UnixNano()
	rows, err := db.pool.Query(ctx, `SELECT f.name, f.url, f.title, f.site_url, f.last_fetch, f.last_success,
		f.status, f.last_error, f.http_status, f.next_check, f.failing_since, f.moved_to,
		(SELECT count(*) FROM sources s WHERE s.feed_id = f.id),
		(SELECT count(*) FROM sources s WHERE s.feed_id = f.id AND s.first_seen >= $1),
		(SELECT min(at) FROM fetch_log l WHERE l.feed_id = f.id)
		FROM feeds f ORDER BY f.name`, since)
	if err != nil {
		return nil, fmt.Errorf("postgres: feeds: %w", err)
	}
	defer rows.Close()
	var feeds []feedmill.FeedState
	for rows.Next() {
		var f feedmill.FeedState
		var last, success, next, failing, items, recent int64
		var firstLog *int64
		if err := rows.Scan(&f.Name, &f.URL, &f.Title, &f.SiteURL, &last, &success, &f.Status, &f.LastError,
			&f.HTTPStatus, &next, &failing, &f.MovedTo, &items, &recent, &firstLog); err != nil {
			return nil, fmt.Errorf("postgres: feeds: %w", err)
		}
		f.Items = int(items)
		f.LastFetch, f.LastSuccess = fromNanos(last), fromNanos(success)
		f.NextCheck, f.FailingSince = fromNanos(next), fromNanos(failing)
		start := since
		if firstLog != nil && *firstLog > start {
			start = *firstLog
		}
		f.NewPerDay = float64(recent) / max(now.Sub(time.Unix(0, start)).Hours()/24, 1)
		feeds = append(feeds, f)
	}
	return feeds, rows.Err()
}

// FetchLog returns the most recent fetches of feed, newest first.
func (db *DB) FetchLog(ctx context.Context, feed string, limit int) ([]feedmill.FetchLogEntry, error) {
	if limit <= 0 {
		limit = fetchLogSize
	}
	rows, err := db.pool.Query(ctx, `SELECT l.at, l.outcome, l.http_status, l.duration_ms, l.bytes, l.new_items,
		l.updated, l.seen, l.error FROM fetch_log l JOIN feeds f ON f.id = l.feed_id WHERE f.name = $1
		ORDER BY l.id DESC LIMIT $2`, feed, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: fetch log of %s: %w", feed, err)
	}
	defer rows.Close()
	var out []feedmill.FetchLogEntry
	for rows.Next() {
		var e feedmill.FetchLogEntry
		var at, bytes int64
		if err := rows.Scan(&at, &e.Outcome, &e.HTTPStatus, &e.Duration, &bytes, &e.New, &e.Updated, &e.Seen, &e.Error); err != nil {
			return nil, err
		}
		e.At, e.Bytes = fromNanos(at), int(bytes)
		out = append(out, e)
	}
	return out, rows.Err()
}
