// Package readers counts the readers of each output feed from the requests
// that fetch it: feed services (Feedly, Inoreader, NewsBlur...) announce how
// many of their users subscribe in their User-Agent ("... 42 subscribers"),
// and every other client (a desktop or phone reader) counts as one reader
// per distinct address and User-Agent seen within a recent window.
package readers

import (
	"regexp"
	"strconv"
	"strings"
)

// Announcement is what a feed service says of itself in its User-Agent.
type Announcement struct {
	// Service is the service's name: a canonical one for known services
	// (see Known), else the User-Agent's first product name.
	Service string
	// Subscribers is the number of its users subscribed to the URL.
	Subscribers int
	// FeedID is the service's id of the subscription ("" when none).
	FeedID string
}

// MaxSubscribers caps an announced count, so a forged User-Agent cannot
// overflow a sum.
const MaxSubscribers = 100_000_000

// maxUserAgent is the longest User-Agent read; the rest is ignored.
const maxUserAgent = 1024

var (
	// countRE finds "42 subscribers", "1 subscriber", "3 subscriber(s)",
	// "1,234 readers", "on behalf of 15 subscriber(s)".
	countRE = regexp.MustCompile(`(?i)(?:^|[^\w.,])(\d{1,3}(?:,\d{3})+|\d{1,12})\s*(?:subscribers?(?:\(s\))?|readers?)\b`)
	// feedIDRE finds "feed-id=123", "feed-id:123", "feedid: abc", "feedID=x".
	feedIDRE = regexp.MustCompile(`(?i)\bfeed-?id\s*[=:]\s*([A-Za-z0-9_.:/-]{1,100})`)
	// siteRE finds NewsBlur's "newsblur.com/site/1234/".
	siteRE = regexp.MustCompile(`(?i)newsblur\.com/site/(\d{1,20})`)
	// productRE finds product tokens "Name/1.0".
	productRE = regexp.MustCompile(`(?:^|[\s(;,])([A-Za-z][A-Za-z0-9_.+-]{0,39})/[0-9v]`)
	// wordRE finds the first word of a User-Agent.
	wordRE = regexp.MustCompile(`^[^A-Za-z]*([A-Za-z][A-Za-z0-9_.+-]{0,39})`)
)

// Known maps a lowercase fragment of a User-Agent to the canonical name of
// the feed service or reader it identifies. Metrics label services by these
// names only (others are "other"), so a forged User-Agent cannot create
// series.
var Known = []struct{ Fragment, Name string }{
	{"feedly", "Feedly"},
	{"inoreader", "Inoreader"},
	{"newsblur", "NewsBlur"},
	{"feedbin", "Feedbin"},
	{"theoldreader", "The Old Reader"},
	{"tiny tiny rss", "Tiny Tiny RSS"},
	{"tt-rss", "Tiny Tiny RSS"},
	{"feedfetcher-google", "Google Feedfetcher"},
	{"netvibes", "Netvibes"},
	{"bloglines", "Bloglines"},
	{"newsgator", "NewsGator"},
	{"bazqux", "BazQux"},
	{"feedhq", "FeedHQ"},
	{"feed wrangler", "Feed Wrangler"},
	{"overcast", "Overcast"},
	{"feedspot", "Feedspot"},
	{"freshrss", "FreshRSS"},
	{"miniflux", "Miniflux"},
	{"commafeed", "CommaFeed"},
	{"feedpress", "FeedPress"},
	{"superfeedr", "Superfeedr"},
	{"nextcloud-news", "Nextcloud News"},
	{"newshutch", "NewsHutch"},
	{"netnewswire", "NetNewsWire"},
	{"feedparser", "feedparser"},
	{"newsboat", "Newsboat"},
	{"rojo", "Rojo"},
}

// browserTokens are product names that say nothing about the client.
var browserTokens = map[string]bool{
	"mozilla": true, "applewebkit": true, "khtml": true, "gecko": true, "chrome": true,
	"safari": true, "version": true, "firefox": true, "mobile": true, "compatible": true,
	"like": true, "edg": true, "opr": true,
}

// Parse reads the subscriber count a feed service announces in its
// User-Agent. ok is false when the User-Agent announces none.
func Parse(userAgent string) (a Announcement, ok bool) {
	ua := clip(userAgent)
	m := countRE.FindStringSubmatch(ua)
	if m == nil {
		return Announcement{}, false
	}
	n, err := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
	if err != nil || n < 0 {
		return Announcement{}, false
	}
	a.Subscribers = min(n, MaxSubscribers)
	a.Service = Service(ua)
	if id := feedIDRE.FindStringSubmatch(ua); id != nil {
		a.FeedID = strings.TrimRight(id[1], ".:/-")
	} else if id := siteRE.FindStringSubmatch(ua); id != nil {
		a.FeedID = id[1]
	}
	return a, true
}

// Service names the client a User-Agent identifies: a known service's
// canonical name, else its first product name that is not a browser's,
// else its first word, else "unknown".
func Service(userAgent string) string {
	ua := clip(userAgent)
	lower := strings.ToLower(ua)
	for _, k := range Known {
		if strings.Contains(lower, k.Fragment) {
			return k.Name
		}
	}
	for _, m := range productRE.FindAllStringSubmatch(ua, -1) {
		if !browserTokens[strings.ToLower(m[1])] {
			return m[1]
		}
	}
	if m := wordRE.FindStringSubmatch(ua); m != nil && !browserTokens[strings.ToLower(m[1])] {
		return m[1]
	}
	return "unknown"
}

// IsKnown reports whether name is one of the canonical names in Known.
func IsKnown(name string) bool {
	for _, k := range Known {
		if k.Name == name {
			return true
		}
	}
	return false
}

// clip bounds the work on a hostile User-Agent.
func clip(ua string) string {
	if len(ua) > maxUserAgent {
		return ua[:maxUserAgent]
	}
	return ua
}
