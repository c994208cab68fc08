package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/internal/pgtest"
	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/storage/postgres"
	"github.com/jackc/pgx/v5"
)

// openWith opens a database of the throwaway cluster with n items of feed
// a, published an hour apart in January 2026, and returns it with a plain
// connection to the same database and the items' ids, oldest first.
func openWith(t *testing.T, n int) (*postgres.DB, *pgx.Conn, []int64) {
	t.Helper()
	url := pgtest.URL(t)
	db, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	b := feedmill.Batch{Feed: "a", URL: "http://127.0.0.1/a", FetchedAt: time.Now()}
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		k := fmt.Sprintf("a-%d", i)
		b.Items = append(b.Items, feedmill.Item{Key: "guid:" + k, Link: "http://127.0.0.1/" + k, LinkKey: "key:" + k,
			Title: "item " + k, Hash: "h" + k, Published: day.Add(time.Duration(i) * time.Hour)})
	}
	if _, err := db.Ingest(t.Context(), b); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	var ids []int64
	rows, err := conn.Query(t.Context(), `SELECT id FROM items ORDER BY published`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if rows.Err() != nil || len(ids) != n {
		t.Fatalf("items: %v %v", ids, rows.Err())
	}
	return db, conn, ids
}

// TestPruneCountsEachBatch makes the fourth batch of a prune fail (a
// trigger refuses to delete that item): the prune reports the error, and
// items_pruned counts the three batches that committed, as the items are
// gone.
func TestPruneCountsEachBatch(t *testing.T) {
	db, conn, _ := openWith(t, 6)
	for _, q := range []string{
		`CREATE FUNCTION refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN RAISE EXCEPTION 'test: refusing to delete item %', OLD.id; END $$`,
		`CREATE TRIGGER refuse BEFORE DELETE ON items FOR EACH ROW WHEN (OLD.title = 'item a-3')
			EXECUTE FUNCTION refuse_delete()`,
	} {
		if _, err := conn.Exec(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	res, err := db.Prune(t.Context(), storage.Retention{MaxAge: 24 * time.Hour, BatchSize: 1})
	if err == nil {
		t.Fatalf("prune with an item that cannot be deleted: no error (%+v)", res)
	}
	var left int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM items`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	st, err := db.PruneStats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if left != 3 || st.ItemsPruned != 3 || st.Items != 3 {
		t.Errorf("after a prune failing at its fourth batch: %d items left, stats %+v; want 3 items pruned and 3 left", left, st)
	}
}

// TestPruneRechecksAfterLock adds a source to an over-cap item in a
// transaction that commits only once the prune waits for its lock: the
// prune must see that source and keep the item (under READ COMMITTED, a
// re-check made before the lock would not).
func TestPruneRechecksAfterLock(t *testing.T) {
	db, conn, ids := openWith(t, 3)
	tx, err := conn.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	var feedB int64
	if err := tx.QueryRow(t.Context(), `INSERT INTO feeds (name, url) VALUES ('b', 'http://127.0.0.1/b') RETURNING id`).Scan(&feedB); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(t.Context(), `INSERT INTO sources (feed_id, key, item_id, raw_hash, first_seen) VALUES ($1, 'guid:b-0', $2, 'h', 1)`,
		feedB, ids[0]); err != nil {
		t.Fatal(err)
	}
	type result struct {
		res storage.PruneResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := db.Prune(context.Background(), storage.Retention{MaxItemsPerFeed: 1})
		done <- result{res, err}
	}()
	// Wait until the prune waits for a row lock held by tx.
	other, err := pgx.Connect(t.Context(), conn.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(context.Background())
	for waiting := 0; waiting == 0; {
		select {
		case r := <-done:
			t.Fatalf("prune ended without waiting for the uncommitted source: %+v %v", r.res, r.err)
		case <-time.After(10 * time.Millisecond):
		}
		if err := other.QueryRow(t.Context(), `SELECT count(*) FROM pg_locks WHERE NOT granted`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	var kept []int64
	rows, err := conn.Query(t.Context(), `SELECT id FROM items ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		kept = append(kept, id)
	}
	if want := []int64{ids[0], ids[2]}; fmt.Sprint(kept) != fmt.Sprint(want) || r.res.OverCap != 1 {
		t.Errorf("items left %v, want %v (the over-cap item that gained a source stays); result %+v", kept, want, r.res)
	}
}
