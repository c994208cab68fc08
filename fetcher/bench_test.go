package fetcher

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
)

// BenchmarkRound304 polls 1,000 feeds on one local server, every one
// answering 304 Not Modified, in one round of 8 workers, as the poller
// does. ns/feed is wall time; cpu-ns/feed and allocs/feed count the whole
// process, the in-process test server included, so they bound the
// fetcher's own cost from above.
func BenchmarkRound304(b *testing.B) {
	const feeds, workers = 1000, 8
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.Header().Set("ETag", `"v1"`)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write([]byte(rssDoc))
	}))
	defer srv.Close()
	urls := make([]string, feeds)
	for i := range urls {
		urls[i] = fmt.Sprintf("%s/feeds/%d.xml", srv.URL, i)
	}
	prev := feedmill.FetchState{ETag: `"v1"`, LastModified: "Mon, 23 Nov 2026 08:00:00 GMT", BodyHash: "0123456789abcdef0123456789abcdef"}

	for _, perHost := range []int{0, workers} {
		b.Run(fmt.Sprintf("perhost=%d", max(perHost, DefaultPerHost)), func(b *testing.B) {
			f := New(Options{PerHost: perHost})
			round := func() {
				work := make(chan string)
				var wg sync.WaitGroup
				for range workers {
					wg.Go(func() {
						for u := range work {
							res, err := f.Fetch(b.Context(), u, prev)
							if err != nil || !res.NotModified {
								b.Errorf("%s: %+v, %v", u, res, err)
							}
						}
					})
				}
				for _, u := range urls {
					work <- u
				}
				close(work)
				wg.Wait()
			}
			round() // open the connections
			var m0, m1 runtime.MemStats
			var r0, r1 syscall.Rusage
			runtime.ReadMemStats(&m0)
			syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
			start := time.Now()
			rounds := 0
			for b.Loop() {
				round()
				rounds++
			}
			wall := time.Since(start)
			syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
			runtime.ReadMemStats(&m1)
			n := float64(rounds * feeds)
			cpu := time.Duration(r1.Utime.Nano()+r1.Stime.Nano()-r0.Utime.Nano()-r0.Stime.Nano()) * time.Nanosecond
			b.ReportMetric(float64(wall.Nanoseconds())/n, "ns/feed")
			b.ReportMetric(float64(cpu.Nanoseconds())/n, "cpu-ns/feed")
			b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/n, "allocs/feed")
			b.ReportMetric(float64(m1.TotalAlloc-m0.TotalAlloc)/n, "B/feed")
		})
	}
}
