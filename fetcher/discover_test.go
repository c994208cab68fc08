package fetcher

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/feedmill/feedmill"
)

const pageWithFeeds = `<!DOCTYPE html>
<html><head><title>A blog</title>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/rss+xml" title="RSS" href="/feed.xml">
<LINK REL="Alternate" TYPE="application/atom+xml" HREF="atom.xml">
<link rel="alternate" type="application/feed+json" href="https://cdn.example.net/feed.json">
<link rel="alternate" type="application/rss+xml" href="/feed.xml">
<link rel="alternate" type="text/html" hreflang="fr" href="/fr/">
<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
<link rel="alternate stylesheet" type="application/rss+xml" href="comments.rss">
</head><body><p>Hello</p></body></html>`

const pageWithBase = `<html><head><base href="https://static.example.com/blog/">
<link rel="alternate" type="application/rss+xml" href="rss">
</head></html>`

func TestNotAFeedHTML(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/blog/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(pageWithFeeds))
	})
	mux.HandleFunc("/based", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(pageWithBase)) })
	mux.HandleFunc("/bare", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<p>no head, no doctype</p>"))
	})
	mux.HandleFunc("/feed.xml", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(rssDoc)) })
	mux.HandleFunc("/old-feed", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/feed.xml", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/tmp-feed", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/feed.xml", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	f := New(Options{})

	blogFeeds := []string{srv.URL + "/feed.xml", srv.URL + "/blog/atom.xml", "https://cdn.example.net/feed.json", srv.URL + "/blog/comments.rss"}
	tests := []struct {
		path     string
		feeds    []string // Discover's answer
		fetchErr string   // Fetch's error
	}{
		{path: "/blog/", feeds: blogFeeds, fetchErr: "not a feed: got an HTML page; it links to " + strings.Join(blogFeeds, ", ")},
		{path: "/based", feeds: []string{"https://static.example.com/blog/rss"}, fetchErr: "not a feed: got an HTML page; it links to https://static.example.com/blog/rss"},
		{path: "/bare", fetchErr: "not a feed: got an HTML page"},
		{path: "/feed.xml", feeds: []string{srv.URL + "/feed.xml"}},
		{path: "/old-feed", feeds: []string{srv.URL + "/feed.xml"}},
		{path: "/tmp-feed", feeds: []string{srv.URL + "/tmp-feed"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			_, err := f.Fetch(t.Context(), srv.URL+tt.path, feedmill.FetchState{})
			if tt.fetchErr != "" {
				if err == nil || err.Error() != tt.fetchErr {
					t.Errorf("Fetch err = %v, want %q", err, tt.fetchErr)
				}
				nf, ok := errors.AsType[*NotAFeedError](err)
				if !ok || !errors.Is(err, feedmill.ErrNotAFeed) || !slices.Equal(nf.Alternates, tt.feeds) {
					t.Errorf("Fetch err = %#v, want a NotAFeedError with %v", err, tt.feeds)
				}
			} else if err != nil {
				t.Errorf("Fetch: %v", err)
			}

			feeds, err := f.Discover(t.Context(), srv.URL+tt.path)
			if tt.feeds == nil {
				if !errors.Is(err, feedmill.ErrNotAFeed) {
					t.Errorf("Discover = %v, %v; want ErrNotAFeed", feeds, err)
				}
				return
			}
			if err != nil || !slices.Equal(feeds, tt.feeds) {
				t.Errorf("Discover = %v, %v; want %v", feeds, err, tt.feeds)
			}
		})
	}
}
