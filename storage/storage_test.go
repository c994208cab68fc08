package storage

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
)

func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func item(key, link, title string, topics ...string) feedmill.Item {
	lk := ""
	if link != "" {
		lk = "key:" + link
	}
	return feedmill.Item{Key: key, Link: link, LinkKey: lk, Title: title, Content: "<p>" + title + "</p>",
		Hash: "h:" + title, Topics: topics, Published: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(len(title)) * time.Minute)}
}

func TestVerifyAndBackup(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	if _, err := db.Ingest(ctx, feedmill.Batch{Feed: "a", URL: "http://a/", FetchedAt: time.Now(),
		Items: []feedmill.Item{item("guid:1", "https://x/1", "one", "t"), item("guid:2", "https://x/2", "two")}}); err != nil {
		t.Fatal(err)
	}
	if err := db.Verify(ctx); err != nil {
		t.Fatalf("fresh database: %v", err)
	}
	path := filepath.Join(t.TempDir(), "backup.db")
	if err := db.Backup(ctx, path); err != nil {
		t.Fatal(err)
	}
	if err := db.Backup(ctx, path); err == nil {
		t.Error("backup over an existing file succeeded")
	}
	copyDB, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer copyDB.Close()
	if err := copyDB.Verify(ctx); err != nil {
		t.Errorf("backup: %v", err)
	}
	items, _ := copyDB.Items(ctx, feedmill.ItemQuery{})
	if len(items) != 2 || items[0].Topics == nil && items[1].Topics == nil {
		t.Errorf("backup holds %d items: %+v", len(items), items)
	}

	// Break an invariant behind the store's back: Verify must say so.
	if _, err := db.w.ExecContext(ctx, `DELETE FROM sources WHERE key = 'guid:2'`); err != nil {
		t.Fatal(err)
	}
	if err := db.Verify(ctx); err == nil || !strings.Contains(err.Error(), "1 items without a source") {
		t.Errorf("Verify after deleting a source: %v", err)
	}
}

// TestWALSizeLimit: every connection truncates the WAL to walSizeLimit when
// a checkpoint resets it, so the file cannot stay large after a burst.
func TestWALSizeLimit(t *testing.T) {
	db := openTest(t)
	for name, conn := range map[string]interface {
		QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	}{"writer": db.w, "reader": db.r} {
		var limit int64
		if err := conn.QueryRowContext(t.Context(), "PRAGMA journal_size_limit").Scan(&limit); err != nil {
			t.Fatal(err)
		}
		if limit != walSizeLimit {
			t.Errorf("%s: journal_size_limit = %d, want %d", name, limit, walSizeLimit)
		}
	}
}
