// Package feedgen renders stored items as the output feeds people subscribe
// to: RSS 2.0, Atom 1.0 and JSON Feed 1.1. It builds on gorilla/feeds and
// extends its documents where they fall short (several categories per entry,
// self links, the source feed, permalink flags). It is pure: items in, bytes
// out, and the same items always give the same bytes, so any process can
// serve an output with the same ETag.
package feedgen

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"html"
	"net/url"
	"strconv"
	"strings"
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

// Output describes one output feed, or one page of it.
type Output struct {
	// Name is the output's name; its documents live at /feeds/NAME.EXT.
	Name        string
	Title       string
	Description string
	// Language, when set, is the output's language (an RFC 5646 tag such as
	// "en"): RSS <language> and Atom xml:lang.
	Language string
	// BaseURL is the public root of the server, without a trailing slash.
	BaseURL string
	// Key is the token of a private output; its URLs carry it as ?key=, since
	// feed readers cannot send headers.
	Key string
	// Before is the cursor of the page rendered ("" for the newest page), so
	// the page's self link names the page itself.
	Before string
	// Next is the cursor of the next, older page; "" when there is none.
	// Atom and RSS link it as rel="next" (RFC 5005 paged feeds).
	Next string
	// Sources names the input feeds for the "source" of each entry.
	Sources map[string]SourceFeed
	// Hub, when not "", is the WebSub hub that announces changes of the
	// output: Atom and RSS link it as rel="hub", JSON Feed lists it in hubs.
	Hub string
}

// SourceFeed is what an output says about a feed that carried an item.
type SourceFeed struct {
	Title string
	URL   string
}

// URL is the address of the output's newest page in format f, with the
// output's key when it is private.
func (o Output) URL(f Format) string {
	return o.pageURL(f, "")
}

// PublicURL is the address of the output in format f without its key.
func (o Output) PublicURL(f Format) string {
	return o.BaseURL + "/feeds/" + o.Name + "." + string(f)
}

// pageURL is the address of the page that starts before cursor.
func (o Output) pageURL(f Format, cursor string) string {
	q := url.Values{}
	if o.Key != "" {
		q.Set("key", o.Key)
	}
	if cursor != "" {
		q.Set("before", cursor)
	}
	u := o.PublicURL(f)
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// selfURL is the address of the page being rendered.
func (o Output) selfURL(f Format) string { return o.pageURL(f, o.Before) }

// nextURL is the address of the next page, "" when there is none.
func (o Output) nextURL(f Format) string {
	if o.Next == "" {
		return ""
	}
	return o.pageURL(f, o.Next)
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
		Id:          o.PublicURL(Atom),
		Updated:     lastChange(items),
	}
	for _, it := range items {
		fi := &feeds.Item{
			Title:   it.Title,
			Id:      ItemID(it),
			Created: it.Published,
			Updated: updated(it),
			Content: body(o, it),
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

// emptyUpdated is the updated time of an output with no items: a fixed
// instant, so that an empty output's bytes (and ETag) depend neither on the
// clock nor on the process serving it. It is the start of 2026, the year in
// feedmill's tag: entry ids; the W3C validator calls 1970 implausible.
var emptyUpdated = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// lastChange is the newest change among items, emptyUpdated when there are
// none.
func lastChange(items []feedmill.Item) time.Time {
	var t time.Time
	for _, it := range items {
		if u := updated(it); u.After(t) {
			t = u
		}
	}
	if t.IsZero() {
		t = emptyUpdated
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

// body is the entry's content: the article's full text when it was
// fetched, else the feed's own content or summary; then, for a story shown
// once, links to the other sources that reported it.
func body(o Output, it feedmill.Item) string {
	b := it.Content
	if it.FullContent != "" {
		b = it.FullContent
	}
	return b + alsoReported(o, it)
}

// alsoReported is the paragraph that names the other sources of an item's
// story (Item.Related), each linked to its own article: "Also reported by:
// Source A, Source B". Names are escaped and only absolute http(s) links
// are kept, so the paragraph is as safe as the sanitized content before it.
func alsoReported(o Output, it feedmill.Item) string {
	if len(it.Related) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("<p>Also reported by: ")
	for i, r := range it.Related {
		if i > 0 {
			b.WriteString(", ")
		}
		name := html.EscapeString(source(o, feedmill.Item{Feed: r.Feed}).Title)
		if u, err := url.Parse(r.Link); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			b.WriteString(`<a href="` + html.EscapeString(u.String()) + `">` + name + `</a>`)
		} else {
			b.WriteString(name)
		}
	}
	b.WriteString("</p>")
	return b.String()
}

// summary is the feed's own summary when the body is the full text, "" when
// the body already is that summary.
func summary(it feedmill.Item) string {
	if it.FullContent != "" {
		return it.Content
	}
	return ""
}
