package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/fetcher"
	"github.com/feedmill/feedmill/normalize"
	"github.com/feedmill/feedmill/poller"
	"github.com/feedmill/feedmill/server"
	"github.com/feedmill/feedmill/storage"
)

// opsServer serves a real database, with a real scheduler and pipeline
// polling one feed from a local server on schedule.
func opsServer(t *testing.T, token, schedule string) (base string, sched *poller.Scheduler, stopSched func()) {
	t.Helper()
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>W</title>
<item><title>One</title><link>https://w.example/1</link><guid>1</guid></item>
<item><title>Two</title><link>https://w.example/2</link><guid>2</guid></item></channel></rss>`)
	}))
	t.Cleanup(feed.Close)
	db, err := storage.Open(t.Context(), filepath.Join(t.TempDir(), "ops.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p := &poller.Pipeline{Store: db, Fetcher: fetcher.New(fetcher.Options{}), Normalizer: normalize.New(nil)}
	feeds := []poller.Feed{{Name: "wire", URL: feed.URL, Schedule: schedule}}
	sched = &poller.Scheduler{Pipeline: p, Feeds: feeds, Concurrency: 1, Grace: time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); sched.Run(ctx) }()
	stopSched = func() { cancel(); <-done }
	t.Cleanup(stopSched)

	ops := server.Ops{Health: sched.Health, APIToken: token,
		Fetch: func(ctx context.Context, names []string) ([]server.FetchResult, error) {
			var out []server.FetchResult
			for _, n := range names {
				if n != "wire" {
					return nil, server.ErrUnknownFeed
				}
			}
			p.PollAll(ctx, feeds, 1, func(r poller.Report) {
				out = append(out, server.FetchResult{Feed: r.Feed, Result: r.Outcome(), New: r.Result.New, Seen: r.Result.Seen})
			})
			return out, nil
		}}
	srv := httptest.NewServer(server.New(db, server.Config{Ops: ops}))
	t.Cleanup(srv.Close)
	return srv.URL, sched, stopSched
}

func do(t *testing.T, method, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestHealthzFollowsTheScheduler(t *testing.T) {
	base, sched, stop := opsServer(t, "", "@every 1s")
	deadline := time.Now().Add(10 * time.Second)
	for sched.LastTick().IsZero() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	resp, body := do(t, "GET", base+"/healthz")
	var h struct{ Status, Database, Scheduler string }
	if err := json.Unmarshal([]byte(body), &h); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	if resp.StatusCode != 200 || h != (struct{ Status, Database, Scheduler string }{"ok", "ok", "ok"}) {
		t.Errorf("running scheduler: %d %s", resp.StatusCode, body)
	}
	// The scheduler stops: its ticks stop, and so does the health.
	stop()
	resp, body = do(t, "GET", base+"/healthz")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, `"scheduler":"scheduler not running"`) ||
		!strings.Contains(body, `"database":"ok"`) {
		t.Errorf("stopped scheduler: %d %s", resp.StatusCode, body)
	}
}

func TestAPIFetch(t *testing.T) {
	const token = "0123456789abcdef0123"
	base, _, _ := opsServer(t, token, "@every 1h")
	off, _, _ := opsServer(t, "", "@every 1h")
	auth := []string{"Authorization", "Bearer " + token}
	tests := []struct {
		name, method, url string
		header            []string
		code              int
		body              []string
	}{
		{"no token configured: the API is off", "POST", off + "/api/fetch", auth, 404, nil},
		{"no token", "POST", base + "/api/fetch", nil, 401, []string{"bearer token"}},
		{"wrong token", "POST", base + "/api/fetch", []string{"Authorization", "Bearer 0123456789abcdef0124"}, 401, nil},
		{"not a bearer", "POST", base + "/api/fetch", []string{"Authorization", "Basic " + token}, 401, nil},
		{"GET", "GET", base + "/api/fetch", auth, 405, nil},
		{"unknown feed", "POST", base + "/api/fetch?feed=nope", auth, 404, []string{"no such feed"}},
		{"one feed", "POST", base + "/api/fetch?feed=wire", auth, 200, []string{`"feed":"wire"`, `"result":"ok"`, `"total":{"feeds":1,"failed":0`}},
		{"every feed", "POST", base + "/api/fetch", auth, 200, []string{`"feed":"wire"`}},
		{"other endpoints stay read-only", "POST", base + "/healthz", auth, 405, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, tt.method, tt.url, tt.header...)
			if resp.StatusCode != tt.code {
				t.Fatalf("%d %s, want %d", resp.StatusCode, body, tt.code)
			}
			if tt.code == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without a WWW-Authenticate: %v", resp.Header)
			}
			if tt.code == 405 && tt.url == base+"/api/fetch" && resp.Header.Get("Allow") != "POST" {
				t.Errorf("405 Allow = %q", resp.Header.Get("Allow"))
			}
			for _, s := range tt.body {
				if !strings.Contains(body, s) {
					t.Errorf("body lacks %s: %s", s, body)
				}
			}
		})
	}
	// The first fetch stored the feed's two items; they are counted once.
	_, body := do(t, "POST", base+"/api/fetch?feed=wire", auth...)
	var got struct {
		Feeds []server.FetchResult
		Total struct{ New, Seen int }
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Feeds) != 1 || got.Total.New != 0 || !slices.ContainsFunc(got.Feeds, func(r server.FetchResult) bool { return r.Result == "not_modified" || r.Seen == 2 }) {
		t.Errorf("fetch again: %s", body)
	}
}
