package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// Retention says what Prune deletes. The zero value deletes no item and
// only prunes tombstones.
type Retention struct {
	// MaxAge deletes the items published longer ago than it; zero: none.
	MaxAge time.Duration
	// MaxItemsPerFeed keeps, of the items each feed carried, its newest
	// ones: an item goes when it is beyond that many in every feed that
	// carried it. Zero: no cap.
	MaxItemsPerFeed int
	// KeepKeys is how long the tombstone of a deleted item (its feeds'
	// keys and its link keys) stays after the last poll whose document
	// still carried it; DefaultKeepKeys when zero.
	KeepKeys time.Duration
	// Protected are items that stay whatever their age and rank: those in
	// an output's current page.
	Protected map[int64]bool
	// BatchSize is how many items one transaction deletes, so the writer
	// is never held long; DefaultPruneBatch when zero.
	BatchSize int
	// DryRun counts what would be deleted and changes nothing.
	DryRun bool
}

// DefaultKeepKeys is how long tombstones outlive the last sight of their
// item in its feed, by default.
const DefaultKeepKeys = 30 * 24 * time.Hour

// DefaultPruneBatch is the number of items deleted per transaction.
const DefaultPruneBatch = 500

// maxTombstoneAge bounds the life of a tombstone whose feed is no longer
// parsed (removed from the configuration, failing, or never changing).
const maxTombstoneAge = 365 * 24 * time.Hour

// batchPause is the pause between two delete transactions: it lets
// another process waiting on the database lock (a `feedmill fetch`, the
// daemon) in, since SQLite's busy handler only retries now and then.
const batchPause = 10 * time.Millisecond

// PruneResult counts what Prune did, or would do in a dry run.
type PruneResult struct {
	// Expired items were older than MaxAge.
	Expired int
	// OverCap items were beyond MaxItemsPerFeed in every feed carrying them.
	OverCap int
	// Protected items would have gone but are in an output's window.
	Protected int
	// ByFeed counts the deleted items by the feed that first carried them.
	ByFeed map[string]int
	// Tombstones is the number of feed keys of deleted items now kept.
	Tombstones int
	// TombstonesPruned counts the tombstones (feed keys and link keys)
	// dropped because their item left its feeds KeepKeys ago.
	TombstonesPruned int
	// Batches is the number of delete transactions.
	Batches int
}

// Deleted is the number of items deleted.
func (r PruneResult) Deleted() int { return r.Expired + r.OverCap }

// Prune deletes the items r allows, a batch per transaction: old ones
// first, then those over the per-feed cap, each with what hangs off it
// (sources, links, topics). The keys under which their feeds carried them
// and their link keys are kept as tombstones, so the next poll does not
// store them again as new; tombstones go KeepKeys after their item left
// every feed that carried it. The item with the highest id is never
// deleted, so SQLite never gives its id to a new item: entry ids in
// outputs stay unique. Cancelling ctx stops between batches; what was
// committed stays.
func (db *DB) Prune(ctx context.Context, r Retention) (PruneResult, error) {
	res := PruneResult{ByFeed: map[string]int{}}
	if r.BatchSize <= 0 {
		r.BatchSize = DefaultPruneBatch
	}
	if r.KeepKeys <= 0 {
		r.KeepKeys = DefaultKeepKeys
	}
	now := db.now()
	seen := &pruneRun{counted: map[int64]bool{}, protected: map[int64]bool{}}
	if r.MaxAge > 0 {
		cutoff := nanos(now.Add(-r.MaxAge))
		curP, curID := int64(math.MinInt64), int64(0)
		for {
			ids, lastP, lastID, err := db.expiredChunk(ctx, cutoff, curP, curID, r.BatchSize)
			if err != nil {
				return res, fmt.Errorf("storage: prune: %w", err)
			}
			if len(ids) == 0 {
				break
			}
			curP, curID = lastP, lastID
			if ids = seen.keep(r, ids, &res); len(ids) == 0 {
				continue
			}
			list, err := json.Marshal(ids)
			if err != nil {
				return res, err
			}
			n, err := db.deleteBatch(ctx, r, now, &res, `SELECT i.id, f.name FROM items i JOIN feeds f ON f.id = i.feed_id
				WHERE i.id IN (SELECT value FROM json_each(?)) AND i.published < ?`, string(list), cutoff)
			res.Expired += n
			if err != nil {
				return res, fmt.Errorf("storage: prune: %w", err)
			}
		}
	}
	if r.MaxItemsPerFeed > 0 {
		ids, sources, err := db.overCap(ctx, r.MaxItemsPerFeed)
		if err != nil {
			return res, fmt.Errorf("storage: prune: %w", err)
		}
		ids = seen.keep(r, ids, &res)
		for start := 0; start < len(ids); start += r.BatchSize {
			chunk := ids[start:min(start+r.BatchSize, len(ids))]
			pairs := make([][2]int64, len(chunk))
			for i, id := range chunk {
				pairs[i] = [2]int64{id, sources[id]}
			}
			list, err := json.Marshal(pairs)
			if err != nil {
				return res, err
			}
			// An item that gained a source since the scan (a feed carries
			// it anew, or another item merged into it) stays.
			n, err := db.deleteBatch(ctx, r, now, &res, `SELECT i.id, f.name FROM json_each(?) j
				JOIN items i ON i.id = j.value ->> 0 JOIN feeds f ON f.id = i.feed_id
				WHERE (SELECT count(*) FROM sources s WHERE s.item_id = i.id) = j.value ->> 1`, string(list))
			res.OverCap += n
			if err != nil {
				return res, fmt.Errorf("storage: prune: %w", err)
			}
		}
	}
	if r.DryRun {
		return res, nil
	}
	n, err := db.pruneTombstones(ctx, now, r)
	res.TombstonesPruned = n
	if err != nil {
		return res, fmt.Errorf("storage: prune tombstones: %w", err)
	}
	err = db.write(ctx, func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `UPDATE counters SET value = ? WHERE name = 'last_prune'`, nanos(now))
		return err
	})
	if err != nil {
		return res, fmt.Errorf("storage: prune: %w", err)
	}
	return res, nil
}

// pruneRun remembers the items a run has met, to count each once.
type pruneRun struct {
	// counted are the items a dry run counted (and did not delete).
	counted map[int64]bool
	// protected are the protected items met.
	protected map[int64]bool
}

// keep drops from ids the protected items (counting them) and, in a dry
// run, those already counted.
func (p *pruneRun) keep(r Retention, ids []int64, res *PruneResult) []int64 {
	out := ids[:0]
	for _, id := range ids {
		switch {
		case r.Protected[id]:
			if !p.protected[id] {
				p.protected[id] = true
				res.Protected++
			}
		case p.counted[id]:
		default:
			if r.DryRun {
				p.counted[id] = true
			}
			out = append(out, id)
		}
	}
	return out
}

// expiredChunk reads up to n items published before cutoff, oldest first,
// after the cursor (published, id); it also returns the new cursor.
func (db *DB) expiredChunk(ctx context.Context, cutoff, afterP, afterID int64, n int) (ids []int64, lastP, lastID int64, err error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, published FROM items
		WHERE published < ? AND (published > ? OR (published = ? AND id > ?))
		ORDER BY published, id LIMIT ?`, cutoff, afterP, afterP, afterID, n)
	if err != nil {
		return nil, 0, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(&lastID, &lastP); err != nil {
			return nil, 0, 0, err
		}
		ids = append(ids, lastID)
	}
	return ids, lastP, lastID, rows.Err()
}

// overCap lists, from one snapshot, the items beyond the newest max of
// every feed that carried them, with their number of sources.
func (db *DB) overCap(ctx context.Context, max int) ([]int64, map[int64]int64, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT item_id, (SELECT count(*) FROM sources s WHERE s.item_id = r.item_id) FROM (
			SELECT item_id, row_number() OVER (PARTITION BY feed_id ORDER BY published DESC, item_id DESC) AS rank
			FROM (SELECT DISTINCT s.feed_id, s.item_id, i.published FROM sources s JOIN items i ON i.id = s.item_id)) r
		GROUP BY item_id HAVING min(rank) > ? ORDER BY item_id`, max)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var ids []int64
	sources := map[int64]int64{}
	for rows.Next() {
		var id, n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, nil, err
		}
		ids = append(ids, id)
		sources[id] = n
	}
	return ids, sources, rows.Err()
}

// deleteBatch deletes, in one transaction, the items that pick selects
// (a query of item ids and their first feed's name, run in the
// transaction so that it re-checks why they go), except the newest item,
// after recording their tombstones. It returns how many it deleted (or
// would, in a dry run).
func (db *DB) deleteBatch(ctx context.Context, r Retention, now time.Time, res *PruneResult, pick string, args ...any) (int, error) {
	pick = `SELECT id, name FROM (` + pick + `) WHERE id < (SELECT max(id) FROM items)`
	if r.DryRun {
		tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			return 0, err
		}
		defer tx.Rollback()
		picked, err := pickItems(ctx, tx, pick, args, res.ByFeed)
		return len(picked), err
	}
	if res.Batches > 0 {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(batchPause):
		}
	}
	byFeed := map[string]int{}
	var picked []int64
	var tombstones int64
	err := db.write(ctx, func(tx *wtx) error {
		var err error
		picked, err = pickItems(ctx, tx.Tx, pick, args, byFeed)
		if err != nil || len(picked) == 0 {
			return err
		}
		list, err := json.Marshal(picked)
		if err != nil {
			return err
		}
		at := nanos(now)
		tomb, err := tx.ExecContext(ctx, `INSERT INTO tombstones (feed_id, key, item_id, deleted_at, seen_at)
			SELECT feed_id, key, item_id, ?, ? FROM sources WHERE item_id IN (SELECT value FROM json_each(?)) AND true
			ON CONFLICT (feed_id, key) DO UPDATE SET item_id = excluded.item_id, deleted_at = excluded.deleted_at,
				seen_at = excluded.seen_at`, at, at, string(list))
		if err != nil {
			return err
		}
		if tombstones, err = tomb.RowsAffected(); err != nil {
			return err
		}
		for _, q := range []string{
			// Their stories lose them as members; a story left empty goes.
			`WITH gone AS (SELECT story_id, count(*) AS n FROM items
				WHERE id IN (SELECT value FROM json_each(?1)) AND story_id <> 0 GROUP BY story_id)
			UPDATE stories SET members = members - (SELECT n FROM gone WHERE gone.story_id = stories.id)
			WHERE id IN (SELECT story_id FROM gone)`,
			`DELETE FROM stories WHERE members <= 0 AND id IN (SELECT story_id FROM items WHERE id IN (SELECT value FROM json_each(?1)))`,
			`INSERT INTO link_tombstones (link_key, item_id)
				SELECT link_key, item_id FROM links WHERE item_id IN (SELECT value FROM json_each(?)) AND true
				ON CONFLICT (link_key) DO UPDATE SET item_id = excluded.item_id`,
			// Sources, links and topics go with their item (ON DELETE CASCADE).
			`DELETE FROM items WHERE id IN (SELECT value FROM json_each(?))`,
		} {
			if _, err := tx.ExecContext(ctx, q, string(list)); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE counters SET value = value + CASE name WHEN 'items_version' THEN 1 ELSE ? END
			WHERE name IN ('items_version', 'items_pruned')`, len(picked)); err != nil {
			return err
		}
		if db.pruneHook != nil {
			db.pruneHook("in batch")
		}
		return nil
	})
	if err != nil || len(picked) == 0 {
		return 0, err
	}
	db.group.forget()
	res.Batches++
	res.Tombstones += int(tombstones)
	for f, c := range byFeed {
		res.ByFeed[f] += c
	}
	if db.pruneHook != nil {
		db.pruneHook("after batch")
	}
	return len(picked), nil
}

// pickItems runs the re-check query of a batch and returns the ids that
// pass, counting them by feed in byFeed.
func pickItems(ctx context.Context, tx *sql.Tx, query string, args []any, byFeed map[string]int) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		var feed string
		if err := rows.Scan(&id, &feed); err != nil {
			return nil, err
		}
		ids = append(ids, id)
		byFeed[feed]++
	}
	return ids, rows.Err()
}

// pruneTombstones drops, a batch at a time, the tombstones whose item was
// last seen in its feed more than r.KeepKeys ago and has left the feed
// since (a later parse of its document did not carry it), or that nothing
// refreshed for maxTombstoneAge; then the link keys of items that have no
// tombstone left.
func (db *DB) pruneTombstones(ctx context.Context, now time.Time, r Retention) (int, error) {
	keep := nanos(now.Add(-r.KeepKeys))
	stale := nanos(now.Add(-max(maxTombstoneAge, r.KeepKeys)))
	total := 0
	for _, q := range []struct {
		query string
		args  []any
	}{
		{`DELETE FROM tombstones WHERE (feed_id, key) IN (
			SELECT t.feed_id, t.key FROM tombstones t JOIN feeds f ON f.id = t.feed_id
			WHERE t.seen_at < ? AND (t.seen_at < f.last_parsed OR t.seen_at < ?) LIMIT ?)`, []any{keep, stale, r.BatchSize}},
		{`DELETE FROM link_tombstones WHERE link_key IN (
			SELECT l.link_key FROM link_tombstones l
			WHERE NOT EXISTS (SELECT 1 FROM tombstones t WHERE t.item_id = l.item_id) LIMIT ?)`, []any{r.BatchSize}},
	} {
		for {
			var n int64
			err := db.write(ctx, func(tx *wtx) error {
				res, err := tx.ExecContext(ctx, q.query, q.args...)
				if err != nil {
					return err
				}
				n, err = res.RowsAffected()
				return err
			})
			if err != nil {
				return total, err
			}
			total += int(n)
			if n < int64(r.BatchSize) {
				break
			}
		}
	}
	return total, nil
}

// PruneStats is what retention did over the database's life, for metrics.
type PruneStats struct {
	// ItemsPruned counts the items retention deleted, by every process.
	ItemsPruned int64
	// LastPrune is when retention last ran (zero: never).
	LastPrune time.Time
	// Tombstones is the number of feed keys of deleted items kept now.
	Tombstones int64
	// Items is the number of items stored now.
	Items int64
}

// PruneStats reads the retention totals.
func (db *DB) PruneStats(ctx context.Context) (PruneStats, error) {
	var s PruneStats
	var last int64
	err := db.r.QueryRowContext(ctx, `SELECT
		(SELECT value FROM counters WHERE name = 'items_pruned'),
		(SELECT value FROM counters WHERE name = 'last_prune'),
		(SELECT count(*) FROM tombstones),
		(SELECT count(*) FROM items)`).Scan(&s.ItemsPruned, &last, &s.Tombstones, &s.Items)
	if err != nil {
		return s, fmt.Errorf("storage: prune stats: %w", err)
	}
	s.LastPrune = fromNanos(last)
	return s, nil
}
