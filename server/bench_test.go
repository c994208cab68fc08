package server

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/feedgen"
	"github.com/feedmill/feedmill/storage"
)

// BenchmarkServeAtom measures requests/s for a cached 50-entry Atom output
// through a real server and client on 127.0.0.1, one connection kept alive:
// identity, gzip, and 304 answers.
func BenchmarkServeAtom(b *testing.B) {
	s := benchServer(b)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: s}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/feeds/bench.atom"
	client := &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 4}}

	do := func(b *testing.B, header ...string) (*http.Response, int64) {
		req, _ := http.NewRequest("GET", url, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp, n
	}
	first, size := do(b)
	etag := first.Header.Get("ETag")
	cases := []struct {
		name   string
		header []string
		status int
	}{
		{"identity", nil, 200},
		{"gzip", []string{"Accept-Encoding", "gzip"}, 200},
		{"304", []string{"If-None-Match", etag}, 304},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var bytes int64
			for b.Loop() {
				resp, n := do(b, c.header...)
				if resp.StatusCode != c.status {
					b.Fatalf("status %d", resp.StatusCode)
				}
				bytes = n
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			b.ReportMetric(float64(bytes), "body-bytes")
		})
	}
	b.Logf("identity body %d bytes", size)
}

// benchServer returns a Server with one output, "bench", of 50 stored
// entries of about a kilobyte each, in a real SQLite database.
func benchServer(b *testing.B) *Server {
	db, err := storage.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	var items []feedmill.Item
	para := strings.Repeat("Negotiators met again in Abu Dhabi on <b>Thursday</b> to discuss a ceasefire. ", 12)
	for i := range 50 {
		link := fmt.Sprintf("https://news.example/story/%d", i)
		items = append(items, feedmill.Item{Key: fmt.Sprintf("guid:%d", i), Link: link, LinkKey: link,
			Title: fmt.Sprintf("Story number %d about talks", i), Content: "<p>" + para + "</p>", Hash: fmt.Sprint(i),
			Topics: []string{"ukraine"}, Published: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)})
	}
	if _, err := db.Ingest(b.Context(), feedmill.Batch{Feed: "wire", URL: "https://wire.example/rss", FetchedAt: time.Now(), Items: items}); err != nil {
		b.Fatal(err)
	}
	return New(db, Config{Outputs: []Output{{Output: feedgen.Output{Name: "bench", BaseURL: "http://127.0.0.1"},
		Select: feedmill.ItemQuery{Limit: 50}}}, MaxAge: 15 * time.Minute})
}

// BenchmarkHandler measures the handler alone on a cached 50-entry Atom
// output, without the network: the time and allocations a request costs
// beyond what net/http spends on every request anyway. The recorder keeps
// no body, and a new header map per request is what net/http gives too.
func BenchmarkHandler(b *testing.B) {
	s := benchServer(b)
	get := func(header ...string) *http.Request {
		r := httptest.NewRequest("GET", "http://127.0.0.1/feeds/bench.atom", nil)
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
		return r
	}
	first := httptest.NewRecorder()
	s.ServeHTTP(first, get())
	etag := first.Result().Header.Get("ETag")
	cases := []struct {
		name   string
		header []string
		status int
	}{
		{"identity", nil, 200},
		{"gzip", []string{"Accept-Encoding", "gzip, deflate, br"}, 200},
		{"304", []string{"If-None-Match", etag}, 304},
		{"304-gzip", []string{"Accept-Encoding", "gzip", "If-None-Match", `"x", W/` + etag[:len(etag)-1] + `-gz"`}, 304},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			r := get(c.header...)
			b.ReportAllocs()
			for b.Loop() {
				w := &httptest.ResponseRecorder{HeaderMap: make(http.Header)}
				s.ServeHTTP(w, r)
				if w.Code != c.status {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}
