package storage

import (
	"testing"
	"time"

	"github.com/feedmill/feedmill"
)

// TestSnapshot checks that every read through a Snapshot shows the
// database as of one moment: items and sources written while it is open
// appear in no table of it, and do appear in a new read.
func TestSnapshot(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	ingest := func(keys ...string) {
		t.Helper()
		b := feedmill.Batch{Feed: "a", URL: "http://127.0.0.1/a", FetchedAt: time.Now()}
		for _, k := range keys {
			b.Items = append(b.Items, item(k, "http://127.0.0.1/"+k, "title "+k))
		}
		if _, err := db.Ingest(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	ingest("guid:1", "guid:2")
	err := db.Snapshot(ctx, func(s *Snapshot) error {
		before, err := s.CountRows(ctx, "items")
		if err != nil {
			return err
		}
		ingest("guid:3")
		for _, table := range []string{"items", "sources", "links"} {
			n, err := s.CountRows(ctx, table)
			if err != nil {
				return err
			}
			read := 0
			if err := s.ReadTable(ctx, table, func(cols []string, vals []any) error { read++; return nil }); err != nil {
				return err
			}
			if n != 2 || read != 2 {
				t.Errorf("%s in the snapshot after a write: count %d, read %d rows, want 2", table, n, read)
			}
		}
		if before != 2 {
			t.Errorf("items in the snapshot: %d, want 2", before)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := db.CountRows(ctx, "items"); err != nil || n != 3 {
		t.Errorf("items after the snapshot: %d, %v; want 3", n, err)
	}
}
