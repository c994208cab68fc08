package server

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/feedgen"
	"github.com/feedmill/feedmill/storage"
)

// statusBenchItems is how many items BenchmarkStatusPage stores;
// FEEDMILL_BENCH_ROWS overrides it.
func statusBenchItems(b *testing.B) int {
	if s := os.Getenv("FEEDMILL_BENCH_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			b.Fatalf("FEEDMILL_BENCH_ROWS=%q", s)
		}
		return n
	}
	return 100_000
}

// BenchmarkStatusPage measures the status page over 100,000 items from 40
// feeds polled over the last 45 days, with 10 topics: served from its cache
// (what nearly every request costs), rendered anew (after a change of the
// items), and the queries a rendering makes.
func BenchmarkStatusPage(b *testing.B) {
	ctx := b.Context()
	db, err := storage.Open(ctx, filepath.Join(b.TempDir(), "status-bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const feeds, topics, days = 40, 10, 45
	n := statusBenchItems(b)
	now := time.Now().UTC()
	var topicList []Topic
	for i := range topics {
		topicList = append(topicList, Topic{Name: fmt.Sprintf("topic-%d", i), Title: fmt.Sprintf("Topic %d", i)})
	}
	perBatch := max(n/(feeds*days), 1)
	for stored, batch := 0, 0; stored < n; batch++ {
		feed := fmt.Sprintf("feed-%02d", batch%feeds)
		at := now.Add(-time.Duration(batch/feeds%days) * 24 * time.Hour)
		var items []feedmill.Item
		for i := 0; i < perBatch && stored < n; i++ {
			stored++
			link := fmt.Sprintf("https://%s.example/%d", feed, stored)
			items = append(items, feedmill.Item{Key: "guid:" + strconv.Itoa(stored), Link: link, LinkKey: link,
				Title: "Story " + strconv.Itoa(stored), Content: "<p>Some text</p>", Hash: strconv.Itoa(stored),
				Topics:    []string{topicList[stored%topics].Name, topicList[(stored/7)%topics].Name},
				Published: at.Add(-time.Duration(i) * time.Minute)})
		}
		if _, err := db.Ingest(ctx, feedmill.Batch{Feed: feed, URL: "https://" + feed + ".example/rss", Title: feed,
			FetchedAt: at, Items: items}); err != nil {
			b.Fatal(err)
		}
	}
	s := New(db, Config{Topics: topicList, MaxAge: 15 * time.Minute, Outputs: []Output{
		{Output: feedgen.Output{Name: "all", BaseURL: "http://127.0.0.1"}, Select: feedmill.ItemQuery{Limit: 50}}}})
	get := func(b *testing.B, header ...string) int {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/", nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		s.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("GET /: %d", rec.Code)
		}
		return rec.Body.Len()
	}
	size, gzSize := get(b), get(b, "Accept-Encoding", "gzip")
	b.Logf("%d items, page %d bytes, %d gzipped", n, size, gzSize)
	b.Run("cached", func(b *testing.B) {
		for b.Loop() {
			get(b)
		}
		b.ReportMetric(float64(size), "page-bytes")
	})
	b.Run("cached-gzip", func(b *testing.B) {
		for b.Loop() {
			get(b, "Accept-Encoding", "gzip")
		}
		b.ReportMetric(float64(gzSize), "page-bytes")
	})
	b.Run("render", func(b *testing.B) {
		for b.Loop() {
			s.status.page.Store(nil) // as after a change of the items
			get(b)
		}
	})
	start := dayStart(now, StatusDays)
	queries := []struct {
		name string
		run  func() error
	}{
		{"FeedDaily", func() error { _, err := db.FeedDaily(ctx, start, StatusDays); return err }},
		{"TopicDaily", func() error { _, err := db.TopicDaily(ctx, start, StatusDays); return err }},
		{"TopicCounts", func() error { _, err := db.TopicCounts(ctx); return err }},
		{"Feeds", func() error { _, err := db.Feeds(ctx); return err }},
		{"Items(topic,5)", func() error {
			_, err := db.Items(ctx, feedmill.ItemQuery{Topics: []string{topicList[3].Name}, Limit: topicNewest, OnePerStory: true})
			return err
		}},
	}
	for _, q := range queries {
		b.Run("query="+q.name, func(b *testing.B) {
			for b.Loop() {
				if err := q.run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
