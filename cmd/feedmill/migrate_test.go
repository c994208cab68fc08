package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/internal/pgtest"
	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/storage/postgres"
)

// TestMigrate copies a SQLite database filled from real feeds into
// PostgreSQL with the real binary: every table has the same rows, the
// items read back identical (ids, sources, topics), running it again
// changes nothing, and the daemon then goes on with PostgreSQL.
func TestMigrate(t *testing.T) {
	feeds := corpusFeeds(t, 40)
	pgURL := pgtest.URL(t)
	dir := t.TempDir()
	sqlitePath := filepath.Join(dir, "feedmill.db")
	cfg := filepath.Join(dir, "config.yaml")
	body := fmt.Sprintf("database: feedmill.db\nlisten: %s\nschedule: \"@every 1000h\"\nfeeds:\n%s"+
		"topics:\n  - name: russia\n    match: russia OR moscow OR putin\n  - name: ukraine\n    match: ukraine OR kyiv\n", freeAddr(t), feeds)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runFeedmill(t, nil, "--config", cfg, "fetch"); r.code != 0 {
		t.Fatalf("fetch: %s%s", r.stdout, r.stderr)
	}
	// A second poll: fetch log entries, unchanged documents.
	runFeedmill(t, nil, "--config", cfg, "fetch")

	for run := 1; run <= 2; run++ {
		r := runFeedmill(t, nil, "migrate", "--from", sqlitePath, "--to", pgURL)
		if r.code != 0 {
			t.Fatalf("migrate run %d: exit %d\n%s%s", run, r.code, r.stdout, r.stderr)
		}
		for _, table := range []string{"feeds", "items", "links", "sources", "item_topics", "meta", "fetch_log"} {
			re := regexp.MustCompile(`(?m)^` + table + `\s+sqlite\s+(\d+)\s+postgres\s+(\d+)\s+ok$`)
			m := re.FindStringSubmatch(r.stdout)
			if m == nil || m[1] != m[2] {
				t.Errorf("migrate run %d: no matching count line for %s in:\n%s", run, table, r.stdout)
			}
			if table == "items" && m != nil && m[1] == "0" {
				t.Errorf("no items were stored to migrate")
			}
		}
		if strings.Contains(r.stdout, "postgres://postgres@") && strings.Contains(r.stdout, ":@") {
			t.Errorf("migrate printed a password: %s", r.stdout)
		}
	}

	// What each database answers, compared.
	src, err := storage.Open(t.Context(), sqlitePath)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := postgres.Open(t.Context(), pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	a, _ := src.Items(t.Context(), feedmill.ItemQuery{})
	b, err := dst.Items(t.Context(), feedmill.ItemQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) {
		t.Fatalf("%d items in SQLite, %d in PostgreSQL", len(a), len(b))
	}
	for i := range a {
		if fmt.Sprintf("%+v", a[i]) != fmt.Sprintf("%+v", b[i]) {
			t.Fatalf("item %d differs:\nsqlite   %+v\npostgres %+v", i, a[i], b[i])
		}
	}
	for _, f := range []string{"f000", "f001"} {
		sa, _ := src.FetchState(t.Context(), f, readFeedURLOf(t, cfg, f))
		sb, _ := dst.FetchState(t.Context(), f, readFeedURLOf(t, cfg, f))
		if sa != sb {
			t.Errorf("%s state: sqlite %+v, postgres %+v", f, sa, sb)
		}
		la, _ := src.FetchLog(t.Context(), f, 0)
		lb, _ := dst.FetchLog(t.Context(), f, 0)
		if fmt.Sprint(la) != fmt.Sprint(lb) || len(la) != 2 {
			t.Errorf("%s log: sqlite %v, postgres %v", f, la, lb)
		}
	}
	fa, _ := src.Meta(t.Context(), "topics_fingerprint")
	if fb, _ := dst.Meta(t.Context(), "topics_fingerprint"); fa != fb || fa == "" {
		t.Errorf("meta topics_fingerprint: sqlite %q, postgres %q", fa, fb)
	}

	// The CLI on PostgreSQL: the same listing, then new items get new ids.
	env := []string{"FEEDMILL_DATABASE_URL=" + pgURL}
	ra := runFeedmill(t, nil, "--config", cfg, "items", "--json", "--limit", "0")
	rb := runFeedmill(t, env, "--config", cfg, "items", "--json", "--limit", "0")
	if ra.code != 0 || rb.code != 0 || ra.stdout != rb.stdout {
		t.Errorf("items --json differ between SQLite and PostgreSQL (exit %d, %d)\n%s", ra.code, rb.code, rb.stderr)
	}
	maxID := b[0].ID
	for _, it := range b {
		maxID = max(maxID, it.ID)
	}
	after := feedmill.Batch{Feed: "f000", URL: readFeedURLOf(t, cfg, "f000"), FetchedAt: time.Now(),
		Items: []feedmill.Item{{Key: "guid:after-migrate", Title: "after", Hash: "x"}}}
	if _, err := dst.Ingest(t.Context(), after); err != nil {
		t.Fatalf("ingest after migrate: %v", err)
	}
	if id := after.Items[0].ID; id <= maxID {
		t.Errorf("item stored after migrate has id %d, want one above the copied %d", id, maxID)
	}
	if r := runFeedmill(t, nil, "migrate", "--from", filepath.Join(dir, "missing.db"), "--to", pgURL); r.code == 0 ||
		!strings.Contains(r.stderr, "missing.db") {
		t.Errorf("migrate from a missing file: exit %d %s", r.code, r.stderr)
	}
	if r := runFeedmill(t, nil, "migrate", "--from", sqlitePath, "--to", "mysql://x"); r.code != exitUsage {
		t.Errorf("migrate to a non-PostgreSQL URL: exit %d %s", r.code, r.stderr)
	}
}

// readFeedURLOf returns the configured URL of feed name.
func readFeedURLOf(t *testing.T, cfg, name string) string {
	t.Helper()
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`name: ` + name + `\n\s+url: (\S+)`).FindStringSubmatch(string(b))
	if m == nil {
		t.Fatalf("no feed %s in %s", name, cfg)
	}
	return m[1]
}

// TestMigrateAgainAfterPrune runs migrate, deletes items from SQLite (a
// prune, with its tombstones, and a removed feed's rows), and runs migrate
// again: it must succeed and leave PostgreSQL with exactly the rows of
// SQLite, not the union of both copies.
func TestMigrateAgainAfterPrune(t *testing.T) {
	pgURL := pgtest.URL(t)
	sqlitePath := filepath.Join(t.TempDir(), "feedmill.db")
	src, err := storage.Open(t.Context(), sqlitePath)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, feed := range []string{"a", "b"} {
		b := feedmill.Batch{Feed: feed, URL: "http://127.0.0.1/" + feed, FetchedAt: time.Now()}
		for i := range 5 {
			k := fmt.Sprintf("%s-%d", feed, i)
			b.Items = append(b.Items, feedmill.Item{Key: "guid:" + k, Link: "http://127.0.0.1/" + k, LinkKey: "key:" + k,
				Title: "item " + k, Hash: "h" + k, Published: day.Add(time.Duration(i) * time.Hour)})
		}
		if _, err := src.Ingest(t.Context(), b); err != nil {
			t.Fatal(err)
		}
	}
	migrate := func(run int) string {
		t.Helper()
		r := runFeedmill(t, nil, "migrate", "--from", sqlitePath, "--to", pgURL)
		if r.code != 0 {
			t.Fatalf("migrate run %d: exit %d\n%s%s", run, r.code, r.stdout, r.stderr)
		}
		return r.stdout
	}
	migrate(1)
	res, err := src.Prune(t.Context(), storage.Retention{MaxItemsPerFeed: 2})
	if err != nil || res.Deleted() != 6 {
		t.Fatalf("prune: %+v, %v; want 6 items deleted", res, err)
	}
	out := migrate(2)
	for _, table := range []string{"items", "links", "sources", "tombstones", "link_tombstones"} {
		m := regexp.MustCompile(`(?m)^` + table + `\s+sqlite\s+(\d+)\s+postgres\s+(\d+)\s+ok$`).FindStringSubmatch(out)
		if m == nil || m[1] != m[2] {
			t.Errorf("migrate run 2: no matching count line for %s in:\n%s", table, out)
		}
	}
	dst, err := postgres.Open(t.Context(), pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	a, err := src.Items(t.Context(), feedmill.ItemQuery{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := dst.Items(t.Context(), feedmill.ItemQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 4 || fmt.Sprintf("%+v", a) != fmt.Sprintf("%+v", b) {
		t.Errorf("after the second migrate:\nsqlite   %d items %+v\npostgres %d items %+v", len(a), a, len(b), b)
	}
}
