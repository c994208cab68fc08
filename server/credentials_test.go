package server

import (
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/feedgen"
	"github.com/feedmill/feedmill/storage"
)

// TestNoFeedCredentials checks that the public status page and the
// public outputs show feed URLs as scheme, host and path only: a feed's
// user, password and query token, and the same URL quoted in its last
// error, never reach readers.
func TestNoFeedCredentials(t *testing.T) {
	ctx := t.Context()
	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "creds.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := time.Now().UTC()
	const polled = "https://alice:sekrit1@members.example/rss.xml?token=sekrit2"
	if _, err := db.Ingest(ctx, feedmill.Batch{Feed: "members", URL: polled, Title: "Members", FetchedAt: now,
		Items: []feedmill.Item{{Key: "guid:1", Link: "https://members.example/1", LinkKey: "https://members.example/1",
			Title: "Members only", Hash: "m", Topics: []string{"war"}, Published: now}}}); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordPoll(ctx, feedmill.Batch{Feed: "members", URL: polled, FetchedAt: now, Outcome: feedmill.OutcomeFailed,
		Error: `members: Get "https://alice:xxxxx@members.example/rss.xml?token=sekrit2": dial tcp 127.0.0.1:9: connection refused`,
		State: feedmill.FetchState{Failures: 1, FailingSince: now}}); err != nil {
		t.Fatal(err)
	}
	s := New(db, Config{
		Outputs: []Output{{Output: feedgen.Output{Name: "war", BaseURL: "http://feeds.example"},
			Select: feedmill.ItemQuery{Topics: []string{"war"}, Limit: 10}}},
		Sources: map[string]feedgen.SourceFeed{"later": {URL: "https://bob:sekrit3@later.example/feed?api_key=sekrit4"}},
		Recheck: -1,
	})
	srv := httptest.NewServer(s)
	defer srv.Close()

	_, page := get(t, srv.URL+"/")
	for _, want := range []string{"https://members.example/rss.xml", "https://later.example/feed",
		`Get &#34;https://members.example/rss.xml&#34;: dial tcp 127.0.0.1:9: connection refused`} {
		if !strings.Contains(page, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
	for _, path := range []string{"/", "/feeds/war.rss", "/feeds/war.atom", "/feeds/war.json"} {
		_, body := get(t, srv.URL+path)
		for _, secret := range []string{"sekrit", "alice", "bob", "xxxxx"} {
			if strings.Contains(body, secret) {
				t.Errorf("%s shows %q", path, secret)
			}
		}
	}
	_, rss := get(t, srv.URL+"/feeds/war.rss")
	if !strings.Contains(rss, `url="https://members.example/rss.xml"`) {
		t.Errorf("the entry's source lost its feed URL:\n%s", rss)
	}
}
