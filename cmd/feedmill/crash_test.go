package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/storage"
)

// corpusFeeds serves up to n real feeds of the shared corpus, each under
// its own path, and returns the config lines for them.
func corpusFeeds(t *testing.T, n int) (feedsYAML string) {
	t.Helper()
	shared := sharedDir(t)
	var files []string
	for _, dir := range []string{"news", "news-2026"} {
		m, _ := filepath.Glob(filepath.Join(shared, "corpus", dir, "*", "*.xml"))
		files = append(files, m...)
	}
	sort.Strings(files)
	files = files[:min(n, len(files))]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var i int
		if _, err := fmt.Sscanf(r.URL.Path, "/f%d", &i); err != nil || i >= len(files) {
			http.NotFound(w, r)
			return
		}
		body, err := os.ReadFile(files[i])
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	var b strings.Builder
	for i := range files {
		fmt.Fprintf(&b, "  - name: f%03d\n    url: %s/f%d\n", i, srv.URL, i)
	}
	return b.String()
}

func countItems(t *testing.T, path string) int {
	t.Helper()
	db, err := storage.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("the database does not open after a crash: %v", err)
	}
	defer db.Close()
	if err := db.Verify(t.Context()); err != nil {
		t.Fatalf("after a crash: %v", err)
	}
	items, err := db.Items(t.Context(), feedmill.ItemQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return len(items)
}

// TestKillDuringIngest kills the daemon with SIGKILL 20 times in the middle
// of a large ingest: the database must stay intact, no item half-stored,
// nothing committed lost, and the next poll must complete the work.
func TestKillDuringIngest(t *testing.T) {
	feeds := corpusFeeds(t, 100)
	dir := t.TempDir()
	write := func(name, db string) string {
		path := filepath.Join(dir, name)
		cfg := fmt.Sprintf("database: %s\nlisten: %s\nschedule: \"@every 1000h\"\nconcurrency: 4\nkeep_raw: 0s\nfeeds:\n%s"+
			"topics:\n  - name: russia\n    match: russia OR moscow OR putin\n", db, freeAddr(t), feeds)
		if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// The reference: one uninterrupted fetch into its own database.
	ref := write("ref.yaml", "ref.db")
	if r := runFeedmill(t, nil, "--config", ref, "fetch"); r.code != 0 {
		t.Fatalf("reference fetch: %s%s", r.stdout, r.stderr)
	}
	want := countItems(t, filepath.Join(dir, "ref.db"))

	cfg := write("crash.yaml", "crash.db")
	dbPath := filepath.Join(dir, "crash.db")
	prev := 0
	var counts []int
	for i := range 20 {
		cmd := exec.Command(binary, "--config", cfg, "serve")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Later runs live a little longer, so kills land at every stage:
		// opening, migrating, fetching, in the middle of a transaction.
		time.Sleep(time.Duration(30+i*25) * time.Millisecond)
		if i == 10 {
			// A backup while the daemon writes.
			r := runFeedmill(t, nil, "--config", cfg, "backup", filepath.Join(dir, "backup.db"))
			if r.code != 0 || !strings.Contains(r.stdout, "integrity ok") {
				t.Errorf("backup while serving: %d %s%s", r.code, r.stdout, r.stderr)
			}
		}
		cmd.Process.Kill()
		cmd.Wait()
		n := countItems(t, dbPath)
		if n < prev {
			t.Fatalf("kill %d: %d items, %d before: committed items lost", i, n, prev)
		}
		prev = n
		counts = append(counts, n)
	}
	t.Logf("items after each kill: %v (complete: %d)", counts, want)
	if counts[0] == want {
		t.Log("note: the first run finished before its kill")
	}
	if r := runFeedmill(t, nil, "--config", cfg, "fetch"); r.code != 0 {
		t.Fatalf("fetch after the crashes: %s%s", r.stdout, r.stderr)
	}
	if got := countItems(t, dbPath); got != want {
		t.Errorf("after the crashes and one more poll: %d items, want %d as without crashes", got, want)
	}
	if n := countItems(t, filepath.Join(dir, "backup.db")); n == 0 {
		t.Log("the backup was taken before any item was stored")
	}
}
