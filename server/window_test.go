package server

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/feedgen"
	"github.com/feedmill/feedmill/storage"
)

// TestRetentionKeepsOutputWindows: retention given the outputs' window
// deletes old items, but every output's current page, as a reader fetches
// it, is the same after the prune as before.
func TestRetentionKeepsOutputWindows(t *testing.T) {
	ctx := t.Context()
	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "window.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	var batch []feedmill.Item
	for i := range 30 {
		topic := []string{"war", "peace", "sport"}[i%3]
		link := fmt.Sprintf("https://example.org/%d", i)
		batch = append(batch, feedmill.Item{Key: fmt.Sprint("guid:", i), Link: link, LinkKey: link, Title: fmt.Sprint("Story ", i),
			Hash: fmt.Sprint(i), Topics: []string{topic}, Published: now.Add(-time.Duration(200-i) * 24 * time.Hour)})
	}
	// The newest item by id is recent: retention never deletes the
	// highest id, and the test is about the windows.
	batch = append(batch, feedmill.Item{Key: "guid:recent", Title: "Recent", Hash: "r", Topics: []string{"sport"}, Published: now})
	if _, err := db.Ingest(ctx, feedmill.Batch{Feed: "src", URL: "https://source.example/rss", FetchedAt: now, Items: batch}); err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Outputs: []Output{
			{Output: feedgen.Output{Name: "war", BaseURL: "http://feeds.example"}, Select: feedmill.ItemQuery{Topics: []string{"war"}, Limit: 3}},
			{Output: feedgen.Output{Name: "all", BaseURL: "http://feeds.example"}, Select: feedmill.ItemQuery{Limit: 4}},
			{Output: feedgen.Output{Name: "peace-private", BaseURL: "http://feeds.example", Key: "0123456789abcdef"},
				Select: feedmill.ItemQuery{Topics: []string{"peace"}, Limit: 2}},
			// Its page holds nothing older than 185 days: items 16 and up.
			{Output: feedgen.Output{Name: "old-sport", BaseURL: "http://feeds.example"},
				Select: feedmill.ItemQuery{Topics: []string{"sport"}, ExcludeTopics: []string{"none"}, Limit: 50}, MaxAge: 185 * 24 * time.Hour},
		},
		Recheck: -1,
	}
	srv := httptest.NewServer(New(db, cfg))
	defer srv.Close()
	page := func(name, query string) []string {
		t.Helper()
		_, body := get(t, srv.URL+"/feeds/"+name+".json"+query)
		var doc struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
		}
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, body)
		}
		var ids []string
		for _, it := range doc.Items {
			ids = append(ids, it.ID)
		}
		return ids
	}
	queries := map[string]string{"war": "", "all": "", "peace-private": "?key=0123456789abcdef", "old-sport": ""}
	before := map[string][]string{}
	for name, q := range queries {
		before[name] = page(name, q)
	}

	window, err := cfg.Window(ctx, db, now)
	if err != nil {
		t.Fatal(err)
	}
	// war: 27 24 21; all: recent 29 28 27; peace: 28 25; sport since 185
	// days ago: recent 29 26 23 20 17. Eleven items in all.
	if want := 11; len(window) != want {
		t.Errorf("window holds %d items, want %d: %v", len(window), want, window)
	}
	res, err := db.Prune(ctx, storage.Retention{MaxAge: 90 * 24 * time.Hour, Protected: window})
	if err != nil {
		t.Fatal(err)
	}
	if res.Expired != 30-len(window)+1 || res.Protected != len(window)-1 {
		t.Errorf("Prune = %+v, want %d expired and %d protected", res, 30-len(window)+1, len(window)-1)
	}
	for name, q := range queries {
		if after := page(name, q); !slices.Equal(after, before[name]) || len(after) == 0 {
			t.Errorf("output %s: page after the prune %v, before %v", name, after, before[name])
		}
	}
	left, err := db.Items(ctx, feedmill.ItemQuery{})
	if err != nil || len(left) != len(window) {
		t.Errorf("%d items left (%v), want the %d in a window", len(left), err, len(window))
	}
}
