package feedgen

import (
	"encoding/xml"
	"strings"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/gorilla/feeds"
)

type rssGUID struct {
	ID          string `xml:",chardata"`
	IsPermaLink string `xml:"isPermaLink,attr"`
}

// rssSource is RSS 2.0's <source>: its url attribute is required, so an
// item whose feed has no public URL has no source element.
type rssSource struct {
	URL   string `xml:"url,attr"`
	Title string `xml:",chardata"`
}

type cdata struct {
	Text string `xml:",cdata"`
}

// rssItem replaces gorilla's item, which always writes <link> and
// <description> even when empty (an empty <link> is invalid) and can hold
// only one category.
type rssItem struct {
	XMLName     xml.Name   `xml:"item"`
	Title       rssText    `xml:"title"`
	Link        string     `xml:"link,omitempty"`
	Description string     `xml:"description,omitempty"`
	Content     *cdata     `xml:"content:encoded,omitempty"`
	Creator     string     `xml:"dc:creator,omitempty"`
	Categories  []string   `xml:"category"`
	GUID        rssGUID    `xml:"guid"`
	PubDate     string     `xml:"pubDate"`
	Source      *rssSource `xml:"source,omitempty"`
}

// rssText is an element of plain text. RSS does not say whether a title
// is text or HTML, so readers guess; "&amp;" and "&lt;" look like escaped
// HTML to them, while the character references "&#x26;" and "&#x3C;" are
// read as the characters themselves, as the RSS Advisory Board and the W3C
// validator recommend.
type rssText struct {
	Inner string `xml:",innerxml"`
}

// plainText escapes s for an rssText element.
func plainText(s string) rssText {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder never fails
	r := strings.NewReplacer("&amp;", "&#x26;", "&lt;", "&#x3C;")
	return rssText{Inner: r.Replace(b.String())}
}

type rssAtomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"`
}

type rssChannel struct {
	*feeds.RssFeed
	AtomLinks []rssAtomLink `xml:"atom:link"`
	Items     []*rssItem    `xml:"item"`
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
	rf.Language = o.Language
	ch := &rssChannel{RssFeed: rf, AtomLinks: []rssAtomLink{{Href: o.selfURL(RSS), Rel: "self", Type: "application/rss+xml"}}}
	if next := o.nextURL(RSS); next != "" {
		ch.AtomLinks = append(ch.AtomLinks, rssAtomLink{Href: next, Rel: "next", Type: "application/rss+xml"})
	}
	if o.Hub != "" {
		ch.AtomLinks = append(ch.AtomLinks, rssAtomLink{Href: o.Hub, Rel: "hub"})
	}
	for _, it := range items {
		// <author> must be an e-mail address in RSS; names go in dc:creator.
		item := &rssItem{
			Title:       plainText(it.Title),
			Link:        it.Link,
			Description: it.Content,
			Creator:     author(o, it),
			Categories:  it.Topics,
			GUID:        rssGUID{ID: ItemID(it), IsPermaLink: "false"},
			PubDate:     it.Published.UTC().Format(time.RFC1123Z),
		}
		// content:encoded carries the article's full text when it was
		// fetched, else the feed's content again, for readers that prefer
		// it; description carries the feed's own content.
		if b := body(o, it); b != "" {
			item.Content = &cdata{b}
		}
		if s := source(o, it); s.URL != "" {
			item.Source = &rssSource{URL: s.URL, Title: s.Title}
		}
		ch.Items = append(ch.Items, item)
	}
	rf.Items = nil
	return marshalXML(rssDoc{Version: "2.0", Content: "http://purl.org/rss/1.0/modules/content/",
		Atom: atomNS, DC: "http://purl.org/dc/elements/1.1/", Channel: ch})
}
