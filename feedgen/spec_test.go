package feedgen

import (
	"bytes"
	"encoding/xml"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
)

// node is a generic XML element, to check documents against the rules of
// their specifications rather than against our own structs.
type node struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Text     string     `xml:",chardata"`
	Children []*node    `xml:",any"`
}

func (n *node) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n *node) all(name string) []*node {
	var out []*node
	for _, c := range n.Children {
		if c.XMLName.Local == name {
			out = append(out, c)
		}
	}
	return out
}

func (n *node) one(name string) *node {
	if l := n.all(name); len(l) > 0 {
		return l[0]
	}
	return nil
}

func parseNode(t *testing.T, b []byte) *node {
	t.Helper()
	var n node
	if err := xml.NewDecoder(bytes.NewReader(b)).Decode(&n); err != nil {
		t.Fatalf("not well-formed XML: %v", err)
	}
	return &n
}

func absolute(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// specCases are outputs whose documents must follow the specifications to
// the letter: with and without items, links, authors, sources, keys, pages.
func specCases() map[string]struct {
	out   Output
	items []feedmill.Item
} {
	paged := testOutput()
	paged.Key, paged.Before, paged.Next, paged.Language = "k&y", "1-2", "0-1", "en"
	noSources := testOutput()
	noSources.Sources = nil
	hub := testOutput()
	hub.Hub = "https://hub.example/websub"
	// Items with nothing to say: one with a link, one without.
	bare := testItems()[:2]
	for i := range bare {
		bare[i].Content, bare[i].FullContent = "", ""
	}
	bare[1].Link = ""
	return map[string]struct {
		out   Output
		items []feedmill.Item
	}{
		"plain":      {testOutput(), testItems()},
		"empty":      {testOutput(), nil},
		"paged":      {paged, testItems()},
		"no sources": {noSources, testItems()},
		"hub":        {hub, testItems()},
		"no content": {testOutput(), bare},
	}
}

// TestAtomSpec checks RFC 4287's rules, those the W3C feed validator
// enforces as errors.
func TestAtomSpec(t *testing.T) {
	for name, c := range specCases() {
		t.Run(name, func(t *testing.T) {
			b, err := Render(c.out, c.items, Atom)
			if err != nil {
				t.Fatal(err)
			}
			feed := parseNode(t, b)
			if feed.XMLName.Space != atomNS || feed.XMLName.Local != "feed" {
				t.Fatalf("root is %v", feed.XMLName)
			}
			checkAtomCommon(t, "feed", feed)
			if feed.one("author") == nil {
				t.Error("feed has no author, so every entry would need one")
			}
			self := 0
			for _, l := range feed.all("link") {
				if l.attr("rel") == "self" {
					self++
				}
			}
			if self != 1 {
				t.Errorf("feed has %d self links, want 1", self)
			}
			entries := feed.all("entry")
			if len(entries) != len(c.items) {
				t.Fatalf("%d entries, want %d", len(entries), len(c.items))
			}
			for _, e := range entries {
				checkAtomCommon(t, "entry", e)
				alternate := false
				for _, l := range e.all("link") {
					alternate = alternate || l.attr("rel") == "alternate"
				}
				if !alternate && e.one("content") == nil {
					t.Error("entry has neither content nor an alternate link (RFC 4287 4.1.1)")
				}
				// The W3C validator warns of blank content where it could
				// have been left out.
				if c := e.one("content"); alternate && c != nil && strings.TrimSpace(c.Text) == "" {
					t.Error("entry with an alternate link has blank content")
				}
				// and of an entry with no textual content at all.
				if e.one("content") == nil && e.one("summary") == nil {
					t.Error("entry has neither content nor summary")
				}
				if e.one("author") == nil || strings.TrimSpace(e.one("author").one("name").Text) == "" {
					t.Error("entry has no author name")
				}
				if p := e.one("published"); p != nil {
					if _, err := time.Parse(time.RFC3339, p.Text); err != nil {
						t.Errorf("published %q: %v", p.Text, err)
					}
				}
				for _, cat := range e.all("category") {
					if cat.attr("term") == "" {
						t.Error("category without a term")
					}
				}
				// The W3C validator checks a source like a feed's metadata.
				if s := e.one("source"); s != nil {
					checkAtomCommon(t, "source", s)
					if l := s.one("link"); l == nil || l.attr("rel") != "self" {
						t.Error("source without a self link")
					}
				}
			}
		})
	}
}

// checkAtomCommon: id, title and updated exactly once, the id an absolute
// IRI, updated an RFC 3339 date, every link href absolute.
func checkAtomCommon(t *testing.T, what string, n *node) {
	t.Helper()
	for _, name := range []string{"id", "title", "updated"} {
		if got := len(n.all(name)); got != 1 {
			t.Errorf("%s has %d <%s>, want 1", what, got, name)
		}
	}
	if id := n.one("id"); id != nil {
		if u, err := url.Parse(id.Text); err != nil || u.Scheme == "" {
			t.Errorf("%s id %q is not an absolute IRI", what, id.Text)
		}
	}
	if u := n.one("updated"); u != nil {
		d, err := time.Parse(time.RFC3339, u.Text)
		if err != nil {
			t.Errorf("%s updated %q: %v", what, u.Text, err)
		}
		// The W3C validator calls dates before 1990 implausible.
		if err == nil && d.Year() < 1990 {
			t.Errorf("%s updated %q is implausible", what, u.Text)
		}
	}
	for _, l := range n.all("link") {
		if !absolute(l.attr("href")) {
			t.Errorf("%s link %q is not absolute", what, l.attr("href"))
		}
	}
}

// TestRSSSpec checks the RSS 2.0 specification's rules and the W3C
// validator's: required channel elements, no empty elements, absolute
// links, RFC 822 dates with four-digit years, <source url>.
func TestRSSSpec(t *testing.T) {
	for name, c := range specCases() {
		t.Run(name, func(t *testing.T) {
			b, err := Render(c.out, c.items, RSS)
			if err != nil {
				t.Fatal(err)
			}
			rss := parseNode(t, b)
			if rss.XMLName.Local != "rss" || rss.attr("version") != "2.0" {
				t.Fatalf("root %v version %q", rss.XMLName, rss.attr("version"))
			}
			ch := rss.one("channel")
			for _, name := range []string{"title", "link", "description"} {
				if n := ch.one(name); n == nil || strings.TrimSpace(n.Text) == "" {
					t.Errorf("channel has no %s", name)
				}
			}
			if !absolute(ch.one("link").Text) {
				t.Errorf("channel link %q", ch.one("link").Text)
			}
			for _, l := range ch.all("link") {
				if l.XMLName.Space == atomNS && !absolute(l.attr("href")) {
					t.Errorf("atom:link %q is not absolute", l.attr("href"))
				}
			}
			items := ch.all("item")
			if len(items) != len(c.items) {
				t.Fatalf("%d items, want %d", len(items), len(c.items))
			}
			for _, it := range items {
				if it.one("title") == nil && it.one("description") == nil {
					t.Error("item has neither title nor description")
				}
				for _, child := range it.Children {
					if strings.TrimSpace(child.Text) == "" && len(child.Children) == 0 {
						t.Errorf("empty <%s> in an item", child.XMLName.Local)
					}
				}
				if l := it.one("link"); l != nil && !absolute(l.Text) {
					t.Errorf("item link %q", l.Text)
				}
				g := it.one("guid")
				if g == nil {
					t.Fatal("item without guid")
				}
				if g.attr("isPermaLink") != "false" && !absolute(g.Text) {
					t.Errorf("guid %q is a permalink but not a URL", g.Text)
				}
				if p := it.one("pubDate"); p == nil {
					t.Error("item without pubDate")
				} else if _, err := time.Parse(time.RFC1123Z, p.Text); err != nil {
					t.Errorf("pubDate %q: %v", p.Text, err)
				}
				if s := it.one("source"); s != nil && !absolute(s.attr("url")) {
					t.Errorf("source url %q", s.attr("url"))
				}
				if it.one("author") != nil {
					t.Error("<author> must be an e-mail address; names belong in dc:creator")
				}
			}
		})
	}
}
