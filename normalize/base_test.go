package normalize

import (
	"slices"
	"strings"
	"testing"
)

// TestRelativeLinks checks that item links are resolved against xml:base
// (of the feed, the item or the link itself, nested), else the feed's own
// site link, else the feed's URL, in RSS and Atom documents parsed by
// gofeed, and then canonicalized.
func TestRelativeLinks(t *testing.T) {
	tests := []struct {
		file, feedURL string
		want          []string
	}{
		{"xmlbase.atom", "https://feeds.example.net/world.atom", []string{
			"https://news.example.org/world/2026/kyiv-talks.html",
			"https://news.example.org/world/2026/odesa",
			"https://partner.example.com/wire/2026/03/wire-1/",
			"https://news.example.org/world/archive/march.html",
		}},
		{"nobase.atom", "https://feeds.example.net/blog/atom.xml", []string{
			"https://blog.example.net/posts/one",
			"https://blog.example.net/posts/two",
		}},
		{"xmlbase.rss", "https://www.example.com/rss/world.xml", []string{
			"https://www.example.com/world/2026/03/a",
			"https://www.example.com/world/b.html",
			"https://cdn.example.com/news/c.html",
			"https://m.example.com/world/d",
		}},
		{"channelbase.rss", "http://example.org/feeds/all.rss", []string{
			"https://example.org/news/2026/e.html",
		}},
		{"nolink.rss", "https://www.example.com/rss/world.xml", []string{
			"https://www.example.com/rss/f.html",
			"https://www.example.com/g.html",
		}},
	}
	n := New(nil)
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			feed := parseFixture(t, "testdata/base/"+tt.file)
			var got []string
			for _, it := range n.Feed("f", feed, tt.feedURL, testNow, nil) {
				got = append(got, it.Link)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("links:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestRelativeContentLinks checks that URLs inside an item's content end
// up absolute, resolved against the xml:base in scope or the item's link.
func TestRelativeContentLinks(t *testing.T) {
	feed := parseFixture(t, "testdata/base/xmlbase.atom")
	items := New(nil).Feed("f", feed, "https://feeds.example.net/world.atom", testNow, nil)
	if len(items) == 0 {
		t.Fatal("no items")
	}
	if want := `src="https://news.example.org/world/2026/img/kyiv.jpg"`; !strings.Contains(items[0].Content, want) {
		t.Errorf("content %q does not contain %s", items[0].Content, want)
	}
}
