package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// TestTrackingParams checks the tracking_params key end to end: two feeds
// carry one article under links that differ only in parameters the
// configuration names (a plain name and a prefix), and a built-in
// parameter kept with "-name" stays in the link. The article is stored
// once, with both sources.
func TestTrackingParams(t *testing.T) {
	rss := func(link string) string {
		return `<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://news.example.com/</link>
<description>d</description><item><title>Ceasefire talks resume in Geneva</title><link>` + link + `</link>
<description>Delegations met on Monday.</description><pubDate>Mon, 23 Nov 2026 08:00:00 GMT</pubDate></item></channel></rss>`
	}
	docs := map[string]string{
		"/a": rss("https://news.example.com/world/geneva-talks?partner=rss&amp;ref=home&amp;utm_source=a"),
		"/b": rss("http://www.news.example.com/world/geneva-talks/?ref=home&amp;sp_mid=991&amp;sp_rid=x&amp;partner=social"),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, docs[r.URL.Path])
	}))
	defer srv.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	err := os.WriteFile(cfg, []byte(fmt.Sprintf(`tracking_params: [partner, "sp_*", -ref]
feeds:
  - {name: a, url: %s/a}
  - {name: b, url: %s/b}
`, srv.URL, srv.URL)), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	// One feed after the other, so that the item's link is a's form: the
	// first feed to carry an article gives it its link.
	for _, feed := range []string{"a", "b"} {
		if r := runFeedmill(t, nil, "--config", cfg, "fetch", feed); r.code != 0 {
			t.Fatalf("fetch %s: exit %d\n%s%s", feed, r.code, r.stdout, r.stderr)
		}
	}
	r := runFeedmill(t, nil, "--config", cfg, "items", "--json")
	type source struct{ Feed, Link string }
	items := decodeLines[struct {
		Link    string
		Sources []source
	}](t, r.stdout)
	if len(items) != 1 {
		t.Fatalf("%d items, want 1 (the same article from two feeds):\n%s", len(items), r.stdout)
	}
	if want := "https://news.example.com/world/geneva-talks?ref=home"; items[0].Link != want {
		t.Errorf("link %q, want %q", items[0].Link, want)
	}
	if len(items[0].Sources) != 2 {
		t.Errorf("sources %v, want both feeds", items[0].Sources)
	}
}
