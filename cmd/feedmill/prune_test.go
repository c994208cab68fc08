package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"
)

// writeRSS writes an RSS document of old items (300 days old), then
// recent ones, to path.
func writeRSS(t *testing.T, path string, old, recent int) {
	t.Helper()
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Archive</title><link>http://archive.example/</link>`)
	now := time.Now()
	for i := range old + recent {
		published := now.Add(-time.Duration(old+recent-i) * time.Minute)
		if i < old {
			published = published.Add(-300 * 24 * time.Hour)
		}
		fmt.Fprintf(&b, "<item><title>Story %d</title><guid>story-%d</guid><link>http://archive.example/%d</link><description>Text of story %d.</description><pubDate>%s</pubDate></item>",
			i, i, i, i, published.Format(time.RFC1123Z))
	}
	b.WriteString("</channel></rss>")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// pruneCounts returns the stored items and the tombstones (one per deleted
// item of a single feed), after checking the database.
func pruneCounts(t *testing.T, path string) (items, tombstones int) {
	t.Helper()
	n := countItems(t, path) // verifies the database
	db, err := storage.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := db.PruneStats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n, int(st.Tombstones)
}

// TestPruneCommand runs `feedmill prune` on a feed's archive: a dry run
// changes nothing, kill -9 in the middle of a prune leaves a consistent
// database in which every item is either stored or deleted with its key
// kept, the prune completes, and the next poll of the same document
// stores only the item that is really new.
func TestPruneCommand(t *testing.T) {
	dir := t.TempDir()
	const old, recent = 1200, 10
	feed := filepath.Join(dir, "archive.xml")
	writeRSS(t, feed, old, recent)
	db := filepath.Join(dir, "feedmill.db")
	cfg := filepath.Join(dir, "config.yaml")
	yaml := "database: feedmill.db\nlisten: " + freeAddr(t) + "\nkeep_raw: 0s\nfeeds:\n  - name: archive\n    url: file:archive.xml\n" +
		"outputs:\n  - name: all\n    limit: 5\nretention:\n  max_age: 90d\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runFeedmill(t, nil, "--config", cfg, "fetch"); r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("%d new", old+recent)) {
		t.Fatalf("fetch: %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	r := runFeedmill(t, nil, "--config", cfg, "prune", "--dry-run", "--json")
	got := decodeLines[map[string]any](t, r.stdout)
	if r.code != 0 || len(got) != 1 || got[0]["deleted"] != float64(old) || got[0]["dry_run"] != true {
		t.Fatalf("prune --dry-run: %d %v\n%s", r.code, got, r.stderr)
	}
	if n, tombs := pruneCounts(t, db); n != old+recent || tombs != 0 {
		t.Fatalf("after a dry run: %d items, %d tombstones", n, tombs)
	}

	// kill -9 at random moments of a prune, once it has deleted something.
	watch, err := storage.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close()
	midway := 0
	for i := range 3 {
		before, _ := watch.PruneStats(t.Context())
		cmd := exec.Command(binary, "--config", cfg, "--log-level", "error", "prune")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
	wait:
		for {
			select {
			case <-exited:
				break wait
			case <-time.After(2 * time.Millisecond):
			}
			if st, err := watch.PruneStats(t.Context()); err == nil && st.Tombstones > before.Tombstones {
				time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
				break
			}
		}
		cmd.Process.Kill()
		<-exited
		n, tombs := pruneCounts(t, db)
		if n+tombs != old+recent || n < recent {
			t.Fatalf("kill %d: %d items and %d deleted ones, want %d in all, the %d recent ones stored", i, n, tombs, old+recent, recent)
		}
		if st, err := watch.PruneStats(t.Context()); err != nil || st.ItemsPruned != int64(tombs) {
			t.Errorf("kill %d: %d items counted as pruned, %d deleted (%v)", i, st.ItemsPruned, tombs, err)
		}
		if n > recent {
			midway++
		}
		t.Logf("kill %d: %d items left", i, n)
	}
	if midway == 0 {
		t.Error("no kill landed in the middle of a prune")
	}

	r = runFeedmill(t, nil, "--config", cfg, "prune")
	if r.code != 0 || !strings.Contains(r.stdout, "older than 2160h0m0s") {
		t.Fatalf("prune: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if n, tombs := pruneCounts(t, db); n != recent || tombs != old {
		t.Fatalf("after prune: %d items, %d tombstones; want %d, %d", n, tombs, recent, old)
	}

	// The feed still carries its archive, and one more item.
	writeRSS(t, feed, old, recent+1)
	r = runFeedmill(t, nil, "--config", cfg, "fetch", "--json")
	lines := decodeLines[map[string]any](t, r.stdout)
	if r.code != 0 || len(lines) == 0 || lines[0]["new"] != float64(1) {
		t.Errorf("fetch after prune: %d %v\n%s", r.code, lines, r.stderr)
	}
	if n, _ := pruneCounts(t, db); n != recent+1 {
		t.Errorf("after the next fetch: %d items, want %d", n, recent+1)
	}
}

// TestServeAppliesRetention: the daemon applies retention on its own every
// retention.interval, logs it, and keeps what the outputs show.
func TestServeAppliesRetention(t *testing.T) {
	dir := t.TempDir()
	const old, recent = 200, 5
	writeRSS(t, filepath.Join(dir, "archive.xml"), old, recent)
	db := filepath.Join(dir, "feedmill.db")
	cfg := filepath.Join(dir, "config.yaml")
	listen := freeAddr(t)
	yaml := "database: feedmill.db\nlisten: " + listen + "\nkeep_raw: 0s\nfeeds:\n  - name: archive\n    url: file:archive.xml\n" +
		"outputs:\n  - name: all\n    limit: 3\nretention:\n  max_age: 90d\n  interval: 1s\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runFeedmill(t, nil, "--config", cfg, "fetch"); r.code != 0 {
		t.Fatalf("fetch: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	d := startDaemon(t, cfg, listen)
	deadline := time.Now().Add(time.Minute)
	for {
		if n, tombs := pruneCounts(t, db); n == recent && tombs == old {
			break
		}
		if time.Now().After(deadline) {
			d.stop(t)
			n, tombs := pruneCounts(t, db)
			t.Fatalf("a minute after start: %d items, %d tombstones; want %d, %d\n%s", n, tombs, recent, old, d.out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	d.stop(t)
	if log := d.out.String(); !strings.Contains(log, `"msg":"retention"`) || !strings.Contains(log, fmt.Sprintf(`"deleted":%d`, old)) {
		t.Errorf("no retention line with %d deleted in the daemon's log:\n%s", old, log)
	}
}
