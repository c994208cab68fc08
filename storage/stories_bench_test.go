package storage_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/stories"
)

// eventWord is the k-th word particular to event e: a name or place that
// its reports share and other items lack.
func eventWord(e, k int) string {
	n := e*16 + k
	b := []byte("ev")
	for ; n > 0; n /= 26 {
		b = append(b, byte('a'+n%26))
	}
	return string(b)
}

// newsItem is item i of a generated stream of reports: about three per
// event, in words of their own around the event's particular words.
func newsItem(r *rand.Rand, i, events int, published time.Time) feedmill.Item {
	e := r.IntN(events)
	var title, lead strings.Builder
	for k := range 4 {
		fmt.Fprintf(&title, "%s ", eventWord(e, r.IntN(6)+k%2))
	}
	sentence(r, &title, 4)
	for range 16 {
		fmt.Fprintf(&lead, "%s ", eventWord(e, r.IntN(16)))
	}
	sentence(r, &lead, 30)
	link := fmt.Sprintf("https://news.example/%d", i)
	return feedmill.Item{Key: "link:" + link, Link: link, LinkKey: link, Title: title.String(),
		Content: "<p>" + lead.String() + "</p>", Hash: link, Published: published}
}

// BenchmarkIngestStories stores one new item per ingest into a database
// holding 100,000 grouped items (FEEDMILL_BENCH_ROWS), all within the
// story window, alternately with grouping on and off, and reports the
// store's cost per item (grouping off), the grouping's (the difference)
// and their ratio, group/store.
func BenchmarkIngestStories(b *testing.B) {
	ctx := context.Background()
	db, err := storage.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetStories(stories.DefaultConfig())
	rows := benchRows(b)
	events := rows / 3
	r := rand.New(rand.NewPCG(4, 2))
	t0 := time.Date(2026, 8, 12, 0, 0, 0, 0, time.UTC)
	step := 24 * time.Hour / time.Duration(rows)
	at := t0.Add(25 * time.Hour)
	for start := 0; start < rows; start += 5000 {
		var items []feedmill.Item
		for i := start; i < min(start+5000, rows); i++ {
			items = append(items, newsItem(r, i, events, t0.Add(time.Duration(i)*step)))
		}
		if _, err := db.Ingest(ctx, feedmill.Batch{Feed: "wire", URL: "http://wire.example/", FetchedAt: at, Items: items}); err != nil {
			b.Fatal(err)
		}
	}
	grouped, _ := db.StoryCount(ctx)
	i := rows
	ingest := func() time.Duration {
		it := newsItem(r, i, events, t0.Add(24*time.Hour+time.Duration(i-rows)*time.Second))
		i++
		start := time.Now()
		if _, err := db.Ingest(ctx, feedmill.Batch{Feed: "wire", URL: "http://wire.example/", FetchedAt: at, Items: []feedmill.Item{it}}); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	ingest() // the index is built from the stored signatures before timing
	var with, without time.Duration
	n := 0
	for b.Loop() {
		db.SetGrouping(true)
		with += ingest()
		db.SetGrouping(false)
		without += ingest()
		n++
	}
	store := float64(without.Nanoseconds()) / float64(n)
	group := float64((with - without).Nanoseconds()) / float64(n)
	b.ReportMetric(store, "store-ns/item")
	b.ReportMetric(group, "group-ns/item")
	b.ReportMetric(group/store, "group/store")
	b.ReportMetric(float64(grouped), "stories")
}
