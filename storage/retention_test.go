package storage

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/stories"
)

// pruneNow is the clock of the retention tests.
var pruneNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// aged is an item of feed key k published age before pruneNow, with a link
// and a topic, so that every table hanging off items has a row for it.
func aged(k string, age time.Duration) feedmill.Item {
	link := "https://news.example/" + k
	return feedmill.Item{Key: "guid:" + k, Link: link, LinkKey: "key:" + link, Title: "story " + k,
		Content: "<p>" + k + "</p>", Hash: "h:" + k, Topics: []string{"news"}, Published: pruneNow.Add(-age)}
}

func ingest(t *testing.T, db *DB, feed string, items ...feedmill.Item) feedmill.IngestResult {
	t.Helper()
	res, err := db.Ingest(t.Context(), feedmill.Batch{Feed: feed, URL: "http://" + feed + ".example/feed",
		FetchedAt: pruneNow.Add(-time.Hour), Items: items})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// storedKeys returns the guids of the stored items, sorted.
func storedKeys(t *testing.T, db *DB) []string {
	t.Helper()
	items, err := db.Items(t.Context(), feedmill.ItemQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, it := range items {
		keys = append(keys, it.GUID)
	}
	slices.Sort(keys)
	return keys
}

// ids maps the guids of the stored items to their ids.
func ids(t *testing.T, db *DB) map[string]int64 {
	t.Helper()
	items, err := db.Items(t.Context(), feedmill.ItemQuery{})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]int64{}
	for _, it := range items {
		m[it.GUID] = it.ID
	}
	return m
}

// orphans counts the rows of the tables that hang off items whose item is
// gone: there must be none after a prune.
func orphans(t *testing.T, db *DB) int {
	t.Helper()
	var n int
	err := db.r.QueryRowContext(t.Context(), `SELECT
		(SELECT count(*) FROM sources WHERE item_id NOT IN (SELECT id FROM items)) +
		(SELECT count(*) FROM links WHERE item_id NOT IN (SELECT id FROM items)) +
		(SELECT count(*) FROM item_topics WHERE item_id NOT IN (SELECT id FROM items))`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPrune(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name      string
		ingest    map[string][]feedmill.Item // feed → items, ingested in sorted feed order
		retention Retention
		protect   []string // guids in an output's window
		want      []string // guids left
		result    PruneResult
	}{
		{
			name: "old items go, recent and protected ones stay",
			ingest: map[string][]feedmill.Item{"a": {aged("old1", 200*day), aged("old2", 100*day), aged("old3", 95*day),
				aged("new1", 10*day), aged("new2", day)}},
			retention: Retention{MaxAge: 90 * day},
			protect:   []string{"old3"},
			want:      []string{"new1", "new2", "old3"},
			result:    PruneResult{Expired: 2, Protected: 1, ByFeed: map[string]int{"a": 2}, Tombstones: 2, Batches: 1},
		},
		{
			name: "per-feed cap keeps each feed's newest, and items another feed still counts",
			ingest: map[string][]feedmill.Item{
				"a": {aged("a1", 6*day), aged("a2", 5*day), aged("shared", 4*day), aged("a4", 3*day), aged("a5", 2*day), aged("a6", day)},
				"b": {aged("b1", 9*day), aged("shared", 4*day)},
			},
			retention: Retention{MaxItemsPerFeed: 3},
			// "shared" is a's 4th newest but b's newest; b1 is b's 2nd.
			want:   []string{"a4", "a5", "a6", "b1", "shared"},
			result: PruneResult{OverCap: 2, ByFeed: map[string]int{"a": 2}, Tombstones: 2, Batches: 1},
		},
		{
			name: "age and cap together, in small batches",
			ingest: map[string][]feedmill.Item{"a": {aged("x1", 300*day), aged("x2", 200*day), aged("x3", 50*day),
				aged("x4", 40*day), aged("x5", 30*day), aged("x6", 20*day), aged("x7", 10*day)}},
			retention: Retention{MaxAge: 100 * day, MaxItemsPerFeed: 2, BatchSize: 2},
			want:      []string{"x6", "x7"},
			result:    PruneResult{Expired: 2, OverCap: 3, ByFeed: map[string]int{"a": 5}, Tombstones: 5, Batches: 3},
		},
		{
			name:      "the newest item is never deleted, so its id is never reused",
			ingest:    map[string][]feedmill.Item{"a": {aged("recent", day), aged("ancient", 400*day)}},
			retention: Retention{MaxAge: 90 * day},
			want:      []string{"ancient", "recent"},
			result:    PruneResult{ByFeed: map[string]int{}},
		},
		{
			name:      "no retention deletes nothing",
			ingest:    map[string][]feedmill.Item{"a": {aged("old", 999*day), aged("new", day)}},
			retention: Retention{},
			want:      []string{"new", "old"},
			result:    PruneResult{ByFeed: map[string]int{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openTest(t)
			db.now = func() time.Time { return pruneNow }
			for _, feed := range slices.Sorted(maps.Keys(tt.ingest)) {
				ingest(t, db, feed, tt.ingest[feed]...)
			}
			before := ids(t, db)
			r := tt.retention
			r.Protected = map[int64]bool{}
			for _, g := range tt.protect {
				r.Protected[before[g]] = true
			}

			dry := r
			dry.DryRun = true
			got, err := db.Prune(t.Context(), dry)
			if err != nil {
				t.Fatal(err)
			}
			if got.Deleted() != tt.result.Deleted() || got.Protected != tt.result.Protected {
				t.Errorf("dry run: %+v, want %d deleted, %d protected", got, tt.result.Deleted(), tt.result.Protected)
			}
			if n := len(storedKeys(t, db)); n != len(before) {
				t.Fatalf("dry run left %d items of %d", n, len(before))
			}

			got, err = db.Prune(t.Context(), r)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.result) {
				t.Errorf("Prune = %+v\nwant    %+v", got, tt.result)
			}
			if left := storedKeys(t, db); !slices.Equal(left, tt.want) {
				t.Errorf("left %v, want %v", left, tt.want)
			}
			if n := orphans(t, db); n != 0 {
				t.Errorf("%d sources, links or topics of deleted items remain", n)
			}
			if err := db.Verify(t.Context()); err != nil {
				t.Error(err)
			}
			st, err := db.PruneStats(t.Context())
			if err != nil || st.ItemsPruned != int64(got.Deleted()) || !st.LastPrune.Equal(pruneNow) || st.Tombstones != int64(got.Tombstones) ||
				st.Items != int64(len(tt.want)) {
				t.Errorf("PruneStats = %+v, %v; want %d pruned at %v, %d tombstones, %d items", st, err, got.Deleted(), pruneNow, got.Tombstones, len(tt.want))
			}
		})
	}
}

// TestDeletedItemsStayDeleted: an item retention deleted is not stored
// again, nor counted as new, when its feed (or another feed, by its link)
// carries it again; its tombstone lasts while its feed carries it.
func TestDeletedItemsStayDeleted(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	day := 24 * time.Hour
	db.now = func() time.Time { return pruneNow }
	old, fresh := aged("old", 200*day), aged("fresh", day)
	ingest(t, db, "a", old, fresh)
	ingest(t, db, "b", aged("other", day)) // the newest item, never deleted
	if res, err := db.Prune(ctx, Retention{MaxAge: 90 * day, KeepKeys: 7 * day}); err != nil || res.Expired != 1 {
		t.Fatalf("Prune = %+v, %v", res, err)
	}

	known, err := db.KnownHashes(ctx, "a", []string{"guid:old", "guid:fresh", "guid:never"})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"guid:old": feedmill.DeletedHash, "guid:fresh": "h:fresh"}; !maps.Equal(known, want) {
		t.Errorf("KnownHashes = %v, want %v", known, want)
	}

	// A store that skipped KnownHashes still refuses them: the same key,
	// changed, from the same feed; the same link from another feed.
	changed := old
	changed.Hash, changed.Title = "h:changed", "story old, corrected"
	if res := ingest(t, db, "a", changed); res.New+res.Merged+res.Updated != 0 || res.Seen != 1 || res.Dedup.GUID != 1 {
		t.Errorf("deleted item again from its feed: %+v, want seen", res)
	}
	syndicated := old
	syndicated.Key = "link:" + old.Link
	if res := ingest(t, db, "c", syndicated); res.New+res.Merged+res.Updated != 0 || res.Seen != 1 || res.Dedup.Link != 1 {
		t.Errorf("deleted item from another feed: %+v, want seen", res)
	}
	if known, _ := db.KnownHashes(ctx, "c", []string{syndicated.Key}); known[syndicated.Key] != feedmill.DeletedHash {
		t.Errorf("the other feed's key got no tombstone: %v", known)
	}
	if got := storedKeys(t, db); !slices.Equal(got, []string{"fresh", "other"}) {
		t.Errorf("stored %v", got)
	}

	// Long after: a tombstone stays while its feed's document carries the
	// item, and goes once a parse of the document no longer does.
	later := pruneNow.Add(30 * day)
	db.now = func() time.Time { return later }
	poll := func(feed string, at time.Time, deleted ...string) {
		t.Helper()
		if _, err := db.Ingest(ctx, feedmill.Batch{Feed: feed, URL: "http://" + feed + ".example/feed", FetchedAt: at,
			Deleted: deleted, Seen: len(deleted)}); err != nil {
			t.Fatal(err)
		}
	}
	poll("a", later.Add(-time.Hour), "guid:old") // still in a's document
	poll("c", later.Add(-time.Hour))             // no longer in c's
	res, err := db.Prune(ctx, Retention{MaxAge: 90 * day, KeepKeys: 7 * day})
	if err != nil {
		t.Fatal(err)
	}
	// c's tombstone goes: last seen 30 days ago, and c's document was
	// parsed since without the item. a's stays (its last parse carried
	// it), and so does the link, which a's tombstone holds.
	if res.TombstonesPruned != 1 {
		t.Errorf("pruned %d tombstones, want 1 (c's)", res.TombstonesPruned)
	}
	if known, _ := db.KnownHashes(ctx, "a", []string{"guid:old"}); known["guid:old"] != feedmill.DeletedHash {
		t.Error("a's tombstone went while a's document still carried the item")
	}
	poll("a", later) // a's document no longer carries it
	db.now = func() time.Time { return later.Add(time.Hour) }
	if res, err = db.Prune(ctx, Retention{MaxAge: 90 * day, KeepKeys: 7 * day}); err != nil || res.TombstonesPruned != 0 {
		t.Errorf("Prune an hour after the item left a: %+v, %v; want its tombstone kept for keep_keys", res, err)
	}
	db.now = func() time.Time { return later.Add(8 * day) }
	if res, err = db.Prune(ctx, Retention{MaxAge: 90 * day, KeepKeys: 7 * day}); err != nil {
		t.Fatal(err)
	}
	if res.TombstonesPruned != 2 {
		t.Errorf("pruned %d tombstones, want 2 (a's key and the link)", res.TombstonesPruned)
	}
	if st, _ := db.PruneStats(ctx); st.Tombstones != 0 {
		t.Errorf("%d tombstones left", st.Tombstones)
	}
	// With its tombstones gone, the article is new again.
	if res := ingest(t, db, "c", syndicated); res.New != 1 {
		t.Errorf("after its tombstones went: %+v, want new", res)
	}
}

// TestPruneBatchesDoNotBlock: a prune commits batch by batch; while a
// batch is being written a reader still answers (from the last commit),
// and between batches another writer gets the database.
func TestPruneBatchesDoNotBlock(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	db.now = func() time.Time { return pruneNow }
	const n, batch = 1000, 100
	items := make([]feedmill.Item, n)
	for i := range items {
		items[i] = aged(fmt.Sprint(i), time.Duration(n-i)*time.Hour+100*24*time.Hour)
	}
	ingest(t, db, "old", items...)
	ingest(t, db, "new", aged("newest", time.Hour))

	count := func() int {
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		got, err := db.Items(c, feedmill.ItemQuery{})
		if err != nil {
			t.Errorf("read during prune: %v", err)
		}
		return len(got)
	}
	var during, after []int
	writes := 0
	db.pruneHook = func(stage string) {
		switch stage {
		case "in batch":
			during = append(during, count())
		case "after batch":
			after = append(after, count())
			c, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			_, err := db.Ingest(c, feedmill.Batch{Feed: "new", URL: "http://new.example/feed", FetchedAt: pruneNow,
				Items: []feedmill.Item{aged(fmt.Sprint("concurrent-", writes), time.Minute)}})
			if err != nil {
				t.Errorf("write between batches: %v", err)
			}
			writes++
		}
	}
	res, err := db.Prune(ctx, Retention{MaxAge: 90 * 24 * time.Hour, BatchSize: batch})
	if err != nil {
		t.Fatal(err)
	}
	if res.Expired != n || res.Batches != n/batch {
		t.Fatalf("Prune = %+v, want %d expired in %d batches", res, n, n/batch)
	}
	// The k-th batch's reader sees the k-1 batches committed before it
	// (plus the writes between them), never its own uncommitted deletes.
	for k := range during {
		if want := n + 1 + k - k*batch; during[k] != want {
			t.Errorf("batch %d: a reader during it saw %d items, want %d", k, during[k], want)
		}
		if want := n + 1 + k - (k+1)*batch; after[k] != want {
			t.Errorf("batch %d: a reader after it saw %d items, want %d", k, after[k], want)
		}
	}
	if got := len(storedKeys(t, db)); got != 1+writes {
		t.Errorf("%d items left, want %d", got, 1+writes)
	}
}

// TestPruneLeavesStoriesConsistent: deleted items leave their stories,
// whose member counts stay true; a story left empty goes; new reports
// still join the story of the members that remain.
func TestPruneLeavesStoriesConsistent(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	db.SetStories(stories.DefaultConfig())
	for _, b := range []feedmill.Batch{
		batch("a", storyT0.Add(time.Hour), quakeA, budgetA),
		batch("b", storyT0.Add(2*time.Hour), quakeB),
	} {
		if _, err := db.Ingest(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	quake := storyOf(t, db, quakeA.Link)
	if quake == 0 || storyOf(t, db, quakeB.Link) != quake {
		t.Fatal("the two reports of the quake are not one story")
	}
	db.now = func() time.Time { return storyT0.Add(100 * 24 * time.Hour) }
	// quakeB stays (the newest item, and in a window); quakeA, the story's
	// first item, and budgetA, alone in its story, go.
	res, err := db.Prune(ctx, Retention{MaxAge: 90 * 24 * time.Hour, Protected: map[int64]bool{ids(t, db)["b1"]: true}})
	if err != nil || res.Expired != 2 {
		t.Fatalf("Prune = %+v, %v; want 2 expired", res, err)
	}
	var wrong, members int
	if err := db.r.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM stories s WHERE members <> (SELECT count(*) FROM items WHERE story_id = s.id)),
		(SELECT coalesce(sum(members), 0) FROM stories)`).Scan(&wrong, &members); err != nil {
		t.Fatal(err)
	}
	if wrong != 0 || members != 1 {
		t.Errorf("%d stories with a wrong member count, %d members in all; want 0 and 1 (quakeB)", wrong, members)
	}
	if res, err := db.Ingest(ctx, batch("c", storyT0.Add(4*time.Hour), quakeC)); err != nil || res.Grouped != 1 {
		t.Fatalf("a third report after the prune: %+v, %v", res, err)
	}
	if s := storyOf(t, db, quakeC.Link); s != quake {
		t.Errorf("third report: story %d, want %d", s, quake)
	}
	list, err := db.Stories(ctx, StoryQuery{MinItems: 2})
	if err != nil || len(list) != 1 || len(list[0].Items) != 2 {
		t.Errorf("Stories = %+v, %v; want the quake with 2 items", list, err)
	}
}
