package fetcher

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
)

// TestPerHost: however many feeds one host serves, the fetcher opens at
// most PerHost connections to it.
func TestPerHost(t *testing.T) {
	tests := []struct{ perHost, want int }{{0, DefaultPerHost}, {1, 1}, {4, 4}}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.perHost), func(t *testing.T) {
			var conns, inflight, peak atomic.Int64
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := inflight.Add(1)
				defer inflight.Add(-1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				runtime.Gosched()
				w.Write([]byte(rssDoc))
			}))
			srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					conns.Add(1)
				}
			}
			srv.Start()
			defer srv.Close()
			f := New(Options{PerHost: tt.perHost})
			var wg sync.WaitGroup
			for i := range 60 {
				wg.Go(func() {
					if _, err := f.Fetch(t.Context(), fmt.Sprintf("%s/feed/%d", srv.URL, i), feedmill.FetchState{}); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if c, p := conns.Load(), peak.Load(); c > int64(tt.want) || p > int64(tt.want) {
				t.Errorf("%d connections, %d requests at once; want at most %d", c, p, tt.want)
			}
		})
	}
}

// TestSlowServers: the total timeout cuts a body dripped a byte a second,
// the header timeout a server that never answers.
func TestSlowServers(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/drip", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<"))
		w.(http.Flusher).Flush()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
				if _, err := w.Write([]byte(" ")); err != nil {
					return
				}
				w.(http.Flusher).Flush()
			}
		}
	})
	mux.HandleFunc("/silent", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // no headers until the client gives up
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	tests := []struct {
		path string
		opts Options
		want string
	}{
		{"/drip", Options{Timeout: 1200 * time.Millisecond}, "timed out after 1.2s"},
		{"/silent", Options{Timeout: time.Minute, HeaderTimeout: 300 * time.Millisecond}, "no response headers within 300ms"},
		{"/silent", Options{Timeout: 400 * time.Millisecond}, "timed out after 400ms"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			_, err := New(tt.opts).Fetch(t.Context(), srv.URL+tt.path, feedmill.FetchState{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestHostileMemory: 50 hostile fetches at once (endless bodies, gzip
// bombs, a Content-Length that lies) grow the heap by a few times the
// body cap, not by what the servers send. Measured, not timed.
func TestHostileMemory(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("measures memory without the race detector's overhead")
	}
	const maxBody = 4 << 20
	var bomb bytes.Buffer
	gz := gzip.NewWriter(&bomb)
	zeros := make([]byte, 1<<20)
	for range 256 { // 256 MB of zeros in about 256 KB
		gz.Write(zeros)
	}
	gz.Close()
	chunk := []byte(strings.Repeat("<item><title>x</title></item>", 1<<12))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/bomb"):
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(bomb.Bytes())
		case strings.HasPrefix(r.URL.Path, "/liar"):
			w.Header().Set("Content-Length", "1000000000000")
			fallthrough
		default: // endless
			w.Write([]byte("<rss><channel>"))
			for {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}
	}))
	defer srv.Close()
	f := New(Options{MaxBody: maxBody})

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak atomic.Uint64
	done := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			peak.Store(max(peak.Load(), m.HeapInuse))
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	var wg sync.WaitGroup
	kinds := []string{"/bomb", "/endless", "/liar"}
	for i := range 50 {
		wg.Go(func() {
			_, err := f.Fetch(t.Context(), fmt.Sprintf("%s%s/%d", srv.URL, kinds[i%len(kinds)], i), feedmill.FetchState{})
			if !errors.Is(err, feedmill.ErrTooLarge) {
				t.Errorf("fetch %d: %v, want ErrTooLarge", i, err)
			}
		})
	}
	wg.Wait()
	close(done)
	sampler.Wait()
	growth := int64(peak.Load()) - int64(before.HeapInuse)
	t.Logf("heap in use grew by at most %.1f MB (%.1f × the %d MB cap) during 50 hostile fetches",
		float64(growth)/(1<<20), float64(growth)/maxBody, maxBody>>20)
	if growth > 6*maxBody {
		t.Errorf("heap grew by %d bytes, more than 6 × the cap", growth)
	}
}
