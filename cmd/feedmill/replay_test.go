package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestReplay: raw bodies are kept; replaying them gives the same items as
// the fetches did, and a changed rule reaches items already stored.
func TestReplay(t *testing.T) {
	shared := sharedDir(t)
	files, _ := filepath.Glob(filepath.Join(shared, "corpus", "news", "bbc-news-home", "*.xml"))
	if len(files) < 3 {
		t.Skip("bbc-news-home snapshots not found")
	}
	files = files[:3]
	var mu sync.Mutex
	poll := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		body, err := os.ReadFile(files[poll])
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Write(body)
	}))
	defer srv.Close()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	writeCfg := func(extraTopic string) {
		cfg := fmt.Sprintf("database: replay.db\nkeep_raw: 30d\nfeeds:\n  - name: bbc\n    url: %s\ntopics:\n  - name: afghanistan\n    match: afghanistan OR taliban OR kabul\n%s", srv.URL, extraTopic)
		if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeCfg("")
	for p := range files {
		mu.Lock()
		poll = p
		mu.Unlock()
		if r := runFeedmill(t, nil, "--config", cfgPath, "fetch"); r.code != 0 {
			t.Fatalf("fetch %d: %s%s", p, r.stdout, r.stderr)
		}
	}
	items := func() []itemLine {
		r := runFeedmill(t, nil, "--config", cfgPath, "items", "--json", "--limit", "0")
		if r.code != 0 {
			t.Fatal(r.stderr)
		}
		return decodeLines[itemLine](t, r.stdout)
	}
	before := items()

	r := runFeedmill(t, nil, "--config", cfgPath, "replay", "--since", "100000h")
	if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("replayed %d fetches (0 failed)", len(files))) {
		t.Fatalf("replay: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if after := items(); !reflect.DeepEqual(before, after) {
		t.Errorf("replay changed the items:\nbefore %d items, after %d", len(before), len(after))
	}

	// A new rule, replayed over what was fetched.
	writeCfg("  - name: world\n    match: title:(world OR us OR uk OR covid)\n")
	if r := runFeedmill(t, nil, "--config", cfgPath, "replay", "--since", "100000h", "--feed", "bbc"); r.code != 0 {
		t.Fatalf("replay: %s%s", r.stdout, r.stderr)
	}
	after := items()
	if len(after) != len(before) {
		t.Fatalf("replay changed the number of items: %d, was %d", len(after), len(before))
	}
	tagged := 0
	for i, it := range after {
		if it.ID != before[i].ID || it.Link != before[i].Link {
			t.Errorf("item %d changed identity in replay: %+v -> %+v", i, before[i], it)
		}
		if slices.Contains(it.Topics, "world") {
			tagged++
		}
	}
	if tagged == 0 {
		t.Error("the new rule reached no stored item")
	}
	if r := runFeedmill(t, nil, "--config", cfgPath, "replay", "--feed", "nope"); r.code != 2 {
		t.Errorf("replay of an unknown feed: exit %d", r.code)
	}
}
