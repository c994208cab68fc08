package normalize

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/mmcdole/gofeed"
)

var testNow = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)

func parseFixture(tb testing.TB, path string) *gofeed.Feed {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	feed, err := gofeed.NewParser().Parse(f)
	if err != nil {
		tb.Fatalf("parse %s: %v", path, err)
	}
	return feed
}

func TestFeedRSS(t *testing.T) {
	feed := parseFixture(t, "testdata/rss.xml")
	n := New(nil)
	got := n.Feed("gazette", feed, "https://news.example.com/feeds/gazette.xml", testNow, nil)
	rel := ` rel="` + linkRel + `"`
	want := []feedmill.Item{
		{
			Key:        "guid:gazette-1001",
			GUID:       "gazette-1001",
			Link:       "https://news.example.com/2026/03/rail-link",
			LinkKey:    "news.example.com/2026/03/rail-link",
			Title:      "Q&A: what the rail link changes",
			Content:    `<p>Trucks <b>drop</b> by 40%.</p><img src="https://news.example.com/media/crane.jpg" alt="Crane"><a href="https://news.example.com/2026/archive/"` + rel + `>Archive</a>`,
			Author:     "Ana & Ben",
			Categories: []string{"Transport", "Port"},
			Published:  time.Date(2026, 3, 3, 8, 15, 0, 0, time.UTC),
		},
		{
			Key:       "link:https://news.example.com/2026/03/crossings",
			Link:      "https://news.example.com/2026/03/crossings",
			LinkKey:   "news.example.com/2026/03/crossings",
			Title:     "Crossings close for upgrades",
			Content:   "Two level crossings close in April.",
			Published: time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC),
		},
		{
			Key:       "guid:https://news.example.com/2026/03/permalink?utm_campaign=x",
			GUID:      "https://news.example.com/2026/03/permalink?utm_campaign=x",
			Link:      "https://news.example.com/2026/03/permalink",
			LinkKey:   "news.example.com/2026/03/permalink",
			Title:     "Permalink guid only",
			Content:   "An item whose guid is its link.",
			Published: time.Date(2026, 3, 4, 13, 0, 0, 0, time.UTC),
		},
		{
			Key:       "guid:gazette-1004",
			GUID:      "gazette-1004",
			Title:     "No title here, so the first words of the description make one…",
			Content:   "<p>No title here, so the first words of the description make one up for it today.</p>",
			Published: time.Time{}, // no date: the store uses first seen
		},
		{
			Key:       "guid:gazette-1005",
			GUID:      "gazette-1005",
			Link:      "https://news.example.com/2026/03/future",
			LinkKey:   "news.example.com/2026/03/future",
			Title:     "From the future",
			Published: testNow, // clamped
		},
		{
			Key:       "guid:gazette-shared|https://news.example.com/2026/03/shared-a",
			GUID:      "gazette-shared",
			Link:      "https://news.example.com/2026/03/shared-a",
			LinkKey:   "news.example.com/2026/03/shared-a",
			Title:     "Shared guid, first article",
			Published: time.Date(2026, 3, 5, 8, 0, 0, 0, time.UTC),
		},
		{
			Key:       "guid:gazette-shared|https://news.example.com/2026/03/shared-b",
			GUID:      "gazette-shared",
			Link:      "https://news.example.com/2026/03/shared-b",
			LinkKey:   "news.example.com/2026/03/shared-b",
			Title:     "Shared guid, second article",
			Published: time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC),
		},
		{
			Key:       Key("", "", "No guid, no link", "Only <b>text</b> identifies this one."),
			Title:     "No guid, no link",
			Content:   "Only <b>text</b> identifies this one.",
			Published: time.Time{}, // the epoch is a feed bug, not a date
		},
		// The last item repeats the first one's guid and link: left out.
	}
	checkItems(t, "gazette", feed, got, want)
}

func TestFeedAtom(t *testing.T) {
	feed := parseFixture(t, "testdata/atom.xml")
	got := New(nil).Feed("notes", feed, "https://blog.example.org/notes/feed.atom", testNow, nil)
	rel := ` rel="` + linkRel + `"`
	want := []feedmill.Item{
		{
			Key:        "guid:tag:blog.example.org,2026:notes/7",
			GUID:       "tag:blog.example.org,2026:notes/7",
			Link:       "https://blog.example.org/notes/2026/night-shifts.html?page=1",
			LinkKey:    "blog.example.org/notes/2026/night-shifts.html?page=1",
			Title:      "Night shifts at the quay",
			Content:    `<p>See the <a href="https://blog.example.org/notes/2026/photos/"` + rel + `>photos</a> and <img src="https://blog.example.org/notes/2026/img/quay.png" alt="Quay" width="640"/>.</p>`,
			Author:     "Cleo",
			Categories: []string{"Night"},
			Published:  time.Date(2026, 3, 6, 7, 30, 0, 0, time.UTC),
			Updated:    time.Date(2026, 3, 6, 7, 30, 0, 0, time.UTC),
		},
		{
			Key:       "guid:tag:blog.example.org,2026:notes/8",
			GUID:      "tag:blog.example.org,2026:notes/8",
			Link:      "https://blog.example.org/notes/summary-only",
			LinkKey:   "blog.example.org/notes/summary-only",
			Title:     "Summary only",
			Content:   "Plain &amp; simple",
			Published: time.Date(2026, 3, 5, 8, 0, 0, 0, time.UTC),
			Updated:   time.Date(2026, 3, 6, 8, 0, 0, 0, time.UTC),
		},
		{
			Key:       "guid:tag:blog.example.org,2026:notes/9",
			GUID:      "tag:blog.example.org,2026:notes/9",
			Link:      "https://blog.example.org/notes/embed-only",
			LinkKey:   "blog.example.org/notes/embed-only",
			Title:     "Embed only",
			Content:   "A video of the night shift.", // the content sanitized to nothing
			Published: time.Date(2026, 3, 7, 8, 0, 0, 0, time.UTC),
			Updated:   time.Date(2026, 3, 7, 8, 0, 0, 0, time.UTC),
		},
	}
	checkItems(t, "notes", feed, got, want)
}

// checkItems compares items field by field, filling in the fields that
// follow from others (Feed, Sources, Hash).
func checkItems(t *testing.T, feedName string, feed *gofeed.Feed, got, want []feedmill.Item) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d items, want %d", len(got), len(want))
		for _, it := range got {
			t.Logf("  %s", it.Key)
		}
		return
	}
	for i := range want {
		w := want[i]
		w.Feed = feedName
		w.Sources = []feedmill.Source{{Feed: feedName, Link: w.Link}}
		w.Hash = got[i].Hash
		if !reflect.DeepEqual(got[i], w) {
			t.Errorf("item %d:\n got %+v\nwant %+v", i, got[i], w)
		}
		if len(got[i].Hash) != 16 {
			t.Errorf("item %d: hash %q", i, got[i].Hash)
		}
	}
}

func TestFeedSkip(t *testing.T) {
	feed := parseFixture(t, "testdata/rss.xml")
	n := New(nil)
	hashes := map[string]string{}
	n.Feed("gazette", feed, "", testNow, func(key, hash string) bool {
		hashes[key] = hash
		return true
	})
	if len(hashes) != 8 {
		t.Fatalf("skip saw %d keys, want 8", len(hashes))
	}
	if h := hashes["guid:gazette-1001"]; h != RawHash(feed.Items[0]) {
		t.Errorf("skip got hash %q, want RawHash %q", h, RawHash(feed.Items[0]))
	}
	got := n.Feed("gazette", feed, "", testNow, func(key, _ string) bool {
		return key != "guid:gazette-1005"
	})
	if len(got) != 1 || got[0].Key != "guid:gazette-1005" {
		t.Errorf("got %d items, want only guid:gazette-1005", len(got))
	}
}

func TestItem(t *testing.T) {
	feed := parseFixture(t, "testdata/rss.xml")
	n := New(nil)
	// Alone, an item sharing its guid cannot know it.
	it := n.Item("gazette", feed, feed.Items[5], "https://news.example.com/feeds/gazette.xml", testNow)
	if it.Key != "guid:gazette-shared" {
		t.Errorf("Key = %q", it.Key)
	}
	if it.Hash != RawHash(feed.Items[5]) {
		t.Errorf("Hash = %q, want %q", it.Hash, RawHash(feed.Items[5]))
	}
	// With no feed link and no feed URL a relative link cannot be resolved.
	it = n.Item("gazette", &gofeed.Feed{}, feed.Items[1], "", testNow)
	if it.Link != "" || !strings.HasPrefix(it.Key, "hash:") {
		t.Errorf("unresolvable link: Link %q, Key %q", it.Link, it.Key)
	}
}

func TestKey(t *testing.T) {
	tests := []struct{ name, guid, link, title, content, want string }{
		{"guid wins", "abc-1", "https://example.com/a", "T", "C", "guid:abc-1"},
		{"guid trimmed", "  abc-1\n", "", "", "", "guid:abc-1"},
		{"link", "", "https://example.com/a", "T", "C", "link:https://example.com/a"},
		{"blank guid falls back to link", "   ", "https://example.com/a", "", "", "link:https://example.com/a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Key(tt.guid, tt.link, tt.title, tt.content); got != tt.want {
				t.Errorf("Key = %q, want %q", got, tt.want)
			}
		})
	}
	h := Key("", "", "Port news", "<p>Cargo rose.</p>")
	if !strings.HasPrefix(h, "hash:") || len(h) != len("hash:")+32 {
		t.Errorf("hash key %q", h)
	}
	same := []string{
		Key("", "", "Port  news", "<p>Cargo   rose.</p>"),
		Key("", "", "<b>Port</b> news", "<div>Cargo <i>rose.</i></div>"),
	}
	for _, s := range same {
		if s != h {
			t.Errorf("markup or spacing changed the hash key: %q != %q", s, h)
		}
	}
	if Key("", "", "Port news", "<p>Cargo fell.</p>") == h {
		t.Error("different content, same hash key")
	}
}

func TestRawHash(t *testing.T) {
	pub := time.Date(2026, 3, 3, 8, 0, 0, 0, time.UTC)
	base := func() *gofeed.Item {
		return &gofeed.Item{
			Title: "T", Link: "https://example.com/a", Links: []string{"https://example.com/a"},
			GUID: "g", Description: "d", Content: "c", Published: "Tue, 03 Mar 2026 08:00:00 GMT",
			PublishedParsed: &pub, Author: &gofeed.Person{Name: "A"},
			Authors:    []*gofeed.Person{{Name: "A"}},
			Categories: []string{"x", "y"},
			Enclosures: []*gofeed.Enclosure{{URL: "https://example.com/a.mp3"}},
		}
	}
	h := RawHash(base())
	if h != RawHash(base()) {
		t.Fatal("RawHash not deterministic")
	}
	// Pinned: the hash must not change between processes or releases unless
	// hashVersion does, or every stored item is normalized again.
	if want := "20e15d9cd7dd30b4"; h != want { // hashVersion 3
		t.Errorf("RawHash = %q, want %q", h, want)
	}
	changes := map[string]func(*gofeed.Item){
		"title":       func(it *gofeed.Item) { it.Title = "T2" },
		"link":        func(it *gofeed.Item) { it.Link = "https://example.com/b" },
		"links":       func(it *gofeed.Item) { it.Links = append(it.Links, "x") },
		"guid":        func(it *gofeed.Item) { it.GUID = "g2" },
		"description": func(it *gofeed.Item) { it.Description = "d2" },
		"content":     func(it *gofeed.Item) { it.Content = "c2" },
		"published":   func(it *gofeed.Item) { it.Published = "Wed, 04 Mar 2026 08:00:00 GMT" },
		"updated":     func(it *gofeed.Item) { it.Updated = "2026-03-04T08:00:00Z" },
		"author":      func(it *gofeed.Item) { it.Author = nil },
		"authors":     func(it *gofeed.Item) { it.Authors[0].Name = "B" },
		"categories":  func(it *gofeed.Item) { it.Categories = []string{"xy"} },
		"enclosure":   func(it *gofeed.Item) { it.Enclosures[0].URL = "https://example.com/b.mp3" },
		"field shift": func(it *gofeed.Item) { it.Title, it.Link = "Thttps://example.com/a", "" },
	}
	for name, change := range changes {
		it := base()
		change(it)
		if RawHash(it) == h {
			t.Errorf("changing %s does not change RawHash", name)
		}
	}
	it := base()
	if n := testing.AllocsPerRun(100, func() { RawHash(it) }); n > 1 {
		t.Errorf("RawHash allocates %v times, want only its result", n)
	}
}

func BenchmarkRawHash(b *testing.B) {
	feed := parseFixture(b, "testdata/rss.xml")
	it := feed.Items[0]
	for b.Loop() {
		RawHash(it)
	}
}

// BenchmarkFeed normalizes every item of a real 2025 NPR feed document,
// as the first poll of a feed does.
func BenchmarkFeed(b *testing.B) {
	feed, url := corpusItems(b)
	n := New(nil)
	b.ReportMetric(float64(len(feed.Items)), "items")
	for b.Loop() {
		n.Feed("npr", feed, url, testNow, nil)
	}
}

// BenchmarkFeedUnchanged is a later poll of the same document: every item
// is already stored with the same hash, so none is sanitized.
func BenchmarkFeedUnchanged(b *testing.B) {
	feed, url := corpusItems(b)
	n := New(nil)
	skipAll := func(string, string) bool { return true }
	for b.Loop() {
		n.Feed("npr", feed, url, testNow, skipAll)
	}
}
