package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/normalize"
	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/storage/backend"
)

// contentItem is an item with its own guid and link whose content key is
// computed from title and content as normalization computes it.
func contentItem(guid, title, content string) feedmill.Item {
	link := "https://news.example/" + guid
	return feedmill.Item{Key: "guid:" + guid, GUID: guid, Link: link, LinkKey: "key:" + link,
		ContentKey: normalize.ContentKey(title, content), Title: title, Content: content,
		Hash: "h:" + guid + content, Published: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

// withLink gives it the link of the item with guid.
func withLink(it feedmill.Item, guid string) feedmill.Item {
	it.Link = "https://news.example/" + guid
	it.LinkKey = "key:" + it.Link
	return it
}

// testContentDedup checks that an article republished with a new guid and a
// new link, in the same feed or another one, is stored once with every
// source, while a different body or a body too short to tell articles apart
// keeps items apart.
func testContentDedup(t *testing.T, newDB func(*testing.T) (backend.Store, string)) {
	ctx := t.Context()
	db, _ := newDB(t)
	at := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	const (
		title = "Parliament passes the budget after a night of talks"
		body  = "<p>The parliament passed the budget for next year on Tuesday morning after negotiators talked through the night.</p>"
		// The same text with other markup, case and spacing.
		body2 = "<div><b>The Parliament</b> passed   the budget for next year\n on Tuesday morning after negotiators talked through the night.</div>"
		other = "<p>The parliament rejected the budget for next year on Tuesday morning after negotiators failed to agree overnight.</p>"
		short = "<p>Follow the latest.</p>"
	)
	steps := []struct {
		name  string
		feed  string
		items []feedmill.Item
		want  feedmill.IngestResult
		count int
	}{
		{"first", "a", []feedmill.Item{contentItem("a1", title, body)}, feedmill.IngestResult{New: 1}, 1},
		{"another feed, new guid and link, same title and body", "b",
			[]feedmill.Item{contentItem("b1", "  PARLIAMENT passes the budget after a night of talks", body2)},
			feedmill.IngestResult{Merged: 1, Dedup: feedmill.DedupCounts{Content: 1}}, 1},
		{"same feed republishes under a new guid and link", "a", []feedmill.Item{contentItem("a2", title, body)},
			feedmill.IngestResult{Merged: 1, Dedup: feedmill.DedupCounts{Content: 1}}, 1},
		{"same title, different body", "c", []feedmill.Item{contentItem("c1", title, other)}, feedmill.IngestResult{New: 1}, 2},
		{"same title and short body in two feeds", "c", []feedmill.Item{contentItem("c2", "Live updates", short)}, feedmill.IngestResult{New: 1}, 3},
		{"short body again", "d", []feedmill.Item{contentItem("d1", "Live updates", short)}, feedmill.IngestResult{New: 1}, 4},
		{"an item of its own", "d", []feedmill.Item{contentItem("d2", "Draft", other+other)}, feedmill.IngestResult{New: 1}, 5},
		{"its content changes into the article's", "d", []feedmill.Item{contentItem("d2", title, body)},
			feedmill.IngestResult{Updated: 1, Dedup: feedmill.DedupCounts{GUID: 1, Content: 1}}, 4},
		// The article is known under the links it was merged with.
		{"a link it was republished under", "e", []feedmill.Item{withLink(contentItem("e1", "Budget", short), "b1")},
			feedmill.IngestResult{Merged: 1, Dedup: feedmill.DedupCounts{Link: 1}}, 4},
		// An item found by its link is known under its content too: the
		// item of feed c with the other body is the same article as the
		// one that carries its link, and they merge.
		{"link of one, content of another", "f", []feedmill.Item{withLink(contentItem("f1", title, other), "a1")},
			feedmill.IngestResult{Merged: 1, Dedup: feedmill.DedupCounts{Link: 1, Content: 1}}, 3},
	}
	for _, s := range steps {
		got := ingest(t, db, feedmill.Batch{Feed: s.feed, URL: "http://" + s.feed + "/", FetchedAt: at, Items: s.items})
		if got.New != s.want.New || got.Merged != s.want.Merged || got.Updated != s.want.Updated || got.Dedup != s.want.Dedup {
			t.Errorf("%s: result %+v, want %+v", s.name, got, s.want)
		}
		items, err := db.Items(ctx, feedmill.ItemQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != s.count {
			t.Errorf("%s: %d items stored, want %d: %s", s.name, len(items), s.count, titles(items))
		}
	}
	items, err := db.Items(ctx, feedmill.ItemQuery{Feed: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 {
		t.Fatalf("feed b has %d items, want the one article", len(items))
	}
	var links []string
	for _, s := range items[0].Sources {
		links = append(links, s.Feed+" "+s.Link)
	}
	slices.Sort(links)
	want := []string{"a https://news.example/a1", "a https://news.example/a2", "b https://news.example/b1",
		"c https://news.example/c1", "d https://news.example/d2", "e https://news.example/b1", "f https://news.example/a1"}
	if !slices.Equal(links, want) {
		t.Errorf("article sources = %q, want %q", links, want)
	}
	if err := db.Verify(ctx); err != nil {
		t.Errorf("Verify: %v", err)
	}
	// Retention deletes the article (all but the newest item are old): its
	// content key is tombstoned with its links, so a copy republished
	// under yet another guid and link is not stored again.
	if _, err := db.Prune(ctx, storage.Retention{MaxAge: 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	got := ingest(t, db, feedmill.Batch{Feed: "g", URL: "http://g/", FetchedAt: at, Items: []feedmill.Item{contentItem("g1", title, body)}})
	if got.New != 0 || got.Seen != 1 || got.Dedup != (feedmill.DedupCounts{Content: 1}) {
		t.Errorf("a deleted article republished: %+v, want seen by its content", got)
	}
	if items, _ := db.Items(ctx, feedmill.ItemQuery{Feed: "g"}); len(items) != 0 {
		t.Errorf("a deleted article came back: %s", titles(items))
	}
}
