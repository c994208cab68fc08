package fetcher

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"

	"github.com/feedmill/feedmill"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// NotAFeedError is a document that is no feed: What says what it looked
// like, and for an HTML page Alternates lists the absolute URLs of the
// feeds its <link rel="alternate"> tags name. It wraps feedmill.ErrNotAFeed.
type NotAFeedError struct {
	What       string
	Alternates []string
}

func (e *NotAFeedError) Error() string {
	msg := feedmill.ErrNotAFeed.Error() + ": " + e.What
	if len(e.Alternates) > 0 {
		msg += "; it links to " + strings.Join(e.Alternates, ", ")
	}
	return msg
}

// Unwrap makes errors.Is(err, feedmill.ErrNotAFeed) true.
func (e *NotAFeedError) Unwrap() error { return feedmill.ErrNotAFeed }

// Discover fetches the page at rawURL, with the same limits as Fetch, and
// returns the feeds it offers: the URL itself when it is a feed (its new
// address if it moved permanently), else the alternates an HTML page links
// to. A page with none is a *NotAFeedError.
func (f *Fetcher) Discover(ctx context.Context, rawURL string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	resp, body, err := f.get(ctx, rawURL, acceptEither, feedmill.FetchState{})
	if err != nil {
		return nil, err
	}
	if _, err := parse(body, resp.Header.Get("Content-Type"), resp.Request.URL); err != nil {
		if nf, ok := errors.AsType[*NotAFeedError](err); ok && len(nf.Alternates) > 0 {
			return nf.Alternates, nil
		}
		return nil, err
	}
	if moved := movedTo(resp); moved != "" {
		return []string{moved}, nil
	}
	return []string{rawURL}, nil
}

// feedTypes are the link types that name a feed.
var feedTypes = []string{"application/rss+xml", "application/atom+xml", "application/feed+json", "application/rdf+xml"}

// alternates returns the feed links of an HTML page, absolute (against
// its <base href> or base), without duplicates, in page order. Links
// that cannot be made absolute are left out.
func alternates(page []byte, base *url.URL) []string {
	var found []string
	z := html.NewTokenizer(bytes.NewReader(page))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return found
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		name, hasAttr := z.TagName()
		if !hasAttr {
			continue
		}
		var rel, typ, href string
		for {
			k, v, more := z.TagAttr()
			switch string(k) {
			case "rel":
				rel = strings.ToLower(string(v))
			case "type":
				typ = strings.ToLower(strings.TrimSpace(string(v)))
			case "href":
				href = strings.TrimSpace(string(v))
			}
			if !more {
				break
			}
		}
		switch atom.Lookup(name) {
		case atom.Base:
			if u, err := url.Parse(href); err == nil && href != "" {
				if base != nil {
					u = base.ResolveReference(u)
				}
				base = u
			}
		case atom.Link:
			typ, _, _ = strings.Cut(typ, ";")
			if href == "" || !slices.Contains(strings.Fields(rel), "alternate") || !slices.Contains(feedTypes, strings.TrimSpace(typ)) {
				continue
			}
			u, err := url.Parse(href)
			if err != nil {
				continue
			}
			if base != nil {
				u = base.ResolveReference(u)
			}
			if !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") {
				continue
			}
			if s := u.String(); !slices.Contains(found, s) {
				found = append(found, s)
			}
		}
	}
}
