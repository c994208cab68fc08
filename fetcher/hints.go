package fetcher

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/rss"
)

// Hints are a response's and a document's advice on polling frequency.
// Zero fields gave no advice.
type Hints struct {
	// MaxAge is from Cache-Control s-maxage, else max-age: feedmill serves
	// many readers, like a shared cache. no-cache and no-store make it zero.
	MaxAge time.Duration
	// Expires is from the Expires header (zero when Cache-Control says
	// no-cache or no-store, or the date is invalid).
	Expires time.Time
	// TTL is RSS <ttl>, in minutes in the document.
	TTL time.Duration
	// SkipHours (0-23, UTC) and SkipDays are RSS <skipHours>/<skipDays>.
	SkipHours []int
	SkipDays  []time.Weekday
}

// cacheHints reads Cache-Control and Expires.
func cacheHints(h http.Header, now time.Time) Hints {
	var hints Hints
	var maxAge, sMaxAge time.Duration = -1, -1
	noCache := false
	for _, line := range h.Values("Cache-Control") {
		for d := range strings.SplitSeq(line, ",") {
			name, value, _ := strings.Cut(strings.TrimSpace(d), "=")
			value = strings.Trim(strings.TrimSpace(value), `"`)
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "no-cache", "no-store":
				noCache = true
			case "max-age":
				maxAge = seconds(value)
			case "s-maxage":
				sMaxAge = seconds(value)
			}
		}
	}
	if noCache {
		return hints
	}
	switch {
	case sMaxAge >= 0:
		hints.MaxAge = sMaxAge
	case maxAge >= 0:
		hints.MaxAge = maxAge
	}
	if v := h.Get("Expires"); v != "" {
		if t, err := http.ParseTime(v); err == nil && t.After(now) {
			hints.Expires = t
		}
	}
	return hints
}

// seconds parses a delta-seconds value; -1 when it is not one.
func seconds(v string) time.Duration {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return -1
	}
	return time.Duration(min(n, 366*24*3600)) * time.Second
}

// docHints are the polling hints an RSS document carries.
type docHints struct {
	ttl       time.Duration
	skipHours []int
	skipDays  []time.Weekday
}

func (d docHints) addTo(h *Hints) {
	h.TTL, h.SkipHours, h.SkipDays = d.ttl, d.skipHours, d.skipDays
}

// rssHints is gofeed's RSS translator plus a look at the channel fields
// its universal Feed drops (<ttl>, <skipHours>, <skipDays>): the RSS parser
// has already read them, so this costs no second parse.
type rssHints struct {
	gofeed.DefaultRSSTranslator
	hints docHints
}

// Translate implements gofeed.Translator.
func (t *rssHints) Translate(feed any) (*gofeed.Feed, error) {
	if rf, ok := feed.(*rss.Feed); ok {
		t.hints = rssDocHints(rf)
	}
	return t.DefaultRSSTranslator.Translate(feed)
}

var weekdays = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}

// rssDocHints reads the hints, ignoring values out of range: a feed's
// mistake must not stop polling.
func rssDocHints(rf *rss.Feed) docHints {
	var d docHints
	if n, err := strconv.Atoi(strings.TrimSpace(rf.TTL)); err == nil && n > 0 {
		d.ttl = time.Duration(min(n, 366*24*60)) * time.Minute
	}
	seenHour := map[int]bool{}
	for _, s := range rf.SkipHours {
		// RSS 2.0 says 0-23; RSS 0.91 said 1-24, and 24 is midnight.
		h, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || h < 0 || h > 24 {
			continue
		}
		h %= 24
		if !seenHour[h] {
			seenHour[h] = true
			d.skipHours = append(d.skipHours, h)
		}
	}
	seenDay := map[time.Weekday]bool{}
	for _, s := range rf.SkipDays {
		wd, ok := weekdays[strings.ToLower(strings.TrimSpace(s))]
		if ok && !seenDay[wd] {
			seenDay[wd] = true
			d.skipDays = append(d.skipDays, wd)
		}
	}
	return d
}
