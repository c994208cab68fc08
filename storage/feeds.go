package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/feedmill/feedmill"
)

// fetchLogSize is how many fetches the log keeps per feed.
const fetchLogSize = 200

// FetchState returns what the last poll of feed left for the next one; the
// zero value for a feed never fetched. When the feed's configured URL is no
// longer the one stored, the operator changed it: what was learnt about the
// old address (validators, a move, a 410) no longer applies.
func (db *DB) FetchState(ctx context.Context, feed, url string) (feedmill.FetchState, error) {
	var st feedmill.FetchState
	var next, since, success int64
	var status, storedURL string
	err := db.r.QueryRowContext(ctx, `SELECT url, etag, last_modified, body_hash, next_check, failures, failing_since,
		moved_to, status, last_success, rate FROM feeds WHERE name = ?`, feed).
		Scan(&storedURL, &st.ETag, &st.LastModified, &st.BodyHash, &next, &st.Failures, &since, &st.MovedTo, &status,
			&success, &st.Rate)
	if errors.Is(err, sql.ErrNoRows) {
		return feedmill.FetchState{Rate: -1}, nil
	}
	if err != nil {
		return st, fmt.Errorf("storage: fetch state of %s: %w", feed, err)
	}
	if storedURL != url {
		return feedmill.FetchState{Rate: -1}, nil
	}
	st.NextCheck, st.FailingSince, st.LastSuccess = fromNanos(next), fromNanos(since), fromNanos(success)
	st.Disabled = status == feedmill.StatusDisabled
	return st, nil
}

// RecordPoll records a poll that stored no items: the server answered 304
// or sent the same document (Outcome not_modified), or the poll failed
// (failed, gone). Items and the feed's title are left as they are.
func (db *DB) RecordPoll(ctx context.Context, b feedmill.Batch) error {
	err := db.write(ctx, func(tx *wtx) error {
		feedID, err := upsertFeed(ctx, tx, b.Feed, b.URL)
		if err != nil {
			return err
		}
		return recordPoll(ctx, tx, feedID, b, feedmill.IngestResult{})
	})
	if err != nil {
		return fmt.Errorf("storage: record poll of %s: %w", b.Feed, err)
	}
	return nil
}

// recordPoll writes a feed's state after a poll, releases its lease and
// appends to its log.
func recordPoll(ctx context.Context, tx *wtx, feedID int64, b feedmill.Batch, res feedmill.IngestResult) error {
	at := nanos(b.FetchedAt)
	st := b.State
	status := feedmill.StatusOK
	switch b.Outcome {
	case feedmill.OutcomeFailed:
		status = feedmill.StatusFailing
	case feedmill.OutcomeGone:
		status = feedmill.StatusDisabled
	}
	q := `UPDATE feeds SET last_fetch = ?, status = ?, last_error = ?, http_status = ?, etag = ?, last_modified = ?,
		body_hash = ?, next_check = ?, failures = ?, failing_since = ?, moved_to = ?, rate = ?,
		lease_owner = '', lease_until = 0`
	args := []any{at, status, b.Error, b.HTTPStatus, st.ETag, st.LastModified, st.BodyHash, nanos(st.NextCheck),
		st.Failures, nanos(st.FailingSince), st.MovedTo, st.Rate}
	if status == feedmill.StatusOK {
		q += `, last_success = ?`
		args = append(args, at)
	}
	if b.Title != "" {
		q += `, title = ?, site_url = ?`
		args = append(args, b.Title, b.SiteURL)
	}
	q += ` WHERE id = ?`
	if _, err := tx.ExecContext(ctx, q, append(args, feedID)...); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO fetch_log (feed_id, at, outcome, http_status, duration_ms, bytes,
		new_items, updated, seen, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		feedID, at, b.Outcome, b.HTTPStatus, b.Duration.Milliseconds(), b.Bytes, res.New, res.Updated,
		res.Seen, b.Error); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM fetch_log WHERE feed_id = ? AND id <= (
		SELECT id FROM fetch_log WHERE feed_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`, feedID, feedID, fetchLogSize)
	return err
}

// FeedTitles returns the name, URL and title of every feed the database
// knows, by name: what outputs need to name sources, without the counts
// Feeds computes.
func (db *DB) FeedTitles(ctx context.Context) ([]feedmill.FeedState, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT name, url, title FROM feeds ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("storage: feed titles: %w", err)
	}
	defer rows.Close()
	var feeds []feedmill.FeedState
	for rows.Next() {
		var f feedmill.FeedState
		if err := rows.Scan(&f.Name, &f.URL, &f.Title); err != nil {
			return nil, fmt.Errorf("storage: feed titles: %w", err)
		}
		feeds = append(feeds, f)
	}
	return feeds, rows.Err()
}

// Feeds returns the state of every feed the database knows, by name.
func (db *DB) Feeds(ctx context.Context) ([]feedmill.FeedState, error) {
	since := db.now().Add(-30 * 24 * time.Hour).UnixNano()
	rows, err := db.r.QueryContext(ctx, `SELECT f.name, f.url, f.title, f.site_url, f.last_fetch, f.last_success,
		f.status, f.last_error, f.http_status, f.next_check, f.failing_since, f.moved_to,
		(SELECT count(*) FROM sources s WHERE s.feed_id = f.id),
		(SELECT count(*) FROM sources s WHERE s.feed_id = f.id AND s.first_seen >= ?),
		(SELECT min(at) FROM fetch_log l WHERE l.feed_id = f.id)
		FROM feeds f ORDER BY f.name`, since)
	if err != nil {
		return nil, fmt.Errorf("storage: feeds: %w", err)
	}
	defer rows.Close()
	var feeds []feedmill.FeedState
	for rows.Next() {
		var f feedmill.FeedState
		var last, success, next, failing int64
		var recent int
		var firstLog sql.NullInt64
		if err := rows.Scan(&f.Name, &f.URL, &f.Title, &f.SiteURL, &last, &success, &f.Status, &f.LastError,
			&f.HTTPStatus, &next, &failing, &f.MovedTo, &f.Items, &recent, &firstLog); err != nil {
			return nil, fmt.Errorf("storage: feeds: %w", err)
		}
		f.LastFetch, f.LastSuccess = fromNanos(last), fromNanos(success)
		f.NextCheck, f.FailingSince = fromNanos(next), fromNanos(failing)
		f.NewPerDay = perDay(recent, since, firstLog, db.now())
		feeds = append(feeds, f)
	}
	return feeds, rows.Err()
}

// perDay averages n new items over the 30-day window, or over the time
// since the feed was first fetched when that is shorter (at least a day).
func perDay(n int, since int64, first sql.NullInt64, now time.Time) float64 {
	start := since
	if first.Valid && first.Int64 > start {
		start = first.Int64
	}
	days := max(now.Sub(time.Unix(0, start)).Hours()/24, 1)
	return float64(n) / days
}

// FetchLog returns the most recent fetches of feed, newest first.
func (db *DB) FetchLog(ctx context.Context, feed string, limit int) ([]feedmill.FetchLogEntry, error) {
	if limit <= 0 {
		limit = fetchLogSize
	}
	rows, err := db.r.QueryContext(ctx, `SELECT l.at, l.outcome, l.http_status, l.duration_ms, l.bytes, l.new_items,
		l.updated, l.seen, l.error FROM fetch_log l JOIN feeds f ON f.id = l.feed_id WHERE f.name = ?
		ORDER BY l.id DESC LIMIT ?`, feed, limit)
	if err != nil {
		return nil, fmt.Errorf("storage: fetch log of %s: %w", feed, err)
	}
	defer rows.Close()
	var out []feedmill.FetchLogEntry
	for rows.Next() {
		var e feedmill.FetchLogEntry
		var at int64
		if err := rows.Scan(&at, &e.Outcome, &e.HTTPStatus, &e.Duration, &e.Bytes, &e.New, &e.Updated, &e.Seen, &e.Error); err != nil {
			return nil, err
		}
		e.At = fromNanos(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
