package server

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/feedgen"
	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/stories"
	"golang.org/x/net/html"
)

// statusSetup stores items of two feeds over several days, a failing and a
// disabled feed, and serves them with topics and a private output.
func statusSetup(t *testing.T) (*storage.DB, *Server, *httptest.Server) {
	t.Helper()
	ctx := t.Context()
	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "status.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := time.Now().UTC()
	n := 0
	poll := func(feed string, daysAgo int, topics []string, titles ...string) {
		t.Helper()
		var items []feedmill.Item
		for _, title := range titles {
			n++
			link := "https://" + feed + ".example/" + strconv.Itoa(n)
			items = append(items, feedmill.Item{Key: "guid:" + strconv.Itoa(n), Link: link, LinkKey: link, Title: title,
				Hash: title, Topics: topics, Published: now.Add(-time.Duration(daysAgo)*24*time.Hour - time.Duration(n)*time.Minute)})
		}
		if _, err := db.Ingest(ctx, feedmill.Batch{Feed: feed, URL: "https://" + feed + ".example/rss", Title: strings.ToUpper(feed),
			SiteURL: "https://" + feed + ".example/", FetchedAt: now.AddDate(0, 0, -daysAgo), Items: items,
			State: feedmill.FetchState{NextCheck: now.Add(10 * time.Minute)}}); err != nil {
			t.Fatal(err)
		}
	}
	poll("alpha", 0, []string{"war"}, "Alpha today 1", "Alpha today 2", "Alpha today 3")
	poll("alpha", 2, []string{"war", "peace"}, "Alpha two days ago")
	poll("alpha", 40, nil, "Alpha long ago")
	poll("beta", 1, []string{"peace"}, "Beta yesterday")
	if err := db.RecordPoll(ctx, feedmill.Batch{Feed: "broken", URL: "https://broken.example/rss", FetchedAt: now,
		Outcome: feedmill.OutcomeFailed, Error: "HTTP 500 Internal Server Error",
		State: feedmill.FetchState{Failures: 3, FailingSince: now.Add(-time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordPoll(ctx, feedmill.Batch{Feed: "gone", URL: "https://gone.example/rss", FetchedAt: now,
		Outcome: feedmill.OutcomeGone, Error: "feed is gone (HTTP 410)", State: feedmill.FetchState{Disabled: true}}); err != nil {
		t.Fatal(err)
	}
	s := New(db, Config{
		Outputs: []Output{
			{Output: feedgen.Output{Name: "war", Title: "War news", BaseURL: "http://feeds.example"}, Select: feedmill.ItemQuery{Topics: []string{"war"}, Limit: 10}},
			{Output: feedgen.Output{Name: "secret", Title: "Secret", BaseURL: "http://feeds.example", Key: "k3y-0123456789abcdef"}, Select: feedmill.ItemQuery{Limit: 10}},
		},
		Topics:  []Topic{{Name: "war", Title: "The war"}, {Name: "peace"}, {Name: "empty", Title: "Nothing yet"}},
		Sources: map[string]feedgen.SourceFeed{"alpha": {Title: "Alpha (configured)"}, "later": {URL: "https://later.example/rss"}},
		MaxAge:  15 * time.Minute,
		Recheck: -1,
	})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return db, s, srv
}

// node finds the first element for which match is true, depth first.
func node(n *html.Node, match func(*html.Node) bool) *html.Node {
	if n.Type == html.ElementNode && match(n) {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if m := node(c, match); m != nil {
			return m
		}
	}
	return nil
}

// nodes returns every element under n for which match is true.
func nodes(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && match(c) {
			out = append(out, c)
		}
		out = append(out, nodes(c, match)...)
	}
	return out
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

func byID(id string) func(*html.Node) bool {
	return func(n *html.Node) bool { return attr(n, "id") == id }
}

func hasClass(class string) func(*html.Node) bool {
	return func(n *html.Node) bool { return slices.Contains(strings.Fields(attr(n, "class")), class) }
}

// text is the text content of n, spaces collapsed.
func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// barCounts returns the item counts of a chart's days, oldest first.
func barCounts(t *testing.T, svg *html.Node) []int {
	t.Helper()
	var counts []int
	for i, g := range nodes(svg, hasClass("day")) {
		n, err := strconv.Atoi(attr(g, "data-count"))
		if err != nil {
			t.Fatal(err)
		}
		bar := node(g, hasClass("bar"))
		if (n > 0) != (bar != nil) {
			t.Errorf("day %d with %d items: bar %v", i, n, bar != nil)
		}
		if bar != nil {
			if h, _ := strconv.ParseFloat(attr(bar, "height"), 64); h <= 0 {
				t.Errorf("day %d with %d items: bar height %q", i, n, attr(bar, "height"))
			}
		}
		counts = append(counts, n)
	}
	return counts
}

func TestStatusPage(t *testing.T) {
	_, _, srv := statusSetup(t)
	resp, body := get(t, srv.URL+"/")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
		t.Errorf("Content-Security-Policy %q: want no script allowed", csp)
	}
	if strings.Contains(body, "k3y-0123456789abcdef") {
		t.Error("the page shows a private output's key")
	}
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if node(doc, func(n *html.Node) bool { return n.Data == "script" }) != nil {
		t.Error("the page has a script")
	}
	// The last bar is today, the one before it yesterday.
	ago := func(pairs ...int) []int {
		c := make([]int, StatusDays)
		for i := 0; i+1 < len(pairs); i += 2 {
			c[StatusDays-1-pairs[i]] = pairs[i+1]
		}
		return c
	}
	feeds := []struct {
		name, status, text, err string
		items                   int
		days                    []int
	}{
		{"alpha", "ok", "Alpha (configured) (alpha)", "", 5, ago(0, 3, 2, 1)},
		{"beta", "ok", "BETA (beta)", "", 1, ago(1, 1)},
		{"broken", "failing", "failing since 1h ago", "HTTP 500 Internal Server Error", 0, ago()},
		{"gone", "disabled", "disabled (gone)", "feed is gone (HTTP 410)", 0, ago()},
		{"later", "pending", "not fetched yet", "", 0, ago()},
	}
	for _, f := range feeds {
		t.Run("feed "+f.name, func(t *testing.T) {
			row := node(doc, byID("feed-"+f.name))
			if row == nil {
				t.Fatal("no row")
			}
			if attr(row, "data-status") != f.status || !hasClass("status-"+f.status)(row) {
				t.Errorf("status %q, class %q; want %s", attr(row, "data-status"), attr(row, "class"), f.status)
			}
			if got := text(row); !strings.Contains(got, f.text) || !strings.Contains(got, f.err) {
				t.Errorf("row text %q, want %q and %q", got, f.text, f.err)
			}
			if e := node(row, hasClass("error")); (e != nil) != (f.err != "") {
				t.Errorf("error shown: %v, want %q", e != nil, f.err)
			}
			if got := text(node(row, hasClass("num"))); got != strconv.Itoa(f.items) {
				t.Errorf("items %s, want %d", got, f.items)
			}
			svg := node(row, func(n *html.Node) bool { return n.Data == "svg" })
			if svg == nil || attr(svg, "role") != "img" || attr(svg, "aria-label") == "" {
				t.Fatalf("chart %v", svg)
			}
			if got := barCounts(t, svg); !slices.Equal(got, f.days) {
				t.Errorf("bars %v\nwant %v", got, f.days)
			}
		})
	}
	topics := []struct {
		name, heading string
		days          []int
		newest        []string
	}{
		{"war", "The war (war) · 4 items", ago(0, 3, 2, 1), []string{"Alpha today 1", "Alpha today 2", "Alpha today 3", "Alpha two days ago"}},
		{"peace", "peace (peace) · 2 items", ago(1, 1, 2, 1), []string{"Beta yesterday", "Alpha two days ago"}},
		{"empty", "Nothing yet (empty) · 0 items", ago(), nil},
	}
	for _, tp := range topics {
		t.Run("topic "+tp.name, func(t *testing.T) {
			sec := node(doc, byID("topic-"+tp.name))
			if sec == nil {
				t.Fatal("no section")
			}
			if got := text(node(sec, func(n *html.Node) bool { return n.Data == "h3" })); got != tp.heading {
				t.Errorf("heading %q, want %q", got, tp.heading)
			}
			if got := barCounts(t, node(sec, func(n *html.Node) bool { return n.Data == "svg" })); !slices.Equal(got, tp.days) {
				t.Errorf("bars %v\nwant %v", got, tp.days)
			}
			var newest []string
			for _, a := range nodes(sec, func(n *html.Node) bool { return n.Data == "a" }) {
				newest = append(newest, text(a))
				if !strings.HasPrefix(attr(a, "href"), "https://alpha.example/") && !strings.HasPrefix(attr(a, "href"), "https://beta.example/") {
					t.Errorf("link %q", attr(a, "href"))
				}
			}
			if !slices.Equal(newest, tp.newest) {
				t.Errorf("newest %q, want %q", newest, tp.newest)
			}
		})
	}
	out := text(node(doc, byID("output-war")))
	links := nodes(node(doc, byID("output-war")), func(n *html.Node) bool { return n.Data == "a" })
	var hrefs []string
	for _, a := range links {
		hrefs = append(hrefs, attr(a, "href"))
	}
	if want := []string{"http://feeds.example/feeds/war.rss", "http://feeds.example/feeds/war.atom", "http://feeds.example/feeds/war.json"}; !slices.Equal(hrefs, want) {
		t.Errorf("output war: links %q, want %q (%s)", hrefs, want, out)
	}
	secret := node(doc, byID("output-secret"))
	if secret == nil || node(secret, func(n *html.Node) bool { return n.Data == "a" }) != nil || !strings.Contains(text(secret), "private") {
		t.Errorf("private output row: %v", secret)
	}
	if node(doc, func(n *html.Node) bool { return n.Data == "a" && attr(n, "href") == "/opml" }) == nil {
		t.Error("no OPML link")
	}
}

// TestStatusReaders: reader counts show when the server knows them.
func TestStatusReaders(t *testing.T) {
	db, _, _ := statusSetup(t)
	s := New(db, Config{
		Outputs: []Output{{Output: feedgen.Output{Name: "war", BaseURL: "http://feeds.example"}, Select: feedmill.ItemQuery{Limit: 10}},
			{Output: feedgen.Output{Name: "all", BaseURL: "http://feeds.example"}, Select: feedmill.ItemQuery{Limit: 10}}},
		Readers: func(output string) (int, bool) { return 42, output == "war" },
	})
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	doc, err := html.Parse(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"war": "42", "all": "–"} {
		row := node(doc, byID("output-"+name))
		if got := text(node(row, hasClass("num"))); got != want {
			t.Errorf("output %s: readers %q, want %q", name, got, want)
		}
	}
}

// TestStatusCache: the page is rendered again when the items change or
// after statusTTL (a feed's status changes without the items), not per
// request.
func TestStatusCache(t *testing.T) {
	db, s, srv := statusSetup(t)
	now := time.Now()
	s.now = func() time.Time { return now }
	_, first := get(t, srv.URL+"/")
	if err := db.RecordPoll(t.Context(), feedmill.Batch{Feed: "beta", URL: "https://beta.example/rss", FetchedAt: now,
		Outcome: feedmill.OutcomeFailed, Error: "connection refused"}); err != nil {
		t.Fatal(err)
	}
	if _, again := get(t, srv.URL+"/"); again != first {
		t.Error("rendered again within the TTL without a change of the items")
	}
	now = now.Add(statusTTL)
	if _, later := get(t, srv.URL+"/"); !strings.Contains(later, "connection refused") {
		t.Error("a feed's new status did not show after the TTL")
	}
	_, before := get(t, srv.URL+"/")
	add(t, db, "guid:new", "https://x.example/new", "A brand new story", "war")
	if _, after := get(t, srv.URL+"/"); after == before || !strings.Contains(after, "A brand new story") {
		t.Error("a new item did not show at once")
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, "/", nil))
	if rec.Code != 200 || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") == "" {
		t.Errorf("HEAD /: %d, %d bytes, %v", rec.Code, rec.Body.Len(), rec.Header())
	}
}

// TestStatusPageEscapes: whatever a feed managed to get stored (a title
// with markup, a script link) is shown as text, and only web links are
// links.
func TestStatusPageEscapes(t *testing.T) {
	db, _, srv := statusSetup(t)
	const evil = `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1"> & "co"`
	if _, err := db.Ingest(t.Context(), feedmill.Batch{Feed: "evil", URL: "javascript:window.__pwned=1", Title: evil,
		SiteURL: " javascript:window.__pwned=1", FetchedAt: time.Now(), Items: []feedmill.Item{{Key: "guid:evil",
			Link: "javascript:window.__pwned=1", Title: evil, Hash: "evil", Topics: []string{"war"}, Published: time.Now()}}}); err != nil {
		t.Fatal(err)
	}
	_, body := get(t, srv.URL+"/")
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes(doc, func(*html.Node) bool { return true }) {
		if n.Data == "script" || n.Data == "img" {
			t.Errorf("a <%s> element on the page", n.Data)
		}
		for _, a := range n.Attr {
			if strings.HasPrefix(a.Key, "on") || strings.Contains(a.Val, "javascript:") {
				t.Errorf("<%s %s=%q>", n.Data, a.Key, a.Val)
			}
		}
	}
	row := node(doc, byID("feed-evil"))
	if row == nil || !strings.Contains(text(row), evil) {
		t.Errorf("the feed's title is not shown as text: %v", row)
	}
	war := node(doc, byID("topic-war"))
	if !strings.Contains(text(war), evil) {
		t.Errorf("the item's title is not shown as text: %q", text(war))
	}
}

// TestStatusStories: a story told by several feeds is listed once among a
// topic's newest items, with how many more sources told it.
func TestStatusStories(t *testing.T) {
	db, _, _ := statusSetup(t)
	db.SetStories(stories.DefaultConfig())
	now := time.Now()
	lead := "<p>Rescuers in the port city searched collapsed buildings through the night after a magnitude 7.1 earthquake struck the coast on Monday, the governor said.</p>"
	for i, feed := range []string{"wire-a", "wire-b", "wire-c"} {
		link := "https://" + feed + ".example/quake"
		if _, err := db.Ingest(t.Context(), feedmill.Batch{Feed: feed, URL: "https://" + feed + ".example/rss", FetchedAt: now,
			Items: []feedmill.Item{{Key: "guid:quake", Link: link, LinkKey: link, Title: "Magnitude 7.1 earthquake strikes the coast, rescuers search rubble",
				Content: lead, Hash: feed, Topics: []string{"quake"}, Published: now.Add(time.Duration(i) * time.Minute)}}}); err != nil {
			t.Fatal(err)
		}
	}
	s := New(db, Config{Topics: []Topic{{Name: "quake"}}})
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	doc, err := html.Parse(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	items := nodes(node(doc, byID("topic-quake")), func(n *html.Node) bool { return n.Data == "li" })
	if len(items) != 1 || !strings.Contains(text(items[0]), "+2 more sources") {
		var texts []string
		for _, li := range items {
			texts = append(texts, text(li))
		}
		t.Errorf("newest items of the topic: %q, want the story once with +2 more sources", texts)
	}
}

// TestStatusGzip: the page is served gzipped to clients that accept it,
// and the same once unzipped.
func TestStatusGzip(t *testing.T) {
	_, s, _ := statusSetup(t)
	plain := httptest.NewRecorder()
	s.ServeHTTP(plain, httptest.NewRequest("GET", "/", nil))
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	zipped := httptest.NewRecorder()
	s.ServeHTTP(zipped, req)
	if zipped.Header().Get("Content-Encoding") != "gzip" || plain.Header().Get("Content-Encoding") != "" ||
		zipped.Header().Get("Vary") != "Accept-Encoding" {
		t.Fatalf("headers: gzip %v, identity %v", zipped.Header(), plain.Header())
	}
	zippedLen := zipped.Body.Len()
	if got := zipped.Header().Get("Content-Length"); got != strconv.Itoa(zippedLen) {
		t.Errorf("Content-Length %s for %d bytes", got, zippedLen)
	}
	zr, err := gzip.NewReader(zipped.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, plain.Body.Bytes()) || zippedLen*3 > len(body) {
		t.Errorf("gzip: %d bytes for %d, same content: %v", zippedLen, len(body), bytes.Equal(body, plain.Body.Bytes()))
	}
}
