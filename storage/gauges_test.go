package storage

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
)

func TestGauges(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	empty, err := db.Size(ctx)
	if err != nil || empty <= 0 {
		t.Fatalf("size of a new database: %d %v", empty, err)
	}
	at := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	var items []feedmill.Item
	for i := range 200 {
		it := item(fmt.Sprintf("guid:%d", i), fmt.Sprintf("https://x/%d", i), fmt.Sprintf("story %d", i))
		it.Content = strings.Repeat("text ", 200)
		items = append(items, it)
	}
	if _, err := db.Ingest(ctx, feedmill.Batch{Feed: "a", URL: "http://a/", FetchedAt: at, Items: items}); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordPoll(ctx, feedmill.Batch{Feed: "b", URL: "http://b/", FetchedAt: at,
		Outcome: feedmill.OutcomeFailed, Error: "boom"}); err != nil {
		t.Fatal(err)
	}
	full, err := db.Size(ctx)
	if err != nil || full < empty+200*1000 {
		t.Errorf("size after 200 items of 1 KB: %d (empty: %d) %v", full, empty, err)
	}
	last, err := db.LastSuccesses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(last) != 1 || !last["a"].Equal(at) {
		t.Errorf("last successes %v, want only a at %s", last, at)
	}
}
