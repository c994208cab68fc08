package poller

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/storage"
)

// rssItem is one item of a generated RSS document; guid and link may be
// empty, so that every kind of item key occurs.
type rssItem struct {
	guid, link, title string
	published         time.Time
}

func rssDocument(items []rssItem) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Retention</title><link>http://news.example/</link>`)
	for _, it := range items {
		b.WriteString("<item><title>" + it.title + "</title><description>About " + it.title + ".</description>")
		if it.guid != "" {
			b.WriteString(`<guid isPermaLink="false">` + it.guid + "</guid>")
		}
		if it.link != "" {
			b.WriteString("<link>" + it.link + "</link>")
		}
		b.WriteString("<pubDate>" + it.published.Format(time.RFC1123Z) + "</pubDate></item>")
	}
	b.WriteString("</channel></rss>")
	return b.String()
}

// TestDeletedItemsAreNotPolledAgain: the items retention deleted are still
// in the feed's document on the next poll; they are neither stored again
// nor counted as new, whatever identifies them (guid, link, content hash).
// Once the document drops them, their tombstones can go.
func TestDeletedItemsAreNotPolledAgain(t *testing.T) {
	ctx := t.Context()
	now := time.Now()
	old := now.Add(-200 * 24 * time.Hour)
	doc := []rssItem{
		{guid: "old-guid", link: "http://news.example/old-1", title: "Old story with a guid", published: old},
		{link: "http://news.example/old-2", title: "Old story with a link only", published: old.Add(time.Hour)},
		{title: "Old story with neither", published: old.Add(2 * time.Hour)},
		{guid: "recent-1", link: "http://news.example/recent-1", title: "Recent story", published: now.Add(-time.Hour)},
		{guid: "recent-2", link: "http://news.example/recent-2", title: "Newest story", published: now},
	}
	var mu sync.Mutex
	body := rssDocument(doc)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, body)
	}))
	defer srv.Close()
	serve := func(items []rssItem) {
		mu.Lock()
		body = rssDocument(items)
		mu.Unlock()
	}
	db := openDB(t)
	p := newPipeline(t, db)
	f := Feed{Name: "news", URL: srv.URL}
	poll := func(step string, want feedmill.IngestResult, stored int) {
		t.Helper()
		rep := p.Poll(ctx, f)
		if rep.Err != nil {
			t.Fatalf("%s: %v", step, rep.Err)
		}
		if got := rep.Result; got.New != want.New || got.Merged != want.Merged || got.Updated != want.Updated || got.Seen != want.Seen {
			t.Errorf("%s: %+v, want %+v", step, rep.Result, want)
		}
		items, err := db.Items(ctx, feedmill.ItemQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != stored {
			t.Errorf("%s: %d items stored, want %d", step, len(items), stored)
		}
	}

	poll("first poll", feedmill.IngestResult{New: 5}, 5)
	res, err := db.Prune(ctx, storage.Retention{MaxAge: 90 * 24 * time.Hour})
	if err != nil || res.Expired != 3 {
		t.Fatalf("Prune = %+v, %v; want the 3 old items deleted", res, err)
	}
	// The document changes (a new item) and still carries the old ones.
	doc = append(doc, rssItem{guid: "recent-3", link: "http://news.example/recent-3", title: "A third story", published: now})
	serve(doc)
	poll("poll after the prune", feedmill.IngestResult{New: 1, Seen: 5}, 3)
	// Changed content does not bring a deleted item back either.
	doc[0].title = "Old story with a guid, corrected"
	serve(doc)
	poll("a deleted item changed", feedmill.IngestResult{Seen: 6}, 3)

	// While the document carries them, tombstones stay, however short
	// keep_keys is; once a parse no longer finds them, they go.
	if res, err = db.Prune(ctx, storage.Retention{KeepKeys: time.Nanosecond}); err != nil || res.TombstonesPruned != 0 {
		t.Errorf("Prune while the document carries the deleted items: %+v, %v; want no tombstone pruned", res, err)
	}
	serve(doc[3:])
	poll("the document dropped the old items", feedmill.IngestResult{Seen: 3}, 3)
	res, err = db.Prune(ctx, storage.Retention{KeepKeys: time.Nanosecond})
	if err != nil || res.TombstonesPruned != 5 {
		t.Errorf("Prune = %+v, %v; want 5 tombstones pruned (3 keys, 2 links)", res, err)
	}
}
