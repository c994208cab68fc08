package server

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/feedgen"
	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/topics"
	"github.com/mmcdole/gofeed"
)

// raw sends a request without the client's transparent gzip handling.
func raw(t *testing.T, method, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func TestAcceptsGzip(t *testing.T) {
	tests := []struct {
		header string
		want   bool
	}{
		{"", false},
		{"gzip", true},
		{"GZIP", true},
		{"x-gzip", true},
		{"deflate, gzip;q=1.0, *;q=0.5", true},
		{"gzip;q=0", false},
		{"gzip; q=0.000", false},
		{"gzip;q=0.001", true},
		{"*", true},
		{"*;q=0", false},
		{"gzip;q=0, *", false},
		{"identity, *;q=0", false},
		{"br", false},
		{"br, *;q=0.1", true},
	}
	for _, tt := range tests {
		var values []string
		if tt.header != "" {
			values = []string{tt.header}
		}
		if got := acceptsGzip(values); got != tt.want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}

func TestMatchAny(t *testing.T) {
	const etag, alt = `"abc"`, `"abc-gz"`
	tests := []struct {
		header     string
		weak, want bool
	}{
		{`"abc"`, true, true},
		{`"abc"`, false, true},
		{`W/"abc"`, true, true},
		{`W/"abc"`, false, false},
		{`"abc-gz"`, true, true},
		{`"x", "y" ,W/"abc"`, true, true},
		{`"x", "y"`, true, false},
		{`*`, true, true},
		{`*`, false, true},
		{`"ab`, true, false},
		{`abc, "abc"`, true, true},
		{``, true, false},
	}
	for _, tt := range tests {
		if got := matchAny([]string{tt.header}, etag, alt, tt.weak); got != tt.want {
			t.Errorf("matchAny(%q, weak=%v) = %v, want %v", tt.header, tt.weak, got, tt.want)
		}
	}
}

// TestStaticServing: what a good static file server does, request by
// request: encodings, validators in every form, HEAD.
func TestStaticServing(t *testing.T) {
	_, srv := setup(t)
	url := srv.URL + "/feeds/all.atom"
	plainResp, plain := raw(t, "GET", url)
	gzResp, zipped := raw(t, "GET", url, "Accept-Encoding", "gzip")
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	if !bytes.Equal(unzipped, plain) {
		t.Fatal("gzip body does not decompress to the plain body")
	}
	etag, etagGz, lastMod := plainResp.Header.Get("ETag"), gzResp.Header.Get("ETag"), plainResp.Header.Get("Last-Modified")
	if etag == etagGz || !strings.HasPrefix(etag, `"`) {
		t.Errorf("ETags %s and %s: want distinct strong tags per encoding", etag, etagGz)
	}
	for _, r := range []*http.Response{plainResp, gzResp} {
		if r.Header.Get("Vary") != "Accept-Encoding" || r.Header.Get("Content-Type") != "application/atom+xml; charset=utf-8" {
			t.Errorf("headers: %v", r.Header)
		}
	}
	if gzResp.Header.Get("Content-Encoding") != "gzip" || plainResp.Header.Get("Content-Encoding") != "" {
		t.Error("Content-Encoding wrong")
	}
	old := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Format(http.TimeFormat)
	tests := []struct {
		name   string
		method string
		header []string
		status int
	}{
		{"plain", "GET", nil, 200},
		{"If-None-Match", "GET", []string{"If-None-Match", etag}, 304},
		{"If-None-Match, weak", "GET", []string{"If-None-Match", "W/" + etag}, 304},
		{"If-None-Match, list", "GET", []string{"If-None-Match", `"nope", ` + etag}, 304},
		{"If-None-Match, gzip tag", "GET", []string{"If-None-Match", etagGz}, 304},
		{"If-None-Match, star", "GET", []string{"If-None-Match", "*"}, 304},
		{"If-None-Match, stale", "GET", []string{"If-None-Match", `"stale"`}, 200},
		{"If-None-Match wins over If-Modified-Since", "GET", []string{"If-None-Match", `"stale"`, "If-Modified-Since", lastMod}, 200},
		{"If-Modified-Since, same", "GET", []string{"If-Modified-Since", lastMod}, 304},
		{"If-Modified-Since, older", "GET", []string{"If-Modified-Since", old}, 200},
		{"If-Modified-Since, garbage", "GET", []string{"If-Modified-Since", "yesterday"}, 200},
		{"If-Match, current", "GET", []string{"If-Match", etag}, 200},
		{"If-Match, weak never matches", "GET", []string{"If-Match", "W/" + etag}, 412},
		{"If-Match, other", "GET", []string{"If-Match", `"other"`}, 412},
		{"If-Unmodified-Since, older", "GET", []string{"If-Unmodified-Since", old}, 412},
		{"HEAD", "HEAD", nil, 200},
		{"HEAD, If-None-Match", "HEAD", []string{"If-None-Match", etag}, 304},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := raw(t, tt.method, url, tt.header...)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if resp.Header.Get("ETag") != etag || resp.Header.Get("Cache-Control") != "public, max-age=900" {
				t.Errorf("headers: %v", resp.Header)
			}
			switch {
			case tt.status == 304 && len(body) != 0:
				t.Error("304 with a body")
			case tt.method == "HEAD" && len(body) != 0:
				t.Error("HEAD with a body")
			case tt.method == "HEAD" && tt.status == 200 && resp.ContentLength != int64(len(plain)):
				t.Errorf("HEAD Content-Length %d, want %d", resp.ContentLength, len(plain))
			case tt.method == "GET" && tt.status == 200 && !bytes.Equal(body, plain):
				t.Error("body differs")
			}
		})
	}
}

// TestPrivateOutput: the key opens the output, and its links carry it.
func TestPrivateOutput(t *testing.T) {
	_, srv := setup(t)
	resp, body := get(t, srv.URL+"/feeds/secret.atom?key=k3y")
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "private, max-age=900" {
		t.Fatalf("%d %v", resp.StatusCode, resp.Header)
	}
	if !strings.Contains(body, `href="http://feeds.example/feeds/secret.atom?key=k3y" rel="self"`) {
		t.Errorf("self link without the key:\n%s", body)
	}
	if strings.Contains(body, "/feeds/secret.atom?key=k3y</id>") {
		t.Error("the feed id carries the key")
	}
	_, index := get(t, srv.URL+"/")
	_, opml := get(t, srv.URL+"/opml")
	if strings.Contains(index, "k3y") || strings.Contains(opml, "secret") {
		t.Error("public pages reveal the private output's key")
	}
}

// TestPages follows rel="next" through every page, in RSS and Atom.
func TestPages(t *testing.T) {
	db, srv := setup(t)
	add(t, db, "guid:3__", "https://example.org/3", "Third story")
	for _, f := range []string{"atom", "rss"} {
		var titles []string
		next := srv.URL + "/feeds/all." + f
		for range 10 {
			resp, body := get(t, next)
			if resp.StatusCode != 200 {
				t.Fatalf("%s: %d", next, resp.StatusCode)
			}
			feed, err := gofeed.NewParser().Parse(strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range feed.Items {
				titles = append(titles, it.Title)
			}
			next = nextLink(body)
			if next == "" {
				break
			}
			next = strings.Replace(next, "http://feeds.example", srv.URL, 1)
		}
		if got := strings.Join(titles, "|"); got != "Third story|Second story|First story" {
			t.Errorf("%s pages: %q", f, got)
		}
	}
	if resp, _ := get(t, srv.URL+"/feeds/all.atom?before=junk"); resp.StatusCode != 400 {
		t.Errorf("bad cursor: %d", resp.StatusCode)
	}
}

// nextLink finds the rel="next" href in a document.
func nextLink(body string) string {
	i := strings.Index(body, `rel="next"`)
	if i < 0 {
		return ""
	}
	j := strings.LastIndex(body[:i], `href="`)
	href := body[j+len(`href="`):]
	return strings.ReplaceAll(href[:strings.IndexByte(href, '"')], "&amp;", "&")
}

func TestOPML(t *testing.T) {
	_, srv := setup(t)
	resp, body := get(t, srv.URL+"/opml")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/x-opml; charset=utf-8" {
		t.Fatalf("%d %v", resp.StatusCode, resp.Header)
	}
	for _, want := range []string{`<opml version="2.0">`, `xmlUrl="http://feeds.example/feeds/war.atom"`, `xmlUrl="http://feeds.example/feeds/all.atom"`} {
		if !strings.Contains(body, want) {
			t.Errorf("OPML lacks %s:\n%s", want, body)
		}
	}
}

// TestRecheck: the version is read at most once per Recheck, so a change
// committed elsewhere shows once it has passed, and not before.
func TestRecheck(t *testing.T) {
	db, err := storage.Open(t.Context(), filepath.Join(t.TempDir(), "recheck.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	add(t, db, "guid:1", "https://example.org/1", "First story")
	s := New(db, Config{Outputs: []Output{{Output: feedgen.Output{Name: "all", BaseURL: "http://x"}, Select: feedmill.ItemQuery{Limit: 5}}}})
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv := httptest.NewServer(s)
	defer srv.Close()
	get(t, srv.URL+"/feeds/all.rss")
	add(t, db, "guid:2", "https://example.org/2", "Second story")
	if _, body := get(t, srv.URL+"/feeds/all.rss"); strings.Contains(body, "Second story") {
		t.Error("the version was read again before Recheck passed")
	}
	mu.Lock()
	now = now.Add(DefaultRecheck)
	mu.Unlock()
	if _, body := get(t, srv.URL+"/feeds/all.rss"); !strings.Contains(body, "Second story") {
		t.Error("a change is not seen after Recheck")
	}
}

// TestMaxAge: items age out of an output as time passes, though nothing
// in the database changes.
func TestMaxAge(t *testing.T) {
	db, err := storage.Open(t.Context(), filepath.Join(t.TempDir(), "maxage.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	add(t, db, "guid:1", "https://example.org/1", "First story")   // 2026-01-01 06:00
	add(t, db, "guid:22", "https://example.org/2", "Second story") // 07:00
	s := New(db, Config{Outputs: []Output{{Output: feedgen.Output{Name: "recent", BaseURL: "http://x"},
		Select: feedmill.ItemQuery{Limit: 5}, MaxAge: 2 * time.Hour}}})
	now := time.Date(2026, 1, 1, 8, 30, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/feeds/recent.rss", nil))
	if body := rec.Body.String(); strings.Contains(body, "First story") || !strings.Contains(body, "Second story") {
		t.Errorf("at 08:30, a 2h max_age keeps only the second story:\n%s", body)
	}
	now = now.Add(time.Hour)
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/feeds/recent.rss", nil))
	if strings.Contains(rec.Body.String(), "Second story") {
		t.Error("at 09:30 the second story has aged out, yet is still served")
	}
}

// TestQueryFilter: an output's query keeps the stored items it matches,
// including those stored before it was written.
func TestQueryFilter(t *testing.T) {
	db, err := storage.Open(t.Context(), filepath.Join(t.TempDir(), "query.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	add(t, db, "guid:1", "https://example.org/1", "First story")
	add(t, db, "guid:22", "https://example.org/2", "Second story")
	add(t, db, "guid:333", "https://example.org/3", "Third stories")
	set, err := topics.Compile([]topics.Def{{Name: "output:q", Match: `title:story NOT second feed:src`}})
	if err != nil {
		t.Fatal(err)
	}
	s := New(db, Config{Outputs: []Output{{Output: feedgen.Output{Name: "q", BaseURL: "http://x"},
		Select: feedmill.ItemQuery{Limit: 5, Filter: QueryFilter(set, "output:q", nil)}}}})
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/feeds/q.json", nil))
	body := rec.Body.String()
	if !strings.Contains(body, "First story") || !strings.Contains(body, "Third stories") || strings.Contains(body, "Second story") {
		t.Errorf("query output:\n%s", body)
	}
}
