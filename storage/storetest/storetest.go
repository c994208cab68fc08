// Package storetest is the one behavioural test suite of feedmill's
// storage, run unchanged against every backend (SQLite in package storage,
// PostgreSQL in storage/postgres): what a caller of backend.Store may rely
// on, whatever the engine.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/storage/backend"
)

// Run runs the suite. newDSN returns the address of a new, empty database
// for one test (a file in t.TempDir(), a database in a throwaway cluster);
// the suite opens it with backend.Open, as feedmill does.
func Run(t *testing.T, newDSN func(t *testing.T) string) {
	tests := []struct {
		name string
		fn   func(*testing.T, func(*testing.T) (backend.Store, string))
	}{
		{"IngestDeduplicates", testIngestDeduplicates},
		{"ContentDedup", testContentDedup},
		{"ItemsQuery", testItemsQuery},
		{"FeedStateAndReopen", testFeedStateAndReopen},
		{"Retag", testRetag},
		{"EachItemExplainMeta", testEachItemExplainMeta},
		{"RawBodies", testRawBodies},
		{"FetchLogBounded", testFetchLogBounded},
		{"Claim", testClaim},
		{"ConcurrentClaims", testConcurrentClaims},
		{"ClaimRounds", testClaimRounds},
		{"ConcurrentIngestOfOneArticle", testConcurrentIngest},
		{"Stories", testStories},
		{"OnePerStory", testOnePerStory},
		{"Restory", testRestory},
		{"StoryCentreAfterReopen", testStoryCentreAfterReopen},
		{"DailyCounts", testDailyCounts},
		{"Subscriptions", testSubscriptions},
		{"TopicETagCompareAndSet", testTopicETagSwap},
		{"Retention", testRetention},
		{"ReadersAndGauges", testReadersAndGauges},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, func(t *testing.T) (backend.Store, string) {
				dsn := newDSN(t)
				return open(t, dsn), dsn
			})
		})
	}
}

func open(t *testing.T, dsn string) backend.Store {
	t.Helper()
	db, err := backend.Open(t.Context(), dsn)
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

func ingest(t *testing.T, db backend.Store, b feedmill.Batch) feedmill.IngestResult {
	t.Helper()
	res, err := db.Ingest(t.Context(), b)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func titles(items []feedmill.Item) string {
	var s []string
	for _, it := range items {
		s = append(s, it.Title)
	}
	return strings.Join(s, " ")
}

func testIngestDeduplicates(t *testing.T, newDB func(*testing.T) (backend.Store, string)) {
	ctx := t.Context()
	db, _ := newDB(t)
	at := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	steps := []struct {
		name  string
		batch feedmill.Batch
		want  feedmill.IngestResult
		items int
	}{
		{"first poll", feedmill.Batch{Feed: "a", URL: "http://a/", FetchedAt: at, Items: []feedmill.Item{
			item("guid:1", "https://x/1", "one", "t1"), item("guid:2", "https://x/2", "two"), item("hash:3", "", "three", "t2"),
		}}, feedmill.IngestResult{New: 3}, 3},
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
		{"a replay rewrites unchanged items", feedmill.Batch{Feed: "a", URL: "http://a/", FetchedAt: at, Replay: true, Items: []feedmill.Item{
			item("guid:2", "https://x/1", "two is one", "t9"),
		}}, feedmill.IngestResult{Updated: 1, Dedup: feedmill.DedupCounts{GUID: 1}}, 2},
	}
	var firstIDs []int64
	for i, s := range steps {
		v0, _ := db.ItemsVersion(ctx)
		b := s.batch
		if got := ingest(t, db, b); got.New != s.want.New || got.Merged != s.want.Merged || got.Updated != s.want.Updated ||
			got.Seen != s.want.Seen || got.Dedup != s.want.Dedup {
			t.Errorf("%s: result %+v, want %+v", s.name, got, s.want)
		}
		for _, it := range b.Items {
			if it.ID == 0 {
				t.Errorf("%s: item %s has no id after Ingest", s.name, it.Key)
			}
			if i == 0 {
				firstIDs = append(firstIDs, it.ID)
			}
		}
		v1, _ := db.ItemsVersion(ctx)
		if (v1 > v0) != s.want.Changed() {
			t.Errorf("%s: items version %d -> %d, want a bump only when items changed", s.name, v0, v1)
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
	if merged.ID != min(firstIDs[0], firstIDs[1]) {
		t.Errorf("merged item has id %d, want the older item's %d", merged.ID, min(firstIDs[0], firstIDs[1]))
	}
	want := []feedmill.Source{{Feed: "a", Link: "https://x/1"}, {Feed: "b", Link: "https://x/1"}, {Feed: "c", Link: "https://x/2"}}
	if !slices.Equal(merged.Sources, want) {
		t.Errorf("merged item sources = %+v, want %+v", merged.Sources, want)
	}
	if merged.Title != "two is one" || merged.Key != "guid:1" || merged.GUID != "1" || merged.Feed != "a" {
		t.Errorf("merged item = %+v, want the latest content, the first key and feed", merged)
	}
	if !slices.Equal(merged.Topics, []string{"t9"}) {
		t.Errorf("merged item topics = %v, want those of its latest content", merged.Topics)
	}
	if err := db.Verify(ctx); err != nil {
		t.Errorf("Verify: %v", err)
	}
	// An item without a key is refused, and nothing of its batch is kept.
	if _, err := db.Ingest(ctx, feedmill.Batch{Feed: "d", URL: "http://d/", FetchedAt: at, Items: []feedmill.Item{
		item("guid:ok", "https://x/ok", "fine"), {Title: "keyless"}}}); err == nil {
		t.Error("an item without a key was accepted")
	}
	if items, _ := db.Items(ctx, feedmill.ItemQuery{Feed: "d"}); len(items) != 0 {
		t.Errorf("a failed batch left %d items", len(items))
	}
}

func testItemsQuery(t *testing.T, newDB func(*testing.T) (backend.Store, string)) {
	db, _ := newDB(t)
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	ids := map[string]int64{}
	add := func(feed string, n int, title string, topics ...string) {
		t.Helper()
		it := item("guid:"+title, "https://"+feed+"/"+title, title, topics...)
		it.Published = base.Add(time.Duration(n) * time.Hour)
		it.Author, it.Categories, it.Updated = "Ann", []string{"World", "Politics"}, it.Published.Add(time.Minute)
		b := feedmill.Batch{Feed: feed, URL: "http://" + feed + "/", FetchedAt: base, Items: []feedmill.Item{it}}
		ingest(t, db, b)
		ids[title] = b.Items[0].ID
	}
	add("a", 1, "a1", "war")
	add("a", 2, "a2", "war", "peace")
	add("b", 3, "b3", "peace")
	add("b", 4, "b4", "sport")
	add("c", 5, "c5", "war", "sport")
	add("c", 6, "c6")
	// Same published time as c6: the newer id comes first.
	add("c", 6, "c6bis")

	tests := []struct {
		name string
		q    feedmill.ItemQuery
		want string
	}{
		{"all", feedmill.ItemQuery{}, "c6bis c6 c5 b4 b3 a2 a1"},
		{"any topic", feedmill.ItemQuery{Topics: []string{"peace", "sport"}}, "c5 b4 b3 a2"},
		{"all topics", feedmill.ItemQuery{AllTopics: []string{"war", "peace"}}, "a2"},
		{"exclude", feedmill.ItemQuery{ExcludeTopics: []string{"war"}}, "c6bis c6 b4 b3"},
		{"feed", feedmill.ItemQuery{Feed: "b"}, "b4 b3"},
		{"feeds", feedmill.ItemQuery{Feeds: []string{"a", "c"}}, "c6bis c6 c5 a2 a1"},
		{"since", feedmill.ItemQuery{Since: base.Add(4 * time.Hour)}, "c6bis c6 c5 b4"},
		{"limit", feedmill.ItemQuery{Limit: 2}, "c6bis c6"},
		{"before", feedmill.ItemQuery{Before: feedmill.Cursor{Published: base.Add(4 * time.Hour), ID: ids["b4"]}, Limit: 2}, "b3 a2"},
		{"before, same time", feedmill.ItemQuery{Before: feedmill.Cursor{Published: base.Add(6 * time.Hour), ID: ids["c6bis"]}, Limit: 1}, "c6"},
		{"filter", feedmill.ItemQuery{Filter: func(it *feedmill.Item) bool { return strings.HasSuffix(it.Title, "1") || it.Title == "b4" }, Limit: 5}, "b4 a1"},
		{"together", feedmill.ItemQuery{Topics: []string{"war", "sport"}, ExcludeTopics: []string{"peace"}, Feeds: []string{"a", "c"}, Limit: 1}, "c5"},
		{"nothing", feedmill.ItemQuery{Topics: []string{"none"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := db.Items(t.Context(), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := titles(items); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	items, err := db.Items(t.Context(), feedmill.ItemQuery{Feed: "c", Limit: 1})
	if err != nil || len(items) != 1 {
		t.Fatalf("Items: %v %v", items, err)
	}
	it := items[0]
	if it.Author != "Ann" || !slices.Equal(it.Categories, []string{"World", "Politics"}) || it.Content != "<p>c6bis</p>" ||
		!it.Updated.Equal(it.Published.Add(time.Minute)) || !it.FirstSeen.Equal(base) || it.Link != "https://c/c6bis" ||
		it.Feed != "c" || it.Published.Location() != time.UTC {
		t.Errorf("item read back as %+v", it)
	}
	// Paging with a selective filter walks the whole listing in chunks.
	var all []string
	q := feedmill.ItemQuery{Limit: 1, Filter: func(it *feedmill.Item) bool { return it.Feed != "b" }}
	for range 10 {
		items, err := db.Items(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) == 0 {
			break
		}
		all = append(all, items[0].Title)
		q.Before = feedmill.CursorOf(items[0])
	}
	if got := strings.Join(all, " "); got != "c6bis c6 c5 a2 a1" {
		t.Errorf("pages: %q", got)
	}
}

func testFeedStateAndReopen(t *testing.T, newDB func(*testing.T) (backend.Store, string)) {
	ctx := t.Context()
	db, dsn := newDB(t)
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	if st, err := db.FetchState(ctx, "good", "http://g/"); err != nil || st != (feedmill.FetchState{Rate: -1}) {
		t.Errorf("FetchState of a feed never fetched = %+v, %v", st, err)
	}
	goodState := feedmill.FetchState{ETag: `"g"`, LastModified: "Sun, 01 Mar 2026 11:00:00 GMT", BodyHash: "bh",
		NextCheck: at.Add(15 * time.Minute), Rate: 2.5, LastSuccess: at}
	ingest(t, db, feedmill.Batch{Feed: "good", URL: "http://g/", Title: "Good", SiteURL: "https://g/", FetchedAt: at,
		HTTPStatus: 200, State: goodState, Items: []feedmill.Item{item("guid:1", "https://x/1", "one")}})
	badState := feedmill.FetchState{ETag: `"e1"`, Failures: 3, FailingSince: at.Add(-time.Hour),
		NextCheck: at.Add(time.Hour), MovedTo: "http://b2/", Rate: -1}
	if err := db.RecordPoll(ctx, feedmill.Batch{Feed: "bad", URL: "http://b/", FetchedAt: at, HTTPStatus: 500,
		Outcome: feedmill.OutcomeFailed, Error: errors.New("boom").Error(), State: badState}); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordPoll(ctx, feedmill.Batch{Feed: "gone", URL: "http://gone/", FetchedAt: at, HTTPStatus: 410,
		Outcome: feedmill.OutcomeGone, Error: "gone", State: feedmill.FetchState{Rate: -1}}); err != nil {
		t.Fatal(err)
	}
	v1, _ := db.ItemsVersion(ctx)
	db.Close()

	db = open(t, dsn) // migrations are not applied twice
	feeds, err := db.Feeds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range feeds {
		feeds[i].NewPerDay = 0 // depends on the clock
	}
	want := []feedmill.FeedState{
		{Name: "bad", URL: "http://b/", LastFetch: at, Status: feedmill.StatusFailing, LastError: "boom", HTTPStatus: 500,
			NextCheck: at.Add(time.Hour), FailingSince: at.Add(-time.Hour), MovedTo: "http://b2/"},
		{Name: "gone", URL: "http://gone/", LastFetch: at, Status: feedmill.StatusDisabled, LastError: "gone", HTTPStatus: 410},
		{Name: "good", URL: "http://g/", Title: "Good", SiteURL: "https://g/", LastFetch: at, LastSuccess: at,
			Status: feedmill.StatusOK, Items: 1, HTTPStatus: 200, NextCheck: at.Add(15 * time.Minute)},
	}
	if !slices.Equal(feeds, want) {
		t.Errorf("Feeds() = %+v\nwant %+v", feeds, want)
	}
	titles, err := db.FeedTitles(ctx)
	if err != nil || len(titles) != 3 || titles[2] != (feedmill.FeedState{Name: "good", URL: "http://g/", Title: "Good"}) {
		t.Errorf("FeedTitles() = %+v, %v", titles, err)
	}
	if st, err := db.FetchState(ctx, "bad", "http://b/"); err != nil || st != badState {
		t.Errorf("FetchState(bad) = %+v, %v\nwant %+v", st, err, badState)
	}
	if st, err := db.FetchState(ctx, "good", "http://g/"); err != nil || st != goodState {
		t.Errorf("FetchState(good) = %+v, %v\nwant %+v", st, err, goodState)
	}
	if st, _ := db.FetchState(ctx, "gone", "http://gone/"); !st.Disabled {
		t.Errorf("FetchState(gone) = %+v, want disabled", st)
	}
	if st, _ := db.FetchState(ctx, "bad", "http://elsewhere/"); st != (feedmill.FetchState{Rate: -1}) {
		t.Errorf("FetchState after the configured URL changed = %+v, want a fresh start", st)
	}
	log, err := db.FetchLog(ctx, "good", 0)
	if err != nil || len(log) != 1 || log[0] != (feedmill.FetchLogEntry{At: at, Outcome: feedmill.OutcomeOK, HTTPStatus: 200, New: 1}) {
		t.Errorf("FetchLog(good) = %+v, %v", log, err)
	}
	known, err := db.KnownHashes(ctx, "good", []string{"guid:1", "guid:2"})
	if err != nil || len(known) != 1 || known["guid:1"] != "h:one" {
		t.Errorf("KnownHashes = %v, %v", known, err)
	}
	if known, err := db.KnownHashes(ctx, "nosuch", []string{"guid:1"}); err != nil || len(known) != 0 {
		t.Errorf("KnownHashes of an unknown feed = %v, %v", known, err)
	}
	if v2, _ := db.ItemsVersion(ctx); v2 != v1 || v1 == 0 {
		t.Errorf("items version %d after reopen, %d before; want equal and > 0", v2, v1)
	}
	if err := db.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func testFetchLogBounded(t *testing.T, newDB func(*testing.T) (backend.Store, string)) {
	ctx := t.Context()
	db, _ := newDB(t)
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range 205 {
		if err := db.RecordPoll(ctx, feedmill.Batch{Feed: "f", URL: "http://f/", FetchedAt: at.Add(time.Duration(i) * time.Minute),
			HTTPStatus: 304, Outcome: feedmill.OutcomeNotModified, Duration: 1500 * time.Millisecond, Bytes: i}); err != nil {
			t.Fatal(err)
		}
	}
	log, err := db.FetchLog(ctx, "f", 0)
	if err != nil || len(log) != 200 {
		t.Fatalf("FetchLog: %d entries, %v; want the last 200", len(log), err)
	}
	if log[0].Bytes != 204 || log[199].Bytes != 5 || log[0].Duration != 1500 || log[0].Outcome != feedmill.OutcomeNotModified {
		t.Errorf("log newest %+v, oldest %+v", log[0], log[199])
	}
	if log, _ := db.FetchLog(ctx, "f", 3); len(log) != 3 {
		t.Errorf("FetchLog(limit 3) = %d entries", len(log))
	}
}

// wordTagger tags an item with topic w when its title has the word w.
func wordTagger(words ...string) func(*feedmill.Item) []feedmill.TopicMatch {
	return func(it *feedmill.Item) []feedmill.TopicMatch {
		var out []feedmill.TopicMatch
		for _, w := range words {
			if slices.Contains(strings.Fields(it.Title), w) {
				out = append(out, feedmill.TopicMatch{Topic: w, Hits: []feedmill.Hit{{Term: w, Field: "title"}}})
			}
		}
		return out
	}
}

func testRetag(t *testing.T, newDB func(*testing.T) (backend.Store, string)) {
	ctx := t.Context()
	db, _ := newDB(t)
	at := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	its := []feedmill.Item{item("guid:1", "https://x/1", "red apple"), item("guid:2", "https://x/2", "green apple"),
		item("guid:3", "https://x/3", "red car")}
	its[0].Matches = []feedmill.TopicMatch{{Topic: "red", Hits: []feedmill.Hit{{Term: "red", Field: "title"}}}}
	its[0].Text = "stored text"
	b := feedmill.Batch{Feed: "a", URL: "http://a/", FetchedAt: at, Items: its}
	ingest(t, db, b)
	id := func(i int) int64 { return b.Items[i].ID }
	steps := []struct {
		name    string
		opt     storage.ScanOptions
		tag     func(*feedmill.Item) []feedmill.TopicMatch
		want    storage.RetagResult
		changes int
		topics  [3][]string // stored topics after the step
		bumped  bool
	}{
		{"dry run writes nothing", storage.ScanOptions{DryRun: true, BatchSize: 2}, wordTagger("red", "apple"),
			storage.RetagResult{Items: 3, Changed: 3, Added: 3}, 3, [3][]string{{"red"}, nil, nil}, false},
		{"one topic only", storage.ScanOptions{Topics: []string{"apple"}, BatchSize: 2}, wordTagger("red", "apple"),
			storage.RetagResult{Items: 3, Changed: 2, Added: 2}, 2, [3][]string{{"apple", "red"}, {"apple"}, nil}, true},
		{"all topics", storage.ScanOptions{}, wordTagger("red", "apple"),
			storage.RetagResult{Items: 3, Changed: 1, Added: 1}, 1, [3][]string{{"apple", "red"}, {"apple"}, {"red"}}, true},
		{"unchanged rules change nothing", storage.ScanOptions{BatchSize: 1}, wordTagger("apple", "red"),
			storage.RetagResult{Items: 3}, 0, [3][]string{{"apple", "red"}, {"apple"}, {"red"}}, false},
		{"a removed topic goes", storage.ScanOptions{}, wordTagger("car"),
			storage.RetagResult{Items: 3, Changed: 3, Added: 1, Removed: 4}, 3, [3][]string{nil, nil, {"car"}}, true},
		{"since keeps newer items", storage.ScanOptions{Since: its[0].Published}, wordTagger("apple"),
			storage.RetagResult{Items: 2, Changed: 2, Added: 2}, 2, [3][]string{{"apple"}, {"apple"}, {"car"}}, true},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			before, _ := db.ItemsVersion(ctx)
			changes := 0
			got, err := db.Retag(ctx, st.opt, st.tag, func(storage.TopicChange) { changes++ })
			if err != nil {
				t.Fatal(err)
			}
			if got != st.want || changes != st.changes {
				t.Errorf("result %+v with %d changes, want %+v with %d", got, changes, st.want, st.changes)
			}
			for i, want := range st.topics {
				it, err := db.Explain(ctx, id(i))
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(it.Topics, want) {
					t.Errorf("item %d topics %v, want %v", i, it.Topics, want)
				}
			}
			after, _ := db.ItemsVersion(ctx)
			if (after > before) != st.bumped {
				t.Errorf("items version %d -> %d, bumped want %v", before, after, st.bumped)
			}
		})
	}
}

func testEachItemExplainMeta(t *testing.T, newDB func(*testing.T) (backend.Store, string)) {
	ctx := t.Context()
	db, _ := newDB(t)
	it := item("guid:1", "https://x/1", "red apple")
	it.Text, it.Lang, it.Categories = "plain", "en", []string{"Food"}
	it.Matches = []feedmill.TopicMatch{{Topic: "fruit", Hits: []feedmill.Hit{{Term: "apple", Field: "title"}, {Term: "food", Field: "category"}}}}
	old := item("guid:2", "", "old item")
	ingest(t, db, feedmill.Batch{Feed: "a", URL: "http://a/", Items: []feedmill.Item{it, old}})
	var got []feedmill.Item
	if err := db.EachItem(ctx, storage.ScanOptions{}, func(it *feedmill.Item) error { got = append(got, *it); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Text != "plain" || got[0].Content != "" || got[0].Lang != "en" || got[0].Feed != "a" ||
		!slices.Equal(got[0].Categories, []string{"Food"}) || !slices.Equal(got[0].Topics, []string{"fruit"}) {
		t.Fatalf("EachItem: %+v", got)
	}
	if got[1].Text != "" || got[1].Content != "<p>old item</p>" {
		t.Errorf("an item without stored text must come with its content: %+v", got[1])
	}
	ex, err := db.Explain(ctx, got[0].ID)
	if err != nil || !slices.EqualFunc(ex.Matches, it.Matches, func(a, b feedmill.TopicMatch) bool {
		return a.Topic == b.Topic && slices.Equal(a.Hits, b.Hits)
	}) {
		t.Errorf("explain = %+v, %v", ex.Matches, err)
	}
	if _, err := db.Explain(ctx, 1<<40); !errors.Is(err, feedmill.ErrNotFound) {
		t.Errorf("Explain of a missing item: %v, want ErrNotFound", err)
	}
	if v, err := db.Meta(ctx, "k"); v != "" || err != nil {
		t.Errorf("meta before set: %q %v", v, err)
	}
	for _, v := range []string{"one", "two"} {
		if err := db.SetMeta(ctx, "k", v); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.Meta(ctx, "k"); got != v {
			t.Errorf("meta = %q, want %q", got, v)
		}
	}
}

func testRawBodies(t *testing.T, newDB func(*testing.T) (backend.Store, string)) {
	ctx := t.Context()
	db, _ := newDB(t)
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, f := range []string{"a", "b"} {
		ingest(t, db, feedmill.Batch{Feed: f, URL: "http://" + f + "/", FetchedAt: at})
	}
	for i := range 250 {
		f := []string{"a", "b"}[i%2]
		if err := db.SaveRaw(ctx, feedmill.RawBody{Feed: f, At: at.Add(time.Duration(i) * time.Minute), URL: "http://" + f + "/",
			ContentType: "application/rss+xml", Gzip: []byte{0x1f, 0x8b, byte(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.SaveRaw(ctx, feedmill.RawBody{Feed: "nosuch", At: at, Gzip: []byte{1}}); err == nil {
		t.Error("SaveRaw of an unknown feed succeeded")
	}
	var got []feedmill.RawBody
	if err := db.RawBodies(ctx, at.Add(10*time.Minute), "a", func(r feedmill.RawBody) error {
		got = append(got, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 120 || !got[0].At.Equal(at.Add(10*time.Minute)) || got[0].Feed != "a" || got[0].Gzip[2] != 10 ||
		got[0].ContentType != "application/rss+xml" || got[0].URL != "http://a/" {
		t.Fatalf("RawBodies: %d, first %+v", len(got), got[0])
	}
	n, err := db.PruneRaw(ctx, at.Add(100*time.Minute))
	if err != nil || n != 100 {
		t.Errorf("PruneRaw = %d, %v; want 100", n, err)
	}
	count := 0
	db.RawBodies(ctx, time.Time{}, "", func(feedmill.RawBody) error { count++; return nil })
	if count != 150 {
		t.Errorf("%d bodies left, want 150", count)
	}
}

func testClaim(t *testing.T, newDB func(*testing.T) (backend.Store, string)) {
	ctx := t.Context()
	db, _ := newDB(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	claim := func(owner string, at time.Time, url string) bool {
		t.Helper()
		ok, err := db.Claim(ctx, feedmill.Claim{Feed: "f", URL: url, Owner: owner, Now: at, Lease: time.Minute, Since: at.Add(-10 * time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	record := func(at time.Time, next time.Time, outcome string) {
		t.Helper()
		if err := db.RecordPoll(ctx, feedmill.Batch{Feed: "f", URL: "http://f/", FetchedAt: at, Outcome: outcome,
			State: feedmill.FetchState{NextCheck: next, Rate: -1}}); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name  string
		do    func() bool
		want  bool
		after func()
	}{
		{"a new feed is due", func() bool { return claim("A", now, "http://f/") }, true, nil},
		{"held by A", func() bool { return claim("B", now.Add(time.Second), "http://f/") }, false, nil},
		{"A itself cannot claim twice", func() bool { return claim("A", now.Add(time.Second), "http://f/") }, false,
			func() { record(now.Add(2*time.Second), now.Add(2*time.Second), feedmill.OutcomeNotModified) }},
		{"due, but polled this round", func() bool { return claim("B", now.Add(5*time.Second), "http://f/") }, false, nil},
		{"next round", func() bool { return claim("B", now.Add(11*time.Second), "http://f/") }, true,
			func() { record(now.Add(12*time.Second), now.Add(time.Hour), feedmill.OutcomeNotModified) }},
		{"not due yet", func() bool { return claim("C", now.Add(30*time.Minute), "http://f/") }, false, nil},
		{"the configured URL changed", func() bool { return claim("C", now.Add(31*time.Minute), "http://g/") }, true, nil},
		{"its lease runs", func() bool { return claim("A", now.Add(31*time.Minute+59*time.Second), "http://g/") }, false, nil},
		{"its owner died: the lease expired", func() bool { return claim("A", now.Add(33*time.Minute), "http://g/") }, true,
			func() { record(now.Add(33*time.Minute), now.Add(33*time.Minute), feedmill.OutcomeGone) }},
		{"disabled", func() bool { return claim("B", now.Add(2*time.Hour), "http://f/") }, false, nil},
	}
	for _, s := range steps {
		if got := s.do(); got != s.want {
			t.Errorf("%s: claimed %v, want %v", s.name, got, s.want)
		}
		if s.after != nil {
			s.after()
		}
	}
}

// testClaimRounds: a process that lags behind the others claims a feed
// polled earlier in the same round no more, and claims it in the next.
func testClaimRounds(t *testing.T, newDB func(*testing.T) (backend.Store, string)) {
	ctx := t.Context()
	db, _ := newDB(t)
	round := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) // rounds of 4 s
	claim := func(owner string, at, since time.Time) bool {
		t.Helper()
		ok, err := db.Claim(ctx, feedmill.Claim{Feed: "f", URL: "http://f/", Owner: owner, Now: at, Lease: time.Minute, Since: since})
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			err := db.RecordPoll(ctx, feedmill.Batch{Feed: "f", URL: "http://f/", FetchedAt: at,
				Outcome: feedmill.OutcomeNotModified, State: feedmill.FetchState{NextCheck: at, Rate: -1}})
			if err != nil {
				t.Fatal(err)
			}
		}
		return ok
	}
	if !claim("A", round.Add(100*time.Millisecond), round) {
		t.Fatal("A could not claim a new feed")
	}
	if claim("C", round.Add(3100*time.Millisecond), round) {
		t.Error("C, lagging 3 s behind, polled the feed again in the same round")
	}
	if !claim("B", round.Add(4*time.Second+100*time.Millisecond), round.Add(4*time.Second)) {
		t.Error("B could not claim the feed in the next round")
	}
}

// testConcurrentClaims: of many claimers at once, exactly one gets the feed.
func testConcurrentClaims(t *testing.T, newDB func(*testing.T) (backend.Store, string)) {
	db, _ := newDB(t)
	now := time.Now()
	for round := range 5 {
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for w := range 8 {
			wg.Go(func() {
				ok, err := db.Claim(context.Background(), feedmill.Claim{Feed: fmt.Sprintf("f%d", round), URL: "http://f/",
					Owner: fmt.Sprint(w), Now: now, Lease: time.Minute, Since: now.Add(-time.Second)})
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					won++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if won != 1 {
			t.Errorf("round %d: %d claimers got the feed, want 1", round, won)
		}
	}
}

// testConcurrentIngest: the same article from several feeds stored at once
// is one item with every feed as a source.
func testConcurrentIngest(t *testing.T, newDB func(*testing.T) (backend.Store, string)) {
	db, _ := newDB(t)
	at := time.Now()
	var wg sync.WaitGroup
	for f := range 24 {
		wg.Go(func() {
			name := fmt.Sprintf("f%d", f)
			var items []feedmill.Item
			// Each feed in its own order, so merges cross in every way.
			for k := range 20 {
				n := (k*7 + f*3) % 20
				items = append(items, item(fmt.Sprintf("guid:%d", n), fmt.Sprintf("https://x/%d", n), fmt.Sprintf("story %d", n)))
			}
			if _, err := db.Ingest(context.Background(), feedmill.Batch{Feed: name, URL: "http://" + name + "/", FetchedAt: at,
				Items: items}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	items, err := db.Items(t.Context(), feedmill.ItemQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 20 {
		t.Errorf("%d items, want 20", len(items))
	}
	for _, it := range items {
		if len(it.Sources) != 24 {
			t.Errorf("%s: %d sources, want 24", it.Title, len(it.Sources))
		}
	}
	if err := db.Verify(t.Context()); err != nil {
		t.Error(err)
	}
}
