package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/feedgen"
	"github.com/feedmill/feedmill/storage"
	"github.com/mmcdole/gofeed"
)

var _ Store = (*storage.DB)(nil)

func setup(t *testing.T) (*storage.DB, *httptest.Server) {
	t.Helper()
	db, err := storage.Open(t.Context(), filepath.Join(t.TempDir(), "server.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	add(t, db, "guid:1", "https://example.org/1", "First story", "war")
	add(t, db, "guid:2", "https://example.org/2", "Second story", "peace")
	srv := httptest.NewServer(New(db, Config{
		Outputs: []Output{
			{Output: feedgen.Output{Name: "war", Title: "War", BaseURL: "http://feeds.example"}, Select: feedmill.ItemQuery{Topics: []string{"war"}, Limit: 10}},
			{Output: feedgen.Output{Name: "all", Title: "All", BaseURL: "http://feeds.example"}, Select: feedmill.ItemQuery{Limit: 10}},
			{Output: feedgen.Output{Name: "secret", Title: "Secret", BaseURL: "http://feeds.example", Key: "k3y"}, Select: feedmill.ItemQuery{Limit: 1}},
		},
		Sources: map[string]feedgen.SourceFeed{"src": {Title: "Source", URL: "https://source.example/rss"}},
		MaxAge:  15 * time.Minute,
		Recheck: -1, // every request reads the version: no waiting in tests
	}))
	t.Cleanup(srv.Close)
	return db, srv
}

func add(t *testing.T, db *storage.DB, key, link, title string, topics ...string) {
	t.Helper()
	_, err := db.Ingest(t.Context(), feedmill.Batch{Feed: "src", URL: "https://source.example/rss", FetchedAt: time.Now(),
		Items: []feedmill.Item{{Key: key, Link: link, LinkKey: link, Title: title, Hash: title, Topics: topics,
			Published: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(len(key)) * time.Hour)}}})
	if err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

func TestOutputs(t *testing.T) {
	_, srv := setup(t)
	tests := []struct {
		path, contentType string
		titles            []string
	}{
		{"/feeds/war.rss", "application/rss+xml; charset=utf-8", []string{"First story"}},
		{"/feeds/war.atom", "application/atom+xml; charset=utf-8", []string{"First story"}},
		{"/feeds/war.json", "application/feed+json; charset=utf-8", []string{"First story"}},
		{"/feeds/all.atom", "application/atom+xml; charset=utf-8", []string{"Second story", "First story"}},
	}
	for _, tt := range tests {
		resp, body := get(t, srv.URL+tt.path)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", tt.path, resp.StatusCode)
		}
		if got := resp.Header.Get("Content-Type"); got != tt.contentType {
			t.Errorf("GET %s: Content-Type %q, want %q", tt.path, got, tt.contentType)
		}
		if got := resp.Header.Get("Cache-Control"); got != "public, max-age=900" {
			t.Errorf("GET %s: Cache-Control %q", tt.path, got)
		}
		feed, err := gofeed.NewParser().Parse(strings.NewReader(body))
		if err != nil {
			t.Fatalf("GET %s: %v", tt.path, err)
		}
		var titles []string
		for _, it := range feed.Items {
			titles = append(titles, it.Title)
		}
		if strings.Join(titles, "|") != strings.Join(tt.titles, "|") {
			t.Errorf("GET %s: titles %q, want %q", tt.path, titles, tt.titles)
		}
	}
	for _, path := range []string{"/feeds/nope.rss", "/feeds/war.xml", "/feeds/war", "/nothing",
		"/feeds/secret.atom", "/feeds/secret.atom?key=k3", "/feeds/secret.atom?key=k3yy", "/feeds/secret.rss?x=1"} {
		if resp, _ := get(t, srv.URL+path); resp.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
		}
	}
}

// TestConditionalAndInvalidation: validators give 304 until the items
// change, and a change made through the database (as another process
// would) shows on the next request.
func TestConditionalAndInvalidation(t *testing.T) {
	db, srv := setup(t)
	url := srv.URL + "/feeds/all.rss"
	resp, body := get(t, url)
	etag, lastMod := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if etag == "" || lastMod == "" {
		t.Fatalf("no validators: %v", resp.Header)
	}
	if resp, _ := get(t, url, "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %d, want 304", resp.StatusCode)
	}
	if resp, _ := get(t, url, "If-Modified-Since", lastMod); resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-Modified-Since: %d, want 304", resp.StatusCode)
	}
	if _, again := get(t, url); again != body {
		t.Error("same items, different bytes")
	}

	add(t, db, "guid:333", "https://example.org/3", "Third story")
	resp, body2 := get(t, url, "If-None-Match", etag)
	if resp.StatusCode != 200 || !strings.Contains(body2, "Third story") {
		t.Fatalf("after a new item: %d, body has new item: %v", resp.StatusCode, strings.Contains(body2, "Third story"))
	}
	if resp.Header.Get("ETag") == etag {
		t.Error("ETag did not change with the content")
	}
}

func TestHealthAndIndex(t *testing.T) {
	db, srv := setup(t)
	if resp, body := get(t, srv.URL+"/healthz"); resp.StatusCode != 200 || !strings.Contains(body, `"database":"ok"`) {
		t.Errorf("healthz: %d %q", resp.StatusCode, body)
	}
	resp, body := get(t, srv.URL+"/")
	if resp.StatusCode != 200 || !strings.Contains(body, "http://feeds.example/feeds/war.atom") || !strings.Contains(body, "src") {
		t.Errorf("index: %d\n%s", resp.StatusCode, body)
	}
	db.Close()
	if resp, body := get(t, srv.URL+"/healthz"); resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, `"status":"unhealthy"`) {
		t.Errorf("healthz with the database closed: %d %s, want 503", resp.StatusCode, body)
	}
}
