package normalize

import (
	"strings"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/mmcdole/gofeed"
)

// MaxFuture is how far past "now" a feed's date may lie before it is
// clamped to now: a day tolerates time zone mistakes, not clock bugs.
const MaxFuture = 24 * time.Hour

// derivedTitleWords is how many words of the content make a title for an
// item that has none.
const derivedTitleWords = 12

// minDate is the earliest believable date; earlier ones (the epoch, year
// 1) are feed bugs and treated as missing.
var minDate = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)

// Normalizer turns parsed feed items into feedmill.Items. Build it once
// with New; it is safe for concurrent use.
type Normalizer struct {
	canon *Canonicalizer
	san   *Sanitizer
}

// New returns a Normalizer canonicalizing links with c (nil for the default
// tracking parameters).
func New(c *Canonicalizer) *Normalizer {
	if c == nil {
		c = defaultCanonicalizer
	}
	return &Normalizer{canon: c, san: NewSanitizer()}
}

// Sanitizer returns the Normalizer's sanitizer, for HTML that does not come
// from an item.
func (n *Normalizer) Sanitizer() *Sanitizer { return n.san }

// Item normalizes one item of feed, fetched from feedURL at now. Its Key
// ignores the rest of the document; use Feed to normalize a whole document.
func (n *Normalizer) Item(feedName string, feed *gofeed.Feed, it *gofeed.Item, feedURL string, now time.Time) feedmill.Item {
	base := n.feedBase(feed, feedURL)
	id := n.identify(it, base)
	return n.build(feedName, it, id, base, now)
}

// Document is one parsed feed document whose items have been identified
// but not yet normalized. Build it with Identify, ask the store which Keys
// it already has, then call Items to normalize only the rest.
type Document struct {
	n        *Normalizer
	feedName string
	base     string
	items    []*gofeed.Item
	ids      []identity
}

// Identify computes, cheaply, the identity of every item of a document: its
// guid, canonical link, key and raw hash. A guid that the document gives to
// items with different links makes the keys of those items
// "guid:"+guid+"|"+link; an item whose key repeats an earlier item's is
// left out.
func (n *Normalizer) Identify(feedName string, feed *gofeed.Feed, feedURL string) *Document {
	d := &Document{n: n, feedName: feedName, base: n.feedBase(feed, feedURL)}
	ids := make([]identity, 0, len(feed.Items))
	items := make([]*gofeed.Item, 0, len(feed.Items))
	firstLink := make(map[string]string, len(feed.Items)) // guid → link
	ambiguous := map[string]bool{}
	for _, it := range feed.Items {
		if it == nil {
			continue
		}
		id := n.identify(it, d.base)
		if g := id.guid; g != "" {
			if l, seen := firstLink[g]; !seen {
				firstLink[g] = id.link
			} else if l != id.link {
				ambiguous[g] = true
			}
		}
		ids = append(ids, id)
		items = append(items, it)
	}
	seen := make(map[string]bool, len(ids))
	for i, it := range items {
		id := ids[i]
		if ambiguous[id.guid] {
			id.key = "guid:" + id.guid + "|" + id.link
		}
		if seen[id.key] {
			continue
		}
		seen[id.key] = true
		id.hash = RawHash(it)
		d.ids = append(d.ids, id)
		d.items = append(d.items, it)
	}
	return d
}

// Keys returns the keys of the document's items, in document order.
func (d *Document) Keys() []string {
	keys := make([]string, len(d.ids))
	for i, id := range d.ids {
		keys[i] = id.key
	}
	return keys
}

// Items normalizes the document's items, in document order. When skip is
// non-nil and returns true for an item's key and raw hash, the item is left
// out without being sanitized: that is how a poll avoids redoing the work
// for items it already stored unchanged.
func (d *Document) Items(now time.Time, skip func(key, hash string) bool) []feedmill.Item {
	items := make([]feedmill.Item, 0, len(d.ids))
	for i, id := range d.ids {
		if skip != nil && skip(id.key, id.hash) {
			continue
		}
		items = append(items, d.n.build(d.feedName, d.items[i], id, d.base, now))
	}
	return items
}

// Feed normalizes the items of one parsed document, in document order; it
// is Identify followed by Items.
func (n *Normalizer) Feed(feedName string, feed *gofeed.Feed, feedURL string, now time.Time, skip func(key, hash string) bool) []feedmill.Item {
	return n.Identify(feedName, feed, feedURL).Items(now, skip)
}

// identity is what Feed needs of an item before deciding to normalize it.
type identity struct {
	guid, link, key, hash string
}

// feedBase returns the URL that relative item links resolve against: the
// feed's own site link (itself resolved against the feed URL), else the
// feed URL.
func (n *Normalizer) feedBase(feed *gofeed.Feed, feedURL string) string {
	if feed != nil && feed.Link != "" {
		if l, err := n.canon.URL(feed.Link, feedURL); err == nil {
			return l
		}
	}
	return feedURL
}

// identify picks the item's guid, canonical link and key.
func (n *Normalizer) identify(it *gofeed.Item, base string) identity {
	id := identity{guid: strings.TrimSpace(it.GUID)}
	id.link = n.link(it, id.guid, base)
	id.key = Key(id.guid, id.link, it.Title, rawContent(it))
	return id
}

// link returns the item's canonical link: its link, else the first usable
// of its links, else its guid when that is an absolute http(s) URL (RSS
// permalink guids; gofeed does not expose isPermaLink).
func (n *Normalizer) link(it *gofeed.Item, guid, base string) string {
	if l, err := n.canon.URL(it.Link, base); err == nil {
		return l
	}
	for _, raw := range it.Links {
		if l, err := n.canon.URL(raw, base); err == nil {
			return l
		}
	}
	if hasPrefixFold(guid, "http://") || hasPrefixFold(guid, "https://") {
		if l, err := n.canon.URL(guid, ""); err == nil {
			return l
		}
	}
	return ""
}

// rawContent is the item's full content when it has one, else its summary.
func rawContent(it *gofeed.Item) string {
	if strings.TrimSpace(it.Content) != "" {
		return it.Content
	}
	return it.Description
}

// content is the item's sanitized content, else its sanitized summary when
// the content had nothing left (only an embed, say).
func (n *Normalizer) content(it *gofeed.Item, base string) string {
	c := n.san.HTML(rawContent(it), base)
	if strings.TrimSpace(c) == "" && strings.TrimSpace(it.Content) != "" {
		c = n.san.HTML(it.Description, base)
	}
	return c
}

// build does the expensive part of normalization: sanitizing and text.
func (n *Normalizer) build(feedName string, it *gofeed.Item, id identity, base string, now time.Time) feedmill.Item {
	contentBase := base
	if id.link != "" {
		contentBase = id.link
	}
	item := feedmill.Item{
		Feed:       feedName,
		Key:        id.key,
		GUID:       id.guid,
		Link:       id.link,
		Title:      Title(it.Title),
		Content:    n.content(it, contentBase),
		Author:     author(it),
		Categories: categories(it.Categories),
		Published:  published(now, it.PublishedParsed, it.UpdatedParsed),
		Hash:       id.hash,
		Sources:    []feedmill.Source{{Feed: feedName, Link: id.link}},
	}
	if id.link != "" {
		item.LinkKey = DedupLink(id.link)
	}
	if t, ok := clampDate(it.UpdatedParsed, now); ok {
		item.Updated = t
	}
	// Before a title is derived from the content: a derived title says
	// nothing the body does not.
	item.ContentKey = ContentKey(item.Title, item.Content)
	if item.Title == "" {
		item.Title = firstWords(Text(item.Content), derivedTitleWords)
	}
	if item.Hash == "" {
		item.Hash = RawHash(it)
	}
	return item
}

// author is the item's first named author as plain text.
func author(it *gofeed.Item) string {
	if it.Author != nil {
		if a := Title(it.Author.Name); a != "" {
			return a
		}
	}
	for _, p := range it.Authors {
		if p != nil {
			if a := Title(p.Name); a != "" {
				return a
			}
		}
	}
	return ""
}

// categories returns plain-text categories without blanks or duplicates
// (ignoring case; the first spelling wins).
func categories(raw []string) []string {
	var out []string
	for _, c := range raw {
		c = Title(c)
		if c == "" {
			continue
		}
		dup := false
		for _, o := range out {
			if strings.EqualFold(o, c) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, c)
		}
	}
	return out
}

// published returns the first believable date of candidates in UTC, else
// the zero time: the store then uses the time it first saw the item, and
// keeps it when the item changes later.
func published(now time.Time, candidates ...*time.Time) time.Time {
	for _, t := range candidates {
		if c, ok := clampDate(t, now); ok {
			return c
		}
	}
	return time.Time{}
}

// clampDate returns t in UTC, or now when t is more than MaxFuture ahead of
// it; ok is false when t is nil or before minDate (a feed bug, such as
// the Unix epoch).
func clampDate(t *time.Time, now time.Time) (time.Time, bool) {
	if t == nil || t.Before(minDate) {
		return time.Time{}, false
	}
	if t.After(now.Add(MaxFuture)) {
		return now.UTC(), true
	}
	return t.UTC(), true
}
