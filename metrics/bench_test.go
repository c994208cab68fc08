package metrics_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/feedgen"
	"github.com/feedmill/feedmill/metrics"
	"github.com/feedmill/feedmill/readers"
	"github.com/feedmill/feedmill/server"
	"github.com/feedmill/feedmill/storage"
)

// BenchmarkObservedRequest measures what counting costs a request of a
// cached output (a 304, the cheapest answer, in process): without hooks,
// and with the metrics and reader counting the daemon wires.
func BenchmarkObservedRequest(b *testing.B) {
	db, err := storage.Open(b.Context(), filepath.Join(b.TempDir(), "b.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Ingest(b.Context(), feedmill.Batch{Feed: "f", URL: "http://f/", FetchedAt: time.Now(), Items: []feedmill.Item{
		{Key: "guid:1", Link: "https://f.example/1", LinkKey: "f.example/1", Title: "One", Hash: "1"}}}); err != nil {
		b.Fatal(err)
	}
	outputs := []server.Output{{Output: feedgen.Output{Name: "news", BaseURL: "http://x"}, Select: feedmill.ItemQuery{Limit: 50}}}
	counter := readers.NewCounter(readers.Options{})
	m := metrics.New(metrics.Options{Store: db, Readers: counter.Counts})
	observe := func(r server.Request) {
		m.Served(r.Output, r.Format, r.Status)
		counter.Record(r.Output, r.Format, r.UserAgent, r.RemoteAddr, time.Now())
	}
	for _, c := range []struct {
		name string
		ops  server.Ops
	}{{"bare", server.Ops{}}, {"observed", server.Ops{Observe: observe}}} {
		b.Run(c.name, func(b *testing.B) {
			s := server.New(db, server.Config{Outputs: outputs, Ops: c.ops})
			first := httptest.NewRecorder()
			s.ServeHTTP(first, httptest.NewRequest("GET", "/feeds/news.atom", nil))
			req := httptest.NewRequest("GET", "/feeds/news.atom", nil)
			req.Header.Set("If-None-Match", first.Header().Get("ETag"))
			req.Header.Set("User-Agent", "Feedly/1.0 (+http://www.feedly.com/fetcher.html; 42 subscribers; feed-id=abc)")
			for b.Loop() {
				w := httptest.NewRecorder()
				s.ServeHTTP(w, req)
				if w.Code != http.StatusNotModified {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}
