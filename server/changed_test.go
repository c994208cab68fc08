package server

import (
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/feedgen"
	"github.com/feedmill/feedmill/storage"
)

// TestChanged checks the change notification WebSub relies on: Refresh
// builds every output in every format once, a later Refresh reports only
// the outputs whose bytes changed, and a request that rebuilds an output
// reports it too (once, however many requests follow).
func TestChanged(t *testing.T) {
	db, err := storage.Open(t.Context(), filepath.Join(t.TempDir(), "changed.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	add(t, db, "guid:1", "https://example.org/1", "First story", "war")
	var mu sync.Mutex
	var got []string
	s := New(db, Config{
		Outputs: []Output{
			{Output: feedgen.Output{Name: "war", BaseURL: "http://feeds.example", Hub: "http://feeds.example/websub"},
				Select: feedmill.ItemQuery{Topics: []string{"war"}, Limit: 10}},
			{Output: feedgen.Output{Name: "peace", BaseURL: "http://feeds.example", Key: "0123456789abcdef"},
				Select: feedmill.ItemQuery{Topics: []string{"peace"}, Limit: 10}},
		},
		Recheck: -1,
		Changed: func(d Document) {
			mu.Lock()
			defer mu.Unlock()
			if d.ContentType != d.Format.ContentType() || len(d.Body) == 0 || d.ETag == "" {
				t.Errorf("%s: incomplete document %+v", d.URL, d)
			}
			got = append(got, d.URL)
		},
	})
	changes := func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := got
		got = nil
		slices.Sort(out)
		return out
	}
	refresh := func() {
		if err := s.Refresh(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	urls := func(name, key string) []string {
		var out []string
		for _, f := range feedgen.Formats {
			out = append(out, feedgen.Output{Name: name, BaseURL: "http://feeds.example", Key: key}.URL(f))
		}
		slices.Sort(out)
		return out
	}

	refresh()
	if want := append(urls("peace", "0123456789abcdef"), urls("war", "")...); !slices.Equal(changes(), want) {
		t.Errorf("first refresh did not report every output %v", want)
	}
	refresh()
	if c := changes(); len(c) != 0 {
		t.Errorf("nothing changed, yet reported %v", c)
	}

	// A new war item changes the war output only; the peace output is
	// rebuilt (the items version moved) with the same bytes.
	add(t, db, "guid:22", "https://example.org/2", "Second story", "war")
	refresh()
	if c, want := changes(), urls("war", ""); !slices.Equal(c, want) {
		t.Errorf("after a war item: reported %v, want %v", c, want)
	}

	// A request that finds the items changed reports the change; the
	// refresh after it has nothing more to say.
	add(t, db, "guid:333", "https://example.org/3", "Third story", "peace")
	if _, err := s.document(t.Context(), s.outputs["peace"], feedgen.Atom); err != nil {
		t.Fatal(err)
	}
	if c := changes(); !slices.Equal(c, []string{"http://feeds.example/feeds/peace.atom?key=0123456789abcdef"}) {
		t.Errorf("after a request: reported %v", c)
	}
	refresh()
	if c, want := changes(), []string{"http://feeds.example/feeds/peace.json?key=0123456789abcdef",
		"http://feeds.example/feeds/peace.rss?key=0123456789abcdef"}; !slices.Equal(c, want) {
		t.Errorf("refresh after a request: reported %v, want %v", c, want)
	}
}

// TestHubLinkHeader: an output with a hub announces it and its topic in a
// Link header too, which WebSub subscribers look at before the document.
func TestHubLinkHeader(t *testing.T) {
	db, err := storage.Open(t.Context(), filepath.Join(t.TempDir(), "link.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	add(t, db, "guid:1", "https://example.org/1", "First story")
	ts := httptest.NewServer(New(db, Config{Outputs: []Output{
		{Output: feedgen.Output{Name: "all", BaseURL: "http://feeds.example", Hub: "http://feeds.example/websub"}, Select: feedmill.ItemQuery{Limit: 10}},
		{Output: feedgen.Output{Name: "nohub", BaseURL: "http://feeds.example"}, Select: feedmill.ItemQuery{Limit: 10}},
	}, Recheck: -1}))
	t.Cleanup(ts.Close)
	srv := ts.URL
	for _, f := range feedgen.Formats {
		resp, _ := get(t, srv+"/feeds/all."+string(f))
		want := `<http://feeds.example/websub>; rel="hub", <http://feeds.example/feeds/all.` + string(f) + `>; rel="self"`
		if got := resp.Header.Get("Link"); got != want {
			t.Errorf("%s: Link %q, want %q", f, got, want)
		}
		if resp, _ := get(t, srv+"/feeds/nohub."+string(f)); resp.Header.Get("Link") != "" {
			t.Errorf("%s without a hub: Link %q", f, resp.Header.Get("Link"))
		}
	}
}

// BenchmarkRefresh measures what WebSub's watch costs serve: a Refresh
// when nothing changed (its tick every second; with Recheck -1 the items
// version is read for each of the nine documents, an upper bound of the
// one read serve makes) against one after a change (every
// output rebuilt: three 50-entry outputs in three formats, rendered and
// gzipped), in one run.
func BenchmarkRefresh(b *testing.B) {
	db, err := storage.Open(b.Context(), filepath.Join(b.TempDir(), "refresh.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var items []feedmill.Item
	for i := range 150 {
		link := fmt.Sprintf("https://news.example/story/%d", i)
		items = append(items, feedmill.Item{Key: fmt.Sprintf("guid:%d", i), Link: link, LinkKey: link,
			Title: fmt.Sprintf("Story number %d", i), Content: "<p>" + strings.Repeat("Talks went on. ", 60) + "</p>",
			Hash: fmt.Sprint(i), Topics: []string{[]string{"a", "b", "c"}[i%3]},
			Published: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)})
	}
	if _, err := db.Ingest(b.Context(), feedmill.Batch{Feed: "wire", URL: "https://wire.example/rss", FetchedAt: time.Now(), Items: items}); err != nil {
		b.Fatal(err)
	}
	var outs []Output
	for _, t := range []string{"a", "b", "c"} {
		outs = append(outs, Output{Output: feedgen.Output{Name: t, BaseURL: "http://127.0.0.1", Hub: "http://127.0.0.1/websub"},
			Select: feedmill.ItemQuery{Topics: []string{t}, Limit: 50}})
	}
	cfg := Config{Outputs: outs, Recheck: -1, Changed: func(Document) {}}
	s := New(db, cfg)
	if err := s.Refresh(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.Run("unchanged", func(b *testing.B) {
		for b.Loop() {
			if err := s.Refresh(b.Context()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("changed", func(b *testing.B) {
		for b.Loop() {
			// A new server has built nothing: as after a change of items
			// in every output.
			if err := New(db, cfg).Refresh(b.Context()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
