package postgres

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/feedmill/feedmill/storage"
	"github.com/jackc/pgx/v5"
)

// maxTombstoneAge bounds the life of a tombstone whose feed is no longer
// parsed, as in the SQLite backend.
const maxTombstoneAge = 365 * 24 * time.Hour

// Prune deletes the items r allows, a batch per transaction, keeping their
// feeds' keys and link keys as tombstones (as storage.DB.Prune). Several
// daemons may prune at once: each batch re-checks, in its transaction, why
// its items go, and an item already gone is skipped.
func (db *DB) Prune(ctx context.Context, r storage.Retention) (storage.PruneResult, error) {
	res := storage.PruneResult{ByFeed: map[string]int{}}
	if r.BatchSize <= 0 {
		r.BatchSize = storage.DefaultPruneBatch
	}
	if r.KeepKeys <= 0 {
		r.KeepKeys = storage.DefaultKeepKeys
	}
	now := db.now()
	counted, protected := map[int64]bool{}, map[int64]bool{}
	keep := func(ids []int64) []int64 {
		out := ids[:0]
		for _, id := range ids {
			switch {
			case r.Protected[id]:
				if !protected[id] {
					protected[id] = true
					res.Protected++
				}
			case counted[id]:
			default:
				if r.DryRun {
					counted[id] = true
				}
				out = append(out, id)
			}
		}
		return out
	}
	if r.MaxAge > 0 {
		cutoff := nanos(now.Add(-r.MaxAge))
		curP, curID := int64(math.MinInt64), int64(0)
		for {
			ids, lastP, lastID, err := db.expiredChunk(ctx, cutoff, curP, curID, r.BatchSize)
			if err != nil {
				return res, fmt.Errorf("postgres: prune: %w", err)
			}
			if len(ids) == 0 {
				break
			}
			curP, curID = lastP, lastID
			if ids = keep(ids); len(ids) == 0 {
				continue
			}
			n, err := db.deleteBatch(ctx, r, now, &res, ids, `SELECT i.id, f.name FROM items i JOIN feeds f ON f.id = i.feed_id
				WHERE i.id = ANY($1) AND i.published < $2`, ids, cutoff)
			res.Expired += n
			if err != nil {
				return res, fmt.Errorf("postgres: prune: %w", err)
			}
		}
	}
	if r.MaxItemsPerFeed > 0 {
		ids, sources, err := db.overCap(ctx, r.MaxItemsPerFeed)
		if err != nil {
			return res, fmt.Errorf("postgres: prune: %w", err)
		}
		ids = keep(ids)
		for start := 0; start < len(ids); start += r.BatchSize {
			chunk := ids[start:min(start+r.BatchSize, len(ids))]
			counts := make([]int64, len(chunk))
			for i, id := range chunk {
				counts[i] = sources[id]
			}
			// An item that gained a source since the scan stays.
			n, err := db.deleteBatch(ctx, r, now, &res, chunk, `SELECT i.id, f.name FROM unnest($1::bigint[], $2::bigint[]) AS j(id, n)
				JOIN items i ON i.id = j.id JOIN feeds f ON f.id = i.feed_id
				WHERE (SELECT count(*) FROM sources s WHERE s.item_id = i.id) = j.n`, chunk, counts)
			res.OverCap += n
			if err != nil {
				return res, fmt.Errorf("postgres: prune: %w", err)
			}
		}
	}
	if r.DryRun {
		return res, nil
	}
	n, err := db.pruneTombstones(ctx, now, r)
	res.TombstonesPruned = n
	if err != nil {
		return res, fmt.Errorf("postgres: prune tombstones: %w", err)
	}
	// items_pruned was counted by each batch, in its transaction.
	if _, err := db.pool.Exec(ctx, `UPDATE counters SET value = $1 WHERE name = 'last_prune'`, nanos(now)); err != nil {
		return res, fmt.Errorf("postgres: prune: %w", err)
	}
	return res, nil
}

func (db *DB) expiredChunk(ctx context.Context, cutoff, afterP, afterID int64, n int) (ids []int64, lastP, lastID int64, err error) {
	rows, err := db.pool.Query(ctx, `SELECT id, published FROM items
		WHERE published < $1 AND (published > $2 OR (published = $2 AND id > $3))
		ORDER BY published, id LIMIT $4`, cutoff, afterP, afterID, n)
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

// overCap lists the items beyond the newest max of every feed that carried
// them, with their number of sources.
func (db *DB) overCap(ctx context.Context, max int) ([]int64, map[int64]int64, error) {
	rows, err := db.pool.Query(ctx, `SELECT item_id, (SELECT count(*) FROM sources s WHERE s.item_id = r.item_id) FROM (
			SELECT item_id, row_number() OVER (PARTITION BY feed_id ORDER BY published DESC, item_id DESC) AS rank
			FROM (SELECT DISTINCT s.feed_id, s.item_id, i.published FROM sources s JOIN items i ON i.id = s.item_id) d) r
		GROUP BY item_id HAVING min(rank) > $1 ORDER BY item_id`, max)
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

// deleteBatch deletes, in one transaction, the items among ids that pick
// selects, except the newest item, after recording their tombstones, and
// adds them to the items_pruned counter; it returns how many it deleted
// (or would). The rows of ids are locked before pick runs, so pick's
// re-check sees every source committed before the lock, and an ingest
// adding a source after it waits for the commit (and then finds the
// tombstone) rather than losing its row.
func (db *DB) deleteBatch(ctx context.Context, r storage.Retention, now time.Time, res *storage.PruneResult, ids []int64, pick string, args ...any) (int, error) {
	pick = `SELECT id, name FROM (` + pick + `) p WHERE id < (SELECT max(id) FROM items)`
	byFeed := map[string]int{}
	var picked []int64
	var tombstones int64
	err := db.write(ctx, func(tx pgx.Tx) error {
		clear(byFeed)
		if !r.DryRun {
			// Under READ COMMITTED each statement sees what committed
			// before it started: lock first (in id order, so two pruning
			// daemons do not deadlock), then re-check in a new statement.
			if _, err := tx.Exec(ctx, `SELECT id FROM items WHERE id = ANY($1) ORDER BY id FOR UPDATE`, ids); err != nil {
				return err
			}
		}
		var err error
		if picked, err = pickItems(ctx, tx, pick, args, byFeed); err != nil || len(picked) == 0 || r.DryRun {
			return err
		}
		at := nanos(now)
		tag, err := tx.Exec(ctx, `INSERT INTO tombstones (feed_id, key, item_id, deleted_at, seen_at)
			SELECT feed_id, key, item_id, $1, $1 FROM sources WHERE item_id = ANY($2)
			ON CONFLICT (feed_id, key) DO UPDATE SET item_id = excluded.item_id, deleted_at = excluded.deleted_at,
				seen_at = excluded.seen_at`, at, picked)
		if err != nil {
			return err
		}
		tombstones = tag.RowsAffected()
		for _, q := range []string{
			`WITH gone AS (SELECT story_id, count(*) AS n FROM items WHERE id = ANY($1) AND story_id <> 0 GROUP BY story_id)
			UPDATE stories SET members = members - gone.n FROM gone WHERE gone.story_id = stories.id`,
			`DELETE FROM stories WHERE members <= 0 AND id IN (SELECT story_id FROM items WHERE id = ANY($1))`,
			`INSERT INTO link_tombstones (link_key, item_id) SELECT link_key, item_id FROM links WHERE item_id = ANY($1)
				ON CONFLICT (link_key) DO UPDATE SET item_id = excluded.item_id`,
			`DELETE FROM items WHERE id = ANY($1)`,
			`UPDATE counters SET value = value + cardinality($1::bigint[]) WHERE name = 'items_pruned'`,
		} {
			if _, err := tx.Exec(ctx, q, picked); err != nil {
				return err
			}
		}
		return bumpVersion(ctx, tx)
	})
	if err != nil || len(picked) == 0 {
		return 0, err
	}
	for f, c := range byFeed {
		res.ByFeed[f] += c
	}
	if r.DryRun {
		return len(picked), nil
	}
	db.group.forget()
	res.Batches++
	res.Tombstones += int(tombstones)
	return len(picked), nil
}

func pickItems(ctx context.Context, tx pgx.Tx, query string, args []any, byFeed map[string]int) ([]int64, error) {
	rows, err := tx.Query(ctx, query, args...)
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

// pruneTombstones drops, a batch at a time, the tombstones whose item left
// its feed more than r.KeepKeys ago (or that nothing refreshed for
// maxTombstoneAge), then the link keys of items with no tombstone left.
func (db *DB) pruneTombstones(ctx context.Context, now time.Time, r storage.Retention) (int, error) {
	keep := nanos(now.Add(-r.KeepKeys))
	stale := nanos(now.Add(-max(maxTombstoneAge, r.KeepKeys)))
	total := 0
	for _, q := range []struct {
		query string
		args  []any
	}{
		{`DELETE FROM tombstones WHERE (feed_id, key) IN (
			SELECT t.feed_id, t.key FROM tombstones t JOIN feeds f ON f.id = t.feed_id
			WHERE t.seen_at < $1 AND (t.seen_at < f.last_parsed OR t.seen_at < $2) LIMIT $3)`, []any{keep, stale, r.BatchSize}},
		{`DELETE FROM link_tombstones WHERE link_key IN (
			SELECT l.link_key FROM link_tombstones l
			WHERE NOT EXISTS (SELECT 1 FROM tombstones t WHERE t.item_id = l.item_id) LIMIT $1)`, []any{r.BatchSize}},
	} {
		for {
			tag, err := db.pool.Exec(ctx, q.query, q.args...)
			if err != nil {
				return total, err
			}
			total += int(tag.RowsAffected())
			if tag.RowsAffected() < int64(r.BatchSize) {
				break
			}
		}
	}
	return total, nil
}

// PruneStats reads the retention totals.
func (db *DB) PruneStats(ctx context.Context) (storage.PruneStats, error) {
	var s storage.PruneStats
	var last int64
	err := db.pool.QueryRow(ctx, `SELECT
		(SELECT value FROM counters WHERE name = 'items_pruned'),
		(SELECT value FROM counters WHERE name = 'last_prune'),
		(SELECT count(*) FROM tombstones),
		(SELECT count(*) FROM items)`).Scan(&s.ItemsPruned, &last, &s.Tombstones, &s.Items)
	if err != nil {
		return s, fmt.Errorf("postgres: prune stats: %w", err)
	}
	s.LastPrune = fromNanos(last)
	return s, nil
}
