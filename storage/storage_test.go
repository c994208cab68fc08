package storage

import (
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
)

func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func item(key, link, title string, topics ...string) feedmill.Item {
	lk := ""
	if link != "" {
		lk = "key:" + link
	}
	return feedmill.Item{Key: key, Link: link, LinkKey: lk, Title: title, Content: "<p>" + title + "</p>",
		Hash: "h:" + title, Topics: topics, Published: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(len(title)) * time.Minute)}
}

func TestIngestDeduplicates(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	at := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)

	steps := []struct {
		name  string
		batch feedmill.Batch
		want  feedmill.IngestResult
		items int
	}{
		{"first poll", feedmill.Batch{Feed: "a", URL: "http://a/", FetchedAt: at, Items: []feedmill.Item{
			item("guid:1", "https://x/1", "one", "t1"), item("guid:2", "https://x/2", "two"), item("hash:3", "", "three", "t2"),
		}}, feedmill.IngestResult{New: 3, NewTopics: map[string]int{"t1": 1, "t2": 1}}, 3},
		{"same items again", feedmill.Batch{Feed: "a", URL: "http://a/", FetchedAt: at, Items: []feedmill.Item{
			item("guid:1", "https://x/1", "one", "t1"), item("guid:2", "https://x/2", "two"),
		}}, feedmill.IngestResult{Seen: 2, Dedup: feedmill.DedupCounts{GUID: 2}}, 3},
		{"another feed, same link", feedmill.Batch{Feed: "b", URL: "http://b/", FetchedAt: at, Items: []feedmill.Item{
			item("link:https://x/1", "https://x/1", "one from b", "t1"),
		}}, feedmill.IngestResult{Merged: 1, Dedup: feedmill.DedupCounts{Link: 1}}, 3},
		{"changed content", feedmill.Batch{Feed: "a", URL: "http://a/", FetchedAt: at, Items: []feedmill.Item{
			item("guid:2", "https://x/2", "two, corrected", "t2"),
		}}, feedmill.IngestResult{Updated: 1, Dedup: feedmill.DedupCounts{GUID: 1}}, 3},
		{"link moves onto another item's link", feedmill.Batch{Feed: "a", URL: "http://a/", FetchedAt: at, Items: []feedmill.Item{
			item("guid:2", "https://x/1", "two is one", "t9"),
		}}, feedmill.IngestResult{Updated: 1, Dedup: feedmill.DedupCounts{GUID: 1, Link: 1}}, 2},
		{"an item's former link still finds it", feedmill.Batch{Feed: "c", URL: "http://c/", FetchedAt: at, Items: []feedmill.Item{
			item("link:https://x/2", "https://x/2", "two, syndicated late"),
		}}, feedmill.IngestResult{Merged: 1, Dedup: feedmill.DedupCounts{Link: 1}}, 2},
	}
	for _, s := range steps {
		got, err := db.Ingest(ctx, s.batch)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if !reflect.DeepEqual(got, s.want) {
			t.Errorf("%s: result %+v, want %+v", s.name, got, s.want)
		}
		items, err := db.Items(ctx, feedmill.ItemQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != s.items {
			t.Errorf("%s: %d items stored, want %d", s.name, len(items), s.items)
		}
	}

	items, err := db.Items(ctx, feedmill.ItemQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var merged *feedmill.Item
	for i := range items {
		if items[i].Link == "https://x/1" {
			merged = &items[i]
		}
	}
	if merged == nil {
		t.Fatal("merged item missing")
	}
	// Feed a carried it under two keys with one link: one source for a.
	if len(merged.Sources) != 3 {
		t.Errorf("merged item sources = %+v, want a, b and c", merged.Sources)
	}
	if merged.Title != "two is one" {
		t.Errorf("merged item title = %q, want the latest content", merged.Title)
	}
	if !slices.Equal(merged.Topics, []string{"t9"}) {
		t.Errorf("merged item topics = %v, want those of its latest content", merged.Topics)
	}
}

func TestItemsFilters(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	at := time.Now()
	if _, err := db.Ingest(ctx, feedmill.Batch{Feed: "a", URL: "http://a/", FetchedAt: at, Items: []feedmill.Item{
		item("guid:1", "https://x/1", "one", "war"), item("guid:2", "https://x/2", "twenty-two", "war", "peace"),
		item("guid:3", "https://x/3", "three", "sport"),
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Ingest(ctx, feedmill.Batch{Feed: "b", URL: "http://b/", FetchedAt: at, Items: []feedmill.Item{
		item("guid:9", "https://x/9", "nine nine", "peace"),
	}}); err != nil {
		t.Fatal(err)
	}
	titles := func(items []feedmill.Item) []string {
		var out []string
		for _, it := range items {
			out = append(out, it.Title)
		}
		return out
	}
	tests := []struct {
		q    feedmill.ItemQuery
		want []string
	}{
		{feedmill.ItemQuery{}, []string{"twenty-two", "nine nine", "three", "one"}},
		{feedmill.ItemQuery{Limit: 2}, []string{"twenty-two", "nine nine"}},
		{feedmill.ItemQuery{Topics: []string{"peace"}}, []string{"twenty-two", "nine nine"}},
		{feedmill.ItemQuery{Topics: []string{"war", "sport"}}, []string{"twenty-two", "three", "one"}},
		{feedmill.ItemQuery{Feed: "b"}, []string{"nine nine"}},
		{feedmill.ItemQuery{Feed: "a", Topics: []string{"peace"}}, []string{"twenty-two"}},
		{feedmill.ItemQuery{Topics: []string{"nothing"}}, nil},
	}
	for _, tt := range tests {
		items, err := db.Items(ctx, tt.q)
		if err != nil {
			t.Fatal(err)
		}
		if got := titles(items); !slices.Equal(got, tt.want) {
			t.Errorf("Items(%+v) = %q, want %q", tt.q, got, tt.want)
		}
	}
}

func TestFeedStateAndReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	if _, err := db.Ingest(ctx, feedmill.Batch{Feed: "good", URL: "http://g/", Title: "Good", FetchedAt: at,
		Items: []feedmill.Item{item("guid:1", "https://x/1", "one")}}); err != nil {
		t.Fatal(err)
	}
	badState := feedmill.FetchState{ETag: `"e1"`, Failures: 3, FailingSince: at.Add(-time.Hour),
		NextCheck: at.Add(time.Hour), MovedTo: "http://b2/"}
	if err := db.RecordPoll(ctx, feedmill.Batch{Feed: "bad", URL: "http://b/", FetchedAt: at, HTTPStatus: 500,
		Outcome: feedmill.OutcomeFailed, Error: errors.New("boom").Error(), State: badState}); err != nil {
		t.Fatal(err)
	}
	v1, _ := db.ItemsVersion(ctx)
	db.Close()

	db, err = Open(ctx, path) // migrations are not applied twice
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	feeds, err := db.Feeds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []feedmill.FeedState{
		{Name: "bad", URL: "http://b/", LastFetch: at, Status: feedmill.StatusFailing, LastError: "boom", HTTPStatus: 500,
			NextCheck: at.Add(time.Hour), FailingSince: at.Add(-time.Hour), MovedTo: "http://b2/"},
		{Name: "good", URL: "http://g/", Title: "Good", LastFetch: at, LastSuccess: at, Status: feedmill.StatusOK, Items: 1},
	}
	if !slices.Equal(feeds, want) {
		t.Errorf("Feeds() = %+v\nwant %+v", feeds, want)
	}
	titles, err := db.FeedTitles(ctx)
	if err != nil || len(titles) != 2 || titles[1] != (feedmill.FeedState{Name: "good", URL: "http://g/", Title: "Good"}) {
		t.Errorf("FeedTitles() = %+v, %v", titles, err)
	}
	if st, err := db.FetchState(ctx, "bad", "http://b/"); err != nil || st != badState {
		t.Errorf("FetchState = %+v, %v\nwant %+v", st, err, badState)
	}
	if st, _ := db.FetchState(ctx, "bad", "http://elsewhere/"); st != (feedmill.FetchState{Rate: -1}) {
		t.Errorf("FetchState after the configured URL changed = %+v, want a fresh start", st)
	}
	log, err := db.FetchLog(ctx, "good", 0)
	if err != nil || len(log) != 1 || log[0].Outcome != feedmill.OutcomeOK || log[0].New != 1 {
		t.Errorf("FetchLog(good) = %+v, %v", log, err)
	}
	known, err := db.KnownHashes(ctx, "good", []string{"guid:1", "guid:2"})
	if err != nil {
		t.Fatal(err)
	}
	if len(known) != 1 || known["guid:1"] != "h:one" {
		t.Errorf("KnownHashes = %v", known)
	}
	if v2, _ := db.ItemsVersion(ctx); v2 != v1 || v1 == 0 {
		t.Errorf("items version %d after reopen, %d before; want equal and > 0", v2, v1)
	}
}

func TestVerifyAndBackup(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	if _, err := db.Ingest(ctx, feedmill.Batch{Feed: "a", URL: "http://a/", FetchedAt: time.Now(),
		Items: []feedmill.Item{item("guid:1", "https://x/1", "one", "t"), item("guid:2", "https://x/2", "two")}}); err != nil {
		t.Fatal(err)
	}
	if err := db.Verify(ctx); err != nil {
		t.Fatalf("fresh database: %v", err)
	}
	path := filepath.Join(t.TempDir(), "backup.db")
	if err := db.Backup(ctx, path); err != nil {
		t.Fatal(err)
	}
	if err := db.Backup(ctx, path); err == nil {
		t.Error("backup over an existing file succeeded")
	}
	copyDB, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer copyDB.Close()
	if err := copyDB.Verify(ctx); err != nil {
		t.Errorf("backup: %v", err)
	}
	items, _ := copyDB.Items(ctx, feedmill.ItemQuery{})
	if len(items) != 2 || items[0].Topics == nil && items[1].Topics == nil {
		t.Errorf("backup holds %d items: %+v", len(items), items)
	}

	// Break an invariant behind the store's back: Verify must say so.
	if _, err := db.w.ExecContext(ctx, `DELETE FROM sources WHERE key = 'guid:2'`); err != nil {
		t.Fatal(err)
	}
	if err := db.Verify(ctx); err == nil || !strings.Contains(err.Error(), "1 items without a source") {
		t.Errorf("Verify after deleting a source: %v", err)
	}
}
