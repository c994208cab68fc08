// Package feedgen renders stored items as the output feeds people subscribe
// to: RSS 2.0, Atom 1.0 and JSON Feed 1.1. It builds on gorilla/feeds and
// extends its documents where they fall short (several categories per entry,
// self links, the source feed, permalink flags). It is pure: items in, bytes
// out, and the same items always give the same bytes, so any process can
// serve an output with the same ETag.
package feedgen

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"strconv"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/gorilla/feeds"
)

// Format is an output document format.
type Format string

// The output formats, named by their URL extension.
const (
	RSS  Format = "rss"
	Atom Format = "atom"
	JSON Format = "json"
)

// Formats lists every format, in the order outputs show them.
var Formats = []Format{RSS, Atom, JSON}

// ContentType is the HTTP media type of documents in f.
func (f Format) ContentType() string {
	switch f {
	case RSS:
		return "application/rss+xml; charset=utf-8"
	case Atom:
		return "application/atom+xml; charset=utf-8"
	case JSON:
		return "application/feed+json; charset=utf-8"
	}
	return "application/octet-stream"
}

// Output describes one output feed.
type Output struct {
	// Name is the output's name; its documents live at /feeds/NAME.EXT.
	Name        string
	Title       string
	Description string
	// BaseURL is the public root of the server, without a trailing slash.
	BaseURL string
	// Sources names the input feeds for the "source" of each entry.
	Sources map[string]SourceFeed
}

// SourceFeed is what an output says about a feed that carried an item.
type SourceFeed struct {
	Title string
	URL   string
}

// URL is the address of the output in format f.
func (o Output) URL(f Format) string {
	return o.BaseURL + "/feeds/" + o.Name + "." + string(f)
}

// ItemID is an entry's id: derived from the stored item's id, which never
// changes, so readers never see an entry twice.
func ItemID(it feedmill.Item) string {
	return "tag:feedmill,2026:item/" + strconv.FormatInt(it.ID, 10)
}

// Render writes items, newest first as given, as an output document.
func Render(o Output, items []feedmill.Item, f Format) ([]byte, error) {
	feed := build(o, items)
	switch f {
	case RSS:
		return renderRSS(o, feed, items)
	case Atom:
		return renderAtom(o, feed, items)
	case JSON:
		return renderJSON(o, feed, items)
	}
	return nil, fmt.Errorf("feedgen: unknown format %q", f)
}

// build makes the gorilla/feeds model that all three formats start from.
func build(o Output, items []feedmill.Item) *feeds.Feed {
	title := o.Title
	if title == "" {
		title = o.Name
	}
	desc := o.Description
	if desc == "" {
		desc = title + ", curated by feedmill"
	}
	feed := &feeds.Feed{
		Title:       title,
		Link:        &feeds.Link{Href: o.BaseURL + "/"},
		Description: desc,
		Id:          o.URL(Atom),
		Updated:     lastChange(items),
	}
	for _, it := range items {
		fi := &feeds.Item{
			Title:   it.Title,
			Id:      ItemID(it),
			Created: it.Published,
			Updated: updated(it),
			Content: it.Content,
		}
		if it.Link != "" {
			fi.Link = &feeds.Link{Href: it.Link}
		}
		if name := author(o, it); name != "" {
			fi.Author = &feeds.Author{Name: name}
		}
		feed.Items = append(feed.Items, fi)
	}
	return feed
}

// lastChange is the newest change among items; a fixed instant when there
// are none, so an empty output's bytes do not depend on the clock.
func lastChange(items []feedmill.Item) time.Time {
	var t time.Time
	for _, it := range items {
		if u := updated(it); u.After(t) {
			t = u
		}
	}
	if t.IsZero() {
		t = time.Unix(0, 0)
	}
	return t.UTC()
}

func updated(it feedmill.Item) time.Time {
	if it.Updated.After(it.Published) {
		return it.Updated.UTC()
	}
	return it.Published.UTC()
}

// author is the item's author, else the feed that first carried it.
func author(o Output, it feedmill.Item) string {
	if it.Author != "" {
		return it.Author
	}
	if s, ok := o.Sources[it.Feed]; ok && s.Title != "" {
		return s.Title
	}
	return it.Feed
}

func source(o Output, it feedmill.Item) SourceFeed {
	s := o.Sources[it.Feed]
	if s.Title == "" {
		s.Title = it.Feed
	}
	return s
}

const atomNS = "http://www.w3.org/2005/Atom"

type atomCategory struct {
	Term string `xml:"term,attr"`
}

type atomSource struct {
	ID    string          `xml:"id,omitempty"`
	Title string          `xml:"title"`
	Link  *feeds.AtomLink `xml:"link,omitempty"`
}

type atomEntry struct {
	*feeds.AtomEntry
	Categories []atomCategory `xml:"category"`
	Source     *atomSource    `xml:"source,omitempty"`
	Published  string         `xml:"published,omitempty"`
}

type atomFeed struct {
	*feeds.AtomFeed
	Links   []feeds.AtomLink `xml:"link"`
	Entries []*atomEntry     `xml:"entry"`
}

func renderAtom(o Output, feed *feeds.Feed, items []feedmill.Item) ([]byte, error) {
	af := (&feeds.Atom{Feed: feed}).AtomFeed()
	af.Link = nil
	af.Id = feed.Id
	af.Author = &feeds.AtomAuthor{AtomPerson: feeds.AtomPerson{Name: "feedmill"}}
	out := atomFeed{AtomFeed: af, Links: []feeds.AtomLink{
		{Href: o.URL(Atom), Rel: "self", Type: "application/atom+xml"},
		{Href: feed.Link.Href, Rel: "alternate", Type: "text/html"},
	}}
	for i, e := range af.Entries {
		it := items[i]
		if it.Link == "" {
			e.Links = nil
		}
		ae := &atomEntry{AtomEntry: e, Published: it.Published.UTC().Format(time.RFC3339)}
		for _, t := range it.Topics {
			ae.Categories = append(ae.Categories, atomCategory{Term: t})
		}
		if s := source(o, it); s.URL != "" {
			ae.Source = &atomSource{ID: s.URL, Title: s.Title, Link: &feeds.AtomLink{Href: s.URL, Rel: "self"}}
		} else {
			ae.Source = &atomSource{Title: s.Title}
		}
		out.Entries = append(out.Entries, ae)
	}
	af.Entries = nil
	return marshalXML(out)
}

type rssGUID struct {
	ID          string `xml:",chardata"`
	IsPermaLink string `xml:"isPermaLink,attr"`
}

type rssSource struct {
	URL   string `xml:"url,attr"`
	Title string `xml:",chardata"`
}

type rssItem struct {
	*feeds.RssItem
	GUID       *rssGUID   `xml:"guid"`
	Categories []string   `xml:"category"`
	Source     *rssSource `xml:"source,omitempty"`
	Creator    string     `xml:"dc:creator,omitempty"`
}

type rssAtomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr"`
}

type rssChannel struct {
	*feeds.RssFeed
	AtomLink rssAtomLink `xml:"atom:link"`
	Items    []*rssItem  `xml:"item"`
}

type rssDoc struct {
	XMLName xml.Name    `xml:"rss"`
	Version string      `xml:"version,attr"`
	Content string      `xml:"xmlns:content,attr"`
	Atom    string      `xml:"xmlns:atom,attr"`
	DC      string      `xml:"xmlns:dc,attr"`
	Channel *rssChannel `xml:"channel"`
}

func renderRSS(o Output, feed *feeds.Feed, items []feedmill.Item) ([]byte, error) {
	rf := (&feeds.Rss{Feed: feed}).RssFeed()
	rf.Generator = "feedmill " + feedmill.Version
	ch := &rssChannel{RssFeed: rf, AtomLink: rssAtomLink{Href: o.URL(RSS), Rel: "self", Type: "application/rss+xml"}}
	for i, ri := range rf.Items {
		it := items[i]
		// RSS <author> must be an e-mail address; names go in dc:creator.
		ri.Author = ""
		ri.Guid = nil
		// The full content is in content:encoded; description carries it too
		// for readers that only look there.
		ri.Description = it.Content
		item := &rssItem{RssItem: ri, GUID: &rssGUID{ID: ItemID(it), IsPermaLink: "false"}, Creator: author(o, it)}
		item.Categories = it.Topics
		if s := source(o, it); s.URL != "" {
			item.Source = &rssSource{URL: s.URL, Title: s.Title}
		}
		ch.Items = append(ch.Items, item)
	}
	rf.Items = nil
	return marshalXML(rssDoc{Version: "2.0", Content: "http://purl.org/rss/1.0/modules/content/",
		Atom: atomNS, DC: "http://purl.org/dc/elements/1.1/", Channel: ch})
}

func marshalXML(v any) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("feedgen: %w", err)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

func renderJSON(o Output, feed *feeds.Feed, items []feedmill.Item) ([]byte, error) {
	jf := (&feeds.JSON{Feed: feed}).JSONFeed()
	jf.Version = "https://jsonfeed.org/version/1.1"
	jf.FeedUrl = o.URL(JSON)
	for i, ji := range jf.Items {
		it := items[i]
		ji.Tags = it.Topics
		ji.Summary = ""
		ji.ExternalUrl = ""
		// JSON Feed 1.1 deprecates the single author.
		ji.Author = nil
		if it.Published.IsZero() {
			ji.PublishedDate = nil
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(jf); err != nil {
		return nil, fmt.Errorf("feedgen: %w", err)
	}
	return buf.Bytes(), nil
}
