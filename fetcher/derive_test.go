package fetcher

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
)

// TestDeriveSharesPerHostLimit: feeds with their own settings still share
// the per-host connection limit.
func TestDeriveSharesPerHostLimit(t *testing.T) {
	var inflight, peak atomic.Int32
	var ua sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		ua.Store(r.UserAgent(), true)
		time.Sleep(100 * time.Millisecond) // hold the connection while others queue
		io.WriteString(w, rssDoc)
	}))
	defer srv.Close()
	base := New(Options{PerHost: 2})
	fetchers := []*Fetcher{base, base.Derive("custom-agent/1", 10*time.Second, 1<<20), base.Derive("", 0, 0)}
	var wg sync.WaitGroup
	for i := range 9 {
		wg.Go(func() {
			if _, err := fetchers[i%3].Fetch(t.Context(), srv.URL, feedmill.FetchState{}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p > 2 {
		t.Errorf("%d connections at once to one host, want at most 2", p)
	}
	if _, ok := ua.Load("custom-agent/1"); !ok {
		t.Error("the derived fetcher did not send its own User-Agent")
	}
}
