package storage

import (
	"fmt"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
)

// BenchmarkPrune deletes, by age, items stored with their sources, links
// and topics, and reports the cost per item deleted beside the cost of
// ingesting the same items, measured in the same iteration (x-ingest).
func BenchmarkPrune(b *testing.B) {
	const n = 2000
	db, err := Open(b.Context(), b.TempDir()+"/bench.db")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.now = func() time.Time { return pruneNow }
	var ingest, prune time.Duration
	round := 0
	for b.Loop() {
		items := make([]feedmill.Item, n)
		for i := range items {
			items[i] = aged(fmt.Sprintf("%d-%d", round, i), 200*24*time.Hour)
		}
		// The newest item, which retention keeps.
		items = append(items, aged(fmt.Sprintf("%d-newest", round), time.Hour))
		start := time.Now()
		if _, err := db.Ingest(b.Context(), feedmill.Batch{Feed: "bench", URL: "http://bench/", FetchedAt: pruneNow, Items: items}); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		res, err := db.Prune(b.Context(), Retention{MaxAge: 90 * 24 * time.Hour})
		if err != nil || res.Expired < n {
			b.Fatalf("Prune = %+v, %v", res, err)
		}
		ingest, prune = ingest+mid.Sub(start), prune+time.Since(mid)
		round++
	}
	b.ReportMetric(float64(prune.Nanoseconds())/float64(round*n), "prune-ns/item")
	b.ReportMetric(float64(prune)/float64(ingest), "x-ingest")
}
