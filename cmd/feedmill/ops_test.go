package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// wireServer serves feeds /NAME whose documents the test changes: each has
// the items added so far for it.
type wireServer struct {
	*httptest.Server
	mu    sync.Mutex
	items map[string][]string
}

func newWireServer(t *testing.T) *wireServer {
	w := &wireServer{items: map[string][]string{}}
	w.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		w.mu.Lock()
		defer w.mu.Unlock()
		fmt.Fprintf(rw, `<?xml version="1.0"?><rss version="2.0"><channel><title>%s</title><link>https://%s.example/</link>`, name, name)
		for i, title := range w.items[name] {
			fmt.Fprintf(rw, `<item><title>%s</title><link>https://%s.example/%d</link><guid>%s-%d</guid></item>`, title, name, i, name, i)
		}
		io.WriteString(rw, "</channel></rss>")
	}))
	t.Cleanup(w.Close)
	return w
}

func (w *wireServer) add(feed, title string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.items[feed] = append(w.items[feed], title)
}

// opsConfig writes a configuration of n feeds (f0, f1...) and one output
// of every item, polled rarely so that only the test's fetches poll.
func opsConfig(t *testing.T, path, listen, feedsURL string, n int, extra string) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "database: ops.db\nlisten: %s\nschedule: \"@every 1000h\"\n%sfeeds:\n", listen, extra)
	for i := range n {
		fmt.Fprintf(&b, "  - name: f%d\n    url: %s/f%d\n", i, feedsURL, i)
	}
	b.WriteString("outputs:\n  - name: all\n")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// body GETs url with optional header pairs and returns status and body.
func body(t *testing.T, method, url string, header ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestFetchWhileServe: `feedmill fetch` in another process, while the
// daemon writes the same database (a POST /api/fetch at the same time),
// stores without "database is locked", and the daemon's output shows the
// new items soon after.
func TestFetchWhileServe(t *testing.T) {
	const feeds = 6
	wire := newWireServer(t)
	for i := range feeds {
		for j := range 20 {
			wire.add(fmt.Sprintf("f%d", i), fmt.Sprintf("Story %d of f%d", j, i))
		}
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	listen := freeAddr(t)
	const token = "ops-test-token-0123456789"
	opsConfig(t, cfg, listen, wire.URL, feeds, "api_token: "+token+"\n")
	d := startDaemon(t, cfg, listen)

	for round := range 3 {
		// The new item the output must show is only in f0, which only the
		// fetch process polls; f3..f5 change too, and the daemon polls them
		// (POST /api/fetch) at the same time, so both processes write.
		marker := fmt.Sprintf("Breaking item of round %d", round)
		wire.add("f0", marker)
		apiURL := d.base + "/api/fetch?"
		for i := 3; i < feeds; i++ {
			wire.add(fmt.Sprintf("f%d", i), fmt.Sprintf("Filler of round %d in f%d", round, i))
			apiURL += fmt.Sprintf("feed=f%d&", i)
		}
		var wg sync.WaitGroup
		var apiCode int
		var apiBody string
		wg.Go(func() {
			apiCode, apiBody = body(t, "POST", apiURL, "Authorization", "Bearer "+token)
		})
		r := runFeedmill(t, nil, "--config", cfg, "fetch", "--json")
		fetched := time.Now()
		wg.Wait()
		if r.code != 0 || strings.Contains(r.stdout+r.stderr, "locked") {
			t.Fatalf("round %d: fetch while serving: exit %d\n%s%s", round, r.code, r.stdout, r.stderr)
		}
		if apiCode != 200 || strings.Contains(apiBody, "locked") || !strings.Contains(apiBody, `"failed":0`) {
			t.Fatalf("round %d: API fetch at the same time: %d %s", round, apiCode, apiBody)
		}
		// The output shows the new items: polled every 50 ms.
		var last string
		for {
			code, b := body(t, "GET", d.base+"/feeds/all.atom")
			last = b
			if code == 200 && strings.Contains(b, marker) {
				t.Logf("round %d: the output showed the new items %s after the fetch process ended", round,
					time.Since(fetched).Round(time.Millisecond))
				break
			}
			if time.Since(fetched) > 20*time.Second {
				t.Fatalf("round %d: the output did not show %q within 20s:\n%s", round, marker, last)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// TestOpsEndpoints runs the daemon and checks what an operator sees:
// POST /api/fetch with its token (and a changed token after SIGHUP),
// /metrics after that fetch and a reader's requests, and /healthz.
func TestOpsEndpoints(t *testing.T) {
	wire := newWireServer(t)
	wire.add("f0", "Ceasefire talks")
	wire.add("f0", "Markets calm")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	listen := freeAddr(t)
	const oldToken, newToken = "old-token-0123456789", "new-token-9876543210"
	opsConfig(t, cfg, listen, wire.URL, 1, "api_token: "+oldToken+"\n")
	d := startDaemon(t, cfg, listen)

	if code, b := body(t, "GET", d.base+"/healthz"); code != 200 || !strings.Contains(b, `"status":"ok"`) || !strings.Contains(b, `"scheduler":"ok"`) {
		t.Errorf("healthz: %d %s", code, b)
	}
	if code, _ := body(t, "POST", d.base+"/api/fetch"); code != 401 {
		t.Errorf("fetch without a token: %d, want 401", code)
	}
	if code, _ := body(t, "POST", d.base+"/api/fetch?feed=nope", "Authorization", "Bearer "+oldToken); code != 404 {
		t.Errorf("fetch of an unknown feed: %d, want 404", code)
	}
	code, b := body(t, "POST", d.base+"/api/fetch?feed=f0", "Authorization", "Bearer "+oldToken)
	var res struct {
		Feeds []struct {
			Feed, Result string
			New          int
		}
	}
	json.Unmarshal([]byte(b), &res)
	if code != 200 || len(res.Feeds) != 1 || res.Feeds[0].Result != "ok" || res.Feeds[0].New != 2 {
		t.Fatalf("fetch: %d %s", code, b)
	}

	// A feed service and a reader fetch the output; the reader again with
	// its ETag.
	feedly := "Feedly/1.0 (+http://www.feedly.com/fetcher.html; 42 subscribers; feed-id=abc)"
	body(t, "GET", d.base+"/feeds/all.rss", "User-Agent", feedly)
	resp, err := http.Get(d.base + "/feeds/all.atom")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if code, _ := body(t, "GET", d.base+"/feeds/all.atom", "If-None-Match", resp.Header.Get("ETag")); code != 304 {
		t.Errorf("conditional GET: %d", code)
	}

	// A request answered 400 is counted in the metrics, not as a reader.
	if code, _ := body(t, "GET", d.base+"/feeds/all.rss?before=garbage", "User-Agent", "Prober/1.0"); code != 400 {
		t.Errorf("bad cursor: %d, want 400", code)
	}

	resp, err = http.Get(d.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	sample := func(name string, labels map[string]string) float64 {
		f := fams[name]
		if f == nil {
			t.Errorf("%s missing", name)
			return -1
		}
	next:
		for _, m := range f.Metric {
			got := map[string]string{}
			for _, l := range m.Label {
				got[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if got[k] != v {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			}
		}
		t.Errorf("%s%v missing", name, labels)
		return -1
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"feedmill_fetches_total", map[string]string{"feed": "f0", "result": "ok"}, 1},
		{"feedmill_items_total", map[string]string{"feed": "f0", "outcome": "new"}, 2},
		{"feedmill_output_requests_total", map[string]string{"output": "all", "format": "atom", "code": "304"}, 1},
		{"feedmill_output_requests_total", map[string]string{"output": "all", "format": "rss", "code": "200"}, 1},
		{"feedmill_output_requests_total", map[string]string{"output": "all", "format": "rss", "code": "400"}, 1},
		{"feedmill_output_readers", map[string]string{"output": "all", "kind": "services"}, 42},
		{"feedmill_output_readers", map[string]string{"output": "all", "kind": "direct"}, 1},
		// Two unrelated items: no story of two items or more.
		{"feedmill_stories", nil, 0},
		{"feedmill_items", nil, 2},
		{"feedmill_items_pruned_total", nil, 0},
	} {
		if got := sample(c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if got := sample("feedmill_database_bytes", nil); got <= 0 {
		t.Errorf("feedmill_database_bytes = %v", got)
	}

	// The status page shows the output's readers: Feedly's 42 and this
	// test's client.
	if code, page := body(t, "GET", d.base+"/"); code != 200 || !strings.Contains(page, `data-label="Readers" class="num">43<`) {
		t.Errorf("status page: %d, readers of all not shown as 43:\n%s", code, page)
	}

	// A new token in the file, SIGHUP: the new one works, the old one no more.
	opsConfig(t, cfg, listen, wire.URL, 1, "api_token: "+newToken+"\n")
	d.cmd.Process.Signal(syscall.SIGHUP)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if code, _ := body(t, "POST", d.base+"/api/fetch?feed=f0", "Authorization", "Bearer "+newToken); code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the new token was not accepted within 20s of SIGHUP")
		}
	}
	if code, _ := body(t, "POST", d.base+"/api/fetch?feed=f0", "Authorization", "Bearer "+oldToken); code != 401 {
		t.Errorf("old token after the reload: %d, want 401", code)
	}
}
