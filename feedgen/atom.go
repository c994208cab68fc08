package feedgen

import (
	"time"

	"github.com/feedmill/feedmill"
	"github.com/gorilla/feeds"
)

const atomNS = "http://www.w3.org/2005/Atom"

type atomCategory struct {
	Term string `xml:"term,attr"`
}

// atomSource is RFC 4287 4.2.11: the feed an entry was copied from. The
// W3C validator checks it like a feed's metadata (id, title, updated and a
// self link), so it is written only for sources with a public URL, which
// stands in for their id; the author names the others.
type atomSource struct {
	ID      string         `xml:"id"`
	Title   string         `xml:"title"`
	Updated string         `xml:"updated"`
	Link    feeds.AtomLink `xml:"link"`
}

type atomEntry struct {
	*feeds.AtomEntry
	Categories []atomCategory `xml:"category"`
	Source     *atomSource    `xml:"source,omitempty"`
	Published  string         `xml:"published,omitempty"`
}

type atomFeed struct {
	*feeds.AtomFeed
	Lang    string           `xml:"xml:lang,attr,omitempty"`
	Links   []feeds.AtomLink `xml:"link"`
	Entries []*atomEntry     `xml:"entry"`
}

func renderAtom(o Output, feed *feeds.Feed, items []feedmill.Item) ([]byte, error) {
	af := (&feeds.Atom{Feed: feed}).AtomFeed()
	af.Link = nil
	af.Id = feed.Id
	af.Author = &feeds.AtomAuthor{AtomPerson: feeds.AtomPerson{Name: "feedmill"}}
	out := atomFeed{AtomFeed: af, Lang: o.Language, Links: []feeds.AtomLink{
		{Href: o.selfURL(Atom), Rel: "self", Type: "application/atom+xml"},
		{Href: feed.Link.Href, Rel: "alternate", Type: "text/html"},
	}}
	if next := o.nextURL(Atom); next != "" {
		out.Links = append(out.Links, feeds.AtomLink{Href: next, Rel: "next", Type: "application/atom+xml"})
	}
	if o.Hub != "" {
		out.Links = append(out.Links, feeds.AtomLink{Href: o.Hub, Rel: "hub"})
	}
	for i, e := range af.Entries {
		it := items[i]
		e.Links = nil
		if it.Link != "" {
			e.Links = []feeds.AtomLink{{Href: it.Link, Rel: "alternate", Type: "text/html"}}
		}
		// RFC 4287 4.1.1.1: an entry without an alternate link must have
		// content. An entry with nothing to say repeats its title as plain
		// text, the textual content the W3C validator asks every entry
		// for: as its content when it has no link, else as its summary.
		e.Content, e.Summary = nil, nil
		switch b := body(o, it); {
		case b != "":
			e.Content = &feeds.AtomContent{Type: "html", Content: b}
		case it.Link == "":
			e.Content = &feeds.AtomContent{Type: "text", Content: it.Title}
		}
		if sum := summary(it); sum != "" {
			e.Summary = &feeds.AtomSummary{Type: "html", Content: sum}
		} else if e.Content == nil {
			e.Summary = &feeds.AtomSummary{Type: "text", Content: it.Title}
		}
		ae := &atomEntry{AtomEntry: e, Published: it.Published.UTC().Format(time.RFC3339)}
		for _, t := range it.Topics {
			ae.Categories = append(ae.Categories, atomCategory{Term: t})
		}
		if s := source(o, it); s.URL != "" {
			ae.Source = &atomSource{ID: s.URL, Title: s.Title, Updated: e.Updated,
				Link: feeds.AtomLink{Href: s.URL, Rel: "self"}}
		}
		out.Entries = append(out.Entries, ae)
	}
	af.Entries = nil
	return marshalXML(out)
}
