package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/storage/backend"
)

// testRetention: old items and those over a feed's cap go, with their
// keys kept as tombstones so the next poll does not store them again
// (from the same feed or under the same link from another); protected
// items and the newest item stay; a dry run changes nothing.
func testRetention(t *testing.T, newDB func(*testing.T) (backend.Store, string)) {
	ctx := t.Context()
	db, _ := newDB(t)
	now := time.Now().UTC()
	var old, fresh []feedmill.Item
	for i := range 6 {
		it := item(fmt.Sprintf("guid:old%d", i), fmt.Sprintf("https://x/old%d", i), fmt.Sprintf("old %d", i), "t")
		it.Published = now.Add(-time.Duration(48+i) * time.Hour)
		old = append(old, it)
		it = item(fmt.Sprintf("guid:new%d", i), fmt.Sprintf("https://x/new%d", i), fmt.Sprintf("new %d", i))
		it.Published = now.Add(-time.Duration(i) * time.Minute)
		fresh = append(fresh, it)
	}
	b := feedmill.Batch{Feed: "a", URL: "http://a/", FetchedAt: now, Items: append(append([]feedmill.Item{}, old...), fresh...)}
	ingest(t, db, b)
	protected := b.Items[0].ID // old0
	v0, _ := db.ItemsVersion(ctx)

	dry, err := db.Prune(ctx, storage.Retention{MaxAge: 24 * time.Hour, DryRun: true, Protected: map[int64]bool{protected: true}})
	if err != nil || dry.Expired != 5 || dry.Protected != 1 || dry.ByFeed["a"] != 5 {
		t.Fatalf("dry run: %+v, %v", dry, err)
	}
	if items, _ := db.Items(ctx, feedmill.ItemQuery{}); len(items) != 12 {
		t.Fatalf("a dry run deleted: %d items left", len(items))
	}
	res, err := db.Prune(ctx, storage.Retention{MaxAge: 24 * time.Hour, BatchSize: 2, Protected: map[int64]bool{protected: true}})
	if err != nil || res.Expired != 5 || res.Tombstones != 5 || res.Batches != 3 || res.Deleted() != 5 {
		t.Fatalf("prune: %+v, %v", res, err)
	}
	if v, _ := db.ItemsVersion(ctx); v <= v0 {
		t.Error("prune did not bump the items version")
	}
	items, _ := db.Items(ctx, feedmill.ItemQuery{})
	if len(items) != 7 || titles(items[6:]) != "old 0" {
		t.Errorf("after prune: %q", titles(items))
	}
	// The next poll of the same document: deleted keys are known as such.
	keys := []string{"guid:old1", "guid:new1"}
	known, err := db.KnownHashes(ctx, "a", keys)
	if err != nil || known["guid:old1"] != feedmill.DeletedHash || known["guid:new1"] != "h:new 1" {
		t.Errorf("KnownHashes after prune: %v, %v", known, err)
	}
	// Stored again anyway (a caller that does not skip them): seen, not new.
	again := ingest(t, db, feedmill.Batch{Feed: "a", URL: "http://a/", FetchedAt: now, Items: old[1:3], Deleted: []string{"guid:old1"}})
	// Another feed with a deleted article's link: not stored either.
	other := ingest(t, db, feedmill.Batch{Feed: "b", URL: "http://b/", FetchedAt: now,
		Items: []feedmill.Item{item("guid:b-old3", "https://x/old3", "old 3 from b")}})
	if again.New != 0 || again.Seen != 2 || other.New != 0 || other.Seen != 1 {
		t.Errorf("deleted items came back: %+v, %+v", again, other)
	}
	if items, _ := db.Items(ctx, feedmill.ItemQuery{}); len(items) != 7 {
		t.Errorf("%d items after polls of deleted items, want 7", len(items))
	}
	if err := db.Verify(ctx); err != nil {
		t.Error(err)
	}
	// Over the cap of 3 per feed: the oldest of a's new items go, but the
	// protected one stays, and so does the newest item (new 5, the highest
	// id, so that no backend ever gives its id again).
	res, err = db.Prune(ctx, storage.Retention{MaxItemsPerFeed: 3, Protected: map[int64]bool{protected: true}})
	if err != nil || res.OverCap != 2 || res.Protected != 1 {
		t.Errorf("cap: %+v, %v", res, err)
	}
	items, _ = db.Items(ctx, feedmill.ItemQuery{})
	if got := titles(items); got != "new 0 new 1 new 2 new 5 old 0" {
		t.Errorf("after the cap: %q", got)
	}
	st, err := db.PruneStats(ctx)
	if err != nil || st.ItemsPruned != 7 || st.Items != 5 || st.Tombstones < 7 || st.LastPrune.IsZero() {
		t.Errorf("PruneStats = %+v, %v", st, err)
	}
}

// testReadersAndGauges: reader counts round-trip, an older count never
// replaces a newer one; the gauges answer.
func testReadersAndGauges(t *testing.T, newDB func(*testing.T) (backend.Store, string)) {
	ctx := t.Context()
	db, _ := newDB(t)
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c := feedmill.ReaderCount{Output: "all", Service: "Feedly", FeedID: "fmt:atom", Subscribers: 10, Seen: at}
	older := c
	older.Subscribers, older.Seen = 3, at.Add(-time.Hour)
	if err := db.SaveReaders(ctx, []feedmill.ReaderCount{c}); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveReaders(ctx, []feedmill.ReaderCount{older}); err != nil {
		t.Fatal(err)
	}
	got, err := db.LoadReaders(ctx, at.Add(-24*time.Hour))
	if err != nil || len(got) != 1 || got[0] != c {
		t.Errorf("LoadReaders = %+v, %v; want %+v", got, err, c)
	}
	if got, _ := db.LoadReaders(ctx, at.Add(time.Minute)); len(got) != 0 {
		t.Errorf("LoadReaders after the last sighting = %+v", got)
	}
	ingest(t, db, feedmill.Batch{Feed: "a", URL: "http://a/", FetchedAt: at, Items: []feedmill.Item{item("guid:1", "https://x/1", "one")}})
	if m, err := db.LastSuccesses(ctx); err != nil || !m["a"].Equal(at) || len(m) != 1 {
		t.Errorf("LastSuccesses = %v, %v", m, err)
	}
	if n, err := db.Size(ctx); err != nil || n <= 0 {
		t.Errorf("Size = %d, %v", n, err)
	}
}
