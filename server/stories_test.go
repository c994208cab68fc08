package server

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/feedgen"
	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/stories"
	"github.com/mmcdole/gofeed"
)

// TestOnePerStory serves a one-per-story output over HTTP while a second
// source reports a story the output already shows: the entry keeps its id,
// gains a link to the new source and a later update time, and the cached
// document is rebuilt.
func TestOnePerStory(t *testing.T) {
	ctx := t.Context()
	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "stories.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetStories(stories.DefaultConfig())
	t0 := time.Date(2026, 8, 12, 9, 0, 0, 0, time.UTC)
	ingest := func(feed string, at time.Time, items ...feedmill.Item) {
		t.Helper()
		if _, err := db.Ingest(ctx, feedmill.Batch{Feed: feed, URL: "https://" + feed + ".example/rss", FetchedAt: at, Items: items}); err != nil {
			t.Fatal(err)
		}
	}
	item := func(link, title, lead string, published time.Time) feedmill.Item {
		return feedmill.Item{Key: "link:" + link, Link: link, LinkKey: link, Title: title, Content: "<p>" + lead + "</p>",
			Hash: title, Published: published}
	}
	ingest("wire", t0.Add(time.Hour),
		item("https://wire.example/quake", "Magnitude 7.4 earthquake strikes Cali, Colombia",
			"Rescuers in Cali search collapsed buildings after a magnitude 7.4 earthquake struck western Colombia on Monday night, President de La Espriella said.", t0),
		item("https://wire.example/budget", "French parliament approves budget after long debate",
			"Deputies in Paris voted for next year's budget after weeks of debate over pension spending.", t0.Add(10*time.Minute)))

	srv := httptest.NewServer(New(db, Config{
		Outputs: []Output{
			{Output: feedgen.Output{Name: "news", Title: "News", BaseURL: "http://feeds.example"}, Select: feedmill.ItemQuery{Limit: 10, OnePerStory: true}},
			{Output: feedgen.Output{Name: "all", Title: "All", BaseURL: "http://feeds.example"}, Select: feedmill.ItemQuery{Limit: 10}},
		},
		Sources: map[string]feedgen.SourceFeed{"daily": {Title: "The Daily <Planet>"}},
		MaxAge:  15 * time.Minute,
		Recheck: -1,
	}))
	defer srv.Close()

	parse := func(format string) (*gofeed.Feed, string) {
		t.Helper()
		resp, body := get(t, srv.URL+"/feeds/news."+format)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", format, resp.StatusCode)
		}
		f, err := gofeed.NewParser().ParseString(body)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		return f, resp.Header.Get("ETag")
	}
	quakeEntry := func(f *gofeed.Feed) *gofeed.Item {
		t.Helper()
		var found *gofeed.Item
		for _, it := range f.Items {
			if it.Link == "https://wire.example/quake" || it.Link == "https://daily.example/cali-quake" {
				if found != nil {
					t.Fatalf("the story is listed twice: %q and %q", found.Link, it.Link)
				}
				found = it
			}
		}
		if found == nil {
			t.Fatal("the story is not listed")
		}
		return found
	}

	before, etag := parse("atom")
	first := quakeEntry(before)
	if strings.Contains(first.Content, "Also reported by") {
		t.Errorf("one source only, yet: %s", first.Content)
	}

	ingest("daily", t0.Add(3*time.Hour), item("https://daily.example/cali-quake", "Colombia earthquake: rescuers search rubble in Cali",
		"A powerful earthquake hit Cali in western Colombia, collapsing buildings; President de La Espriella promised an emergency fund as rescuers dug through rubble.", t0.Add(40*time.Minute)))

	for _, format := range []string{"atom", "rss", "json"} {
		t.Run(format, func(t *testing.T) {
			after, etag2 := parse(format)
			if format == "atom" && etag2 == etag {
				t.Error("the document was not rebuilt when a source joined the story")
			}
			if len(after.Items) != 2 {
				t.Errorf("%d entries, want 2 (the story once, the budget)", len(after.Items))
			}
			e := quakeEntry(after)
			if e.Link != "https://wire.example/quake" || e.GUID != first.GUID {
				t.Errorf("entry %q (%s), want the earliest report with its id %s", e.Link, e.GUID, first.GUID)
			}
			content := e.Content // RSS content:encoded, Atom content, JSON content_html
			want := `Also reported by: <a href="https://daily.example/cali-quake">The Daily &lt;Planet&gt;</a>`
			if !strings.Contains(content, want) {
				t.Errorf("content %q lacks %q", content, want)
			}
			if format != "rss" {
				if e.UpdatedParsed == nil || !e.UpdatedParsed.After(*first.UpdatedParsed) {
					t.Errorf("updated %v, want later than %v", e.UpdatedParsed, first.UpdatedParsed)
				}
			}
		})
	}

	// The plain output lists both reports.
	_, body := get(t, srv.URL+"/feeds/all.atom")
	all, err := gofeed.NewParser().ParseString(body)
	if err != nil || len(all.Items) != 3 {
		t.Errorf("all: %d entries (%v), want 3", len(all.Items), err)
	}
}
