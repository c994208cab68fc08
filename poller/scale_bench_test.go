package poller

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/pgtest"
	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/storage/postgres"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// scaleFeeds serves n local RSS feeds of perFeed items each; every round
// (a version) brings perFeed new items to every feed.
func scaleFeeds(b *testing.B, n, perFeed int) (*atomic.Int64, []Feed) {
	var version atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		v := version.Load()
		var s strings.Builder
		fmt.Fprintf(&s, `<?xml version="1.0"?><rss version="2.0"><channel><title>%s</title><link>https://example.org/%s</link>`, name, name)
		for k := range perFeed {
			fmt.Fprintf(&s, `<item><title>%s round %d story %d: talks in Kyiv and Moscow</title><link>https://example.org/%s/%d/%d</link>`+
				`<guid>%s-%d-%d</guid><description>&lt;p&gt;Report %d of round %d from %s, on the talks between Ukraine and Russia.&lt;/p&gt;</description></item>`,
				name, v, k, name, v, k, name, v, k, k, v, name)
		}
		s.WriteString(`</channel></rss>`)
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, s.String())
	}))
	b.Cleanup(srv.Close)
	feeds := make([]Feed, n)
	for i := range feeds {
		feeds[i] = Feed{Name: fmt.Sprintf("f%03d", i), URL: fmt.Sprintf("%s/f%03d", srv.URL, i),
			// An hourly schedule, due again at once: every round (an hour
			// of the pipelines' clock) polls every feed.
			Policy: Policy{Period: time.Hour, MaxInterval: time.Nanosecond}}
	}
	return &version, feeds
}

// BenchmarkScaleOut measures ingest throughput (items/s) of a round of
// 200 local feeds of 20 new items each, polled by 1, 2 or 4 daemons on
// PostgreSQL (pipelines in this process, each with its own connection pool
// and lease owner, claiming feeds from the same database), beside one
// daemon on SQLite. Each daemon polls 8 feeds at a time.
func BenchmarkScaleOut(b *testing.B) {
	const nFeeds, perFeed = 200, 20
	run := func(b *testing.B, stores []Store) {
		version, feeds := scaleFeeds(b, nFeeds, perFeed)
		// The pipelines' clock moves an hour a round.
		var clock atomic.Int64
		clock.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
		var pipelines []*Pipeline
		for i, st := range stores {
			p := newPipeline(b, st)
			p.Owner, p.Lease = fmt.Sprintf("bench-%d", i), time.Minute
			p.Now = func() time.Time { return time.Unix(0, clock.Load()) }
			pipelines = append(pipelines, p)
		}
		var items, polls atomic.Int64
		var elapsed time.Duration
		for b.Loop() {
			version.Add(1)
			clock.Add(int64(time.Hour))
			start := time.Now()
			var wg sync.WaitGroup
			for _, p := range pipelines {
				wg.Go(func() {
					p.PollAllDue(context.Background(), feeds, 8, func(r Report) {
						if r.Err != nil {
							b.Error(r.Err)
						}
						if !r.Skipped {
							polls.Add(1)
							items.Add(int64(r.Result.New))
						}
					})
				})
			}
			wg.Wait()
			elapsed += time.Since(start)
		}
		if rounds := version.Load(); polls.Load() != rounds*nFeeds {
			b.Errorf("%d polls in %d rounds of %d feeds: a feed was polled twice or not at all", polls.Load(), rounds, nFeeds)
		}
		b.ReportMetric(float64(items.Load())/elapsed.Seconds(), "items/s")
	}
	b.Run("sqlite-1", func(b *testing.B) {
		db, err := storage.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		run(b, []Store{db})
	})
	for _, n := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("postgres-%d", n), func(b *testing.B) {
			url := pgtest.URL(b)
			var stores []Store
			for range n {
				db, err := postgres.Open(context.Background(), url)
				if err != nil {
					b.Fatal(err)
				}
				defer db.Close()
				stores = append(stores, db)
			}
			run(b, stores)
		})
	}
}
