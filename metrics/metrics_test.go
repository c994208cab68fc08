package metrics_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/feedgen"
	"github.com/feedmill/feedmill/fetcher"
	"github.com/feedmill/feedmill/metrics"
	"github.com/feedmill/feedmill/normalize"
	"github.com/feedmill/feedmill/poller"
	"github.com/feedmill/feedmill/readers"
	"github.com/feedmill/feedmill/server"
	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/topics"
)

var (
	_ metrics.Store   = (*storage.DB)(nil)
	_ poller.Observer = (*metrics.Metrics)(nil)
)

// rss is a feed document with the given items (title, link, guid; a guid
// of "" leaves it out).
func rss(items ...[3]string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><link>https://wire.example/</link>`)
	for _, it := range items {
		fmt.Fprintf(&b, "<item><title>%s</title><link>%s</link>", it[0], it[1])
		if it[2] != "" {
			fmt.Fprintf(&b, "<guid>%s</guid>", it[2])
		}
		b.WriteString("<pubDate>Mon, 23 Nov 2026 08:00:00 +0000</pubDate></item>")
	}
	b.WriteString("</channel></rss>")
	return b.String()
}

// feedServer serves documents by path, with an ETag, answering 304 to a
// request that sends it back.
func feedServer(t *testing.T, docs *sync.Map) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, ok := docs.Load(r.URL.Path)
		doc, _ := v.(string)
		if !ok {
			http.NotFound(w, r)
			return
		}
		etag := fmt.Sprintf(`"%d"`, len(doc))
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, doc)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// scrape fetches /metrics over HTTP and parses the text format.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return fams
}

// value returns the value of the sample of family name whose labels are
// exactly labels ("k=v" pairs); found is false when there is none.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) (v float64, found bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
	want := strings.Join(labels, ",")
	for _, m := range f.Metric {
		var got []string
		for _, l := range m.Label {
			got = append(got, l.GetName()+"="+l.GetValue())
		}
		sort.Strings(got)
		if strings.Join(got, ",") != want {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

func TestScrapeAfterPolls(t *testing.T) {
	wireDoc := rss([3]string{"Ceasefire talks in Geneva", "https://wire.example/a", "a"},
		[3]string{"Markets calm", "https://wire.example/b", "b"},
		[3]string{"Talks stall again", "https://wire.example/c", "c"})
	var docs sync.Map
	docs.Store("/wire", wireDoc)
	// Carries wire's first article (same link, no guid) and one of its own.
	docs.Store("/echo", rss([3]string{"Ceasefire talks in Geneva (echo)", "https://wire.example/a?utm_source=echo", ""},
		[3]string{"Weather", "https://echo.example/w", ""}))
	feeds := feedServer(t, &docs)
	db, err := storage.Open(t.Context(), filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	set, err := topics.Compile([]topics.Def{{Name: "peace", Match: "talks OR ceasefire"}, {Name: "weather", Match: "weather"}})
	if err != nil {
		t.Fatal(err)
	}
	counter := readers.NewCounter(readers.Options{})
	m := metrics.New(metrics.Options{Store: db, Readers: counter.Counts})
	p := &poller.Pipeline{Store: db, Fetcher: fetcher.New(fetcher.Options{}), Normalizer: normalize.New(nil), Topics: set, Observer: m}
	srv := httptest.NewServer(server.New(db, server.Config{
		Outputs: []server.Output{{Output: feedgen.Output{Name: "news", BaseURL: "http://feedmill.example"}, Select: feedmill.ItemQuery{Limit: 50}}},
		Ops: server.Ops{Metrics: m.Handler(), Observe: func(r server.Request) {
			m.Served(r.Output, r.Format, r.Status)
			counter.Record(r.Output, r.Format, r.UserAgent, r.RemoteAddr, time.Now())
		}},
		Recheck: -1,
	}))
	defer srv.Close()

	wire := poller.Feed{Name: "wire", URL: feeds.URL + "/wire"}
	echo := poller.Feed{Name: "echo", URL: feeds.URL + "/echo"}
	broken := poller.Feed{Name: "broken", URL: feeds.URL + "/nope"}
	for _, f := range []poller.Feed{wire, wire, echo, broken} {
		p.Poll(t.Context(), f)
	}

	// A feed service and a reader fetch the output; the reader again with
	// the ETag it got.
	get := func(ua, etag string) *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+"/feeds/news.atom", nil)
		req.Header.Set("User-Agent", ua)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	get("Feedly/1.0 (+http://www.feedly.com/fetcher.html; 42 subscribers; feed-id=x1)", "")
	first := get("NetNewsWire (RSS Reader; https://netnewswire.com/)", "")
	if again := get("NetNewsWire (RSS Reader; https://netnewswire.com/)", first.Header.Get("ETag")); again.StatusCode != 304 {
		t.Fatalf("conditional request: %d, want 304", again.StatusCode)
	}

	fams := scrape(t, srv.URL)
	checks := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"feedmill_fetches_total", []string{"feed=wire", "result=ok"}, 1},
		{"feedmill_fetches_total", []string{"feed=wire", "result=not_modified"}, 1},
		{"feedmill_fetches_total", []string{"feed=echo", "result=ok"}, 1},
		{"feedmill_fetches_total", []string{"feed=broken", "result=failed"}, 1},
		{"feedmill_fetch_duration_seconds", []string{"result=ok"}, 2},
		{"feedmill_items_total", []string{"feed=wire", "outcome=new"}, 3},
		{"feedmill_items_total", []string{"feed=echo", "outcome=new"}, 1},
		{"feedmill_items_total", []string{"feed=echo", "outcome=merged"}, 1},
		{"feedmill_topic_matches_total", []string{"topic=peace"}, 2},
		{"feedmill_topic_matches_total", []string{"topic=weather"}, 1},
		{"feedmill_topic_items", []string{"topic=peace"}, 2},
		{"feedmill_topic_items", []string{"topic=weather"}, 1},
		{"feedmill_dedup_merges_total", []string{"kind=link"}, 1},
		{"feedmill_dedup_merges_total", []string{"kind=guid"}, 0},
		{"feedmill_dedup_merges_total", []string{"kind=story"}, 0},
		{"feedmill_output_requests_total", []string{"code=200", "format=atom", "output=news"}, 2},
		{"feedmill_output_requests_total", []string{"code=304", "format=atom", "output=news"}, 1},
		{"feedmill_output_readers", []string{"kind=services", "output=news"}, 42},
		{"feedmill_output_readers", []string{"kind=direct", "output=news"}, 1},
		{"feedmill_output_subscribers", []string{"output=news", "service=Feedly"}, 42},
	}
	for _, c := range checks {
		got, ok := value(fams, c.name, c.labels...)
		if !ok || got != c.want {
			t.Errorf("%s{%s} = %v (present %v), want %v", c.name, strings.Join(c.labels, ","), got, ok, c.want)
		}
	}
	if size, ok := value(fams, "feedmill_database_bytes"); !ok || size < 4096 {
		t.Errorf("feedmill_database_bytes = %v", size)
	}
	for _, feed := range []string{"wire", "echo"} {
		at, ok := value(fams, "feedmill_feed_last_success_timestamp_seconds", "feed="+feed)
		if !ok || time.Since(time.Unix(int64(at), 0)) > time.Minute {
			t.Errorf("last success of %s: %v", feed, at)
		}
	}
	if _, ok := value(fams, "feedmill_feed_last_success_timestamp_seconds", "feed=broken"); ok {
		t.Error("a feed that never succeeded has a last success time")
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if fams[name] == nil {
			t.Errorf("%s missing", name)
		}
	}
	if fams["feedmill_stories"] != nil {
		t.Error("feedmill_stories present without a story count")
	}

	// The same articles polled again (the document changed, its items did
	// not): seen, recognized by guid.
	docs.Store("/wire", wireDoc+"\n<!-- changed -->")
	p.Poll(t.Context(), wire)
	fams = scrape(t, srv.URL)
	if got, _ := value(fams, "feedmill_dedup_merges_total", "kind=guid"); got != 3 {
		t.Errorf("guid merges after a re-poll: %v, want 3", got)
	}
	if got, _ := value(fams, "feedmill_items_total", "feed=wire", "outcome=seen"); got != 3 {
		t.Errorf("seen items after a re-poll: %v, want 3", got)
	}
}

func TestHooks(t *testing.T) {
	tick := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	m := metrics.New(metrics.Options{StoryCount: func(ctx context.Context) (int, error) { return 7, nil },
		LastTick: func() time.Time { return tick },
		Retention: func(ctx context.Context) (metrics.RetentionStats, error) {
			return metrics.RetentionStats{ItemsPruned: 120, LastPrune: tick, Tombstones: 80, Items: 900}, nil
		}})
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := value(fams, "feedmill_stories"); !ok || got != 7 {
		t.Errorf("feedmill_stories = %v %v, want 7", got, ok)
	}
	if got, ok := value(fams, "feedmill_scheduler_last_tick_timestamp_seconds"); !ok || int64(got) != tick.Unix() {
		t.Errorf("feedmill_scheduler_last_tick_timestamp_seconds = %v %v, want %d", got, ok, tick.Unix())
	}
	for name, want := range map[string]float64{"feedmill_items_pruned_total": 120, "feedmill_tombstones": 80,
		"feedmill_items": 900, "feedmill_last_prune_timestamp_seconds": float64(tick.Unix())} {
		if got, ok := value(fams, name); !ok || got != want {
			t.Errorf("%s = %v %v, want %v", name, got, ok, want)
		}
	}
}
