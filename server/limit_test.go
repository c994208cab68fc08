package server

import (
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/feedgen"
	"github.com/feedmill/feedmill/storage"
)

// TestZeroLimit checks that an output built without a limit (Limit 0, as
// a caller forgetting the config default passes) pages at DefaultLimit:
// Refresh, which the WebSub watcher calls outside net/http's recovery,
// used to panic on it, and Window protected nothing sensible.
func TestZeroLimit(t *testing.T) {
	db, err := storage.Open(t.Context(), filepath.Join(t.TempDir(), "limit.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for i := range DefaultLimit + 10 {
		add(t, db, fmt.Sprintf("guid:%03d", i), fmt.Sprintf("https://example.org/%d", i), fmt.Sprintf("Story %d", i), "war")
	}
	cfg := Config{Outputs: []Output{{Output: feedgen.Output{Name: "war", BaseURL: "http://feeds.example"},
		Select: feedmill.ItemQuery{Topics: []string{"war"}}}}, Recheck: -1}
	s := New(db, cfg)
	if err := s.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	resp, body := get(t, srv.URL+"/feeds/war.json")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if n := strings.Count(body, `"id":`); n != DefaultLimit {
		t.Errorf("page has %d items, want %d", n, DefaultLimit)
	}
	if !strings.Contains(body, `"next_url"`) {
		t.Errorf("page has no link to the older page:\n%.300s", body)
	}
	ids, err := cfg.Window(t.Context(), db, s.now())
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != DefaultLimit {
		t.Errorf("Window kept %d items, want %d", len(ids), DefaultLimit)
	}
}
