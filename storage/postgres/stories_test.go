package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/internal/pgtest"
	"github.com/feedmill/feedmill/storage/postgres"
	"github.com/feedmill/feedmill/stories"
	"github.com/jackc/pgx/v5"
)

// waitForLockWaiters returns once n sessions wait for a lock.
func waitForLockWaiters(t *testing.T, conn *pgx.Conn, n int) {
	t.Helper()
	for {
		var waiting int
		if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_locks WHERE NOT granted`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting >= n {
			return
		}
		select {
		case <-t.Context().Done():
			t.Fatal("gave up waiting for sessions to wait for a lock")
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestStoriesSeeLateCommits: daemon B stores an item (a lower id) whose
// transaction commits after daemon A indexed its own higher id; A must
// still find B's item at its next catch-up, so the next report of the same
// event joins B's story instead of starting another.
func TestStoriesSeeLateCommits(t *testing.T) {
	url := pgtest.URL(t)
	var daemons [2]*postgres.DB
	for i := range daemons {
		db, err := postgres.Open(t.Context(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		db.SetStories(stories.DefaultConfig())
		daemons[i] = db
	}
	a, b := daemons[0], daemons[1]
	t0 := time.Date(2026, 8, 12, 9, 0, 0, 0, time.UTC)
	item := func(key, title, lead string, published time.Time) feedmill.Item {
		return feedmill.Item{Key: key, Link: "http://127.0.0.1/" + key, LinkKey: "key:" + key, Title: title,
			Content: "<p>" + lead + "</p>", Hash: "h:" + key, Published: published}
	}
	ingest := func(db *postgres.DB, feed string, it feedmill.Item) (feedmill.Item, error) {
		batch := feedmill.Batch{Feed: feed, URL: "http://127.0.0.1/" + feed, FetchedAt: time.Now(), Items: []feedmill.Item{it}}
		_, err := db.Ingest(context.Background(), batch)
		return batch.Items[0], err
	}
	if _, err := ingest(a, "a", item("budget", "French parliament approves budget after long debate",
		"Deputies in Paris voted for next year's budget after weeks of debate over pension spending.", t0)); err != nil {
		t.Fatal(err)
	}

	// Hold the row every ingest updates last, so both transactions stay
	// open with their items inserted: B's first (the lower id), then A's.
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	other, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(context.Background())
	tx, err := conn.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(t.Context(), `SELECT value FROM counters WHERE name = 'items_version' FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	type result struct {
		it  feedmill.Item
		err error
	}
	fromB, fromA := make(chan result, 1), make(chan result, 1)
	go func() {
		it, err := ingest(b, "b", item("quake-b", "Magnitude 7.4 earthquake strikes Cali, Colombia",
			"Rescuers in Cali search collapsed buildings after a magnitude 7.4 earthquake struck western Colombia on Monday night, President de La Espriella said.", t0.Add(time.Hour)))
		fromB <- result{it, err}
	}()
	waitForLockWaiters(t, other, 1)
	go func() {
		it, err := ingest(a, "a", item("eclipse", "Total solar eclipse darkens Iceland and Spain",
			"Crowds in Reykjavik and Madrid watched the sky turn dark at midday as the moon covered the sun.", t0.Add(2*time.Hour)))
		fromA <- result{it, err}
	}()
	waitForLockWaiters(t, other, 2)
	if err := tx.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
	rb, ra := <-fromB, <-fromA
	if rb.err != nil || ra.err != nil {
		t.Fatalf("ingests: %v, %v", rb.err, ra.err)
	}
	if rb.it.ID >= ra.it.ID {
		t.Fatalf("B's item has id %d, A's %d: the test needs B's lower", rb.it.ID, ra.it.ID)
	}

	late, err := ingest(a, "a", item("quake-a", "Colombia earthquake: rescuers search rubble in Cali",
		"A powerful earthquake hit Cali in western Colombia, collapsing buildings; President de La Espriella promised an emergency fund as rescuers dug through rubble.", t0.Add(3*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	storyOf := func(id int64) int64 {
		t.Helper()
		var story int64
		if err := conn.QueryRow(t.Context(), `SELECT story_id FROM items WHERE id = $1`, id).Scan(&story); err != nil {
			t.Fatal(err)
		}
		return story
	}
	if sl, sb := storyOf(late.ID), storyOf(rb.it.ID); sl != sb || sl == 0 {
		t.Errorf("A's report of the quake is in story %d, B's (committed after A's higher id) in %d: want one story", sl, sb)
	}
}
