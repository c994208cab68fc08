package fetcher

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
)

func TestCacheHints(t *testing.T) {
	now := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	later := "Wed, 25 Nov 2026 09:00:00 GMT"
	tests := []struct {
		name         string
		cacheControl []string
		expires      string
		maxAge       time.Duration
		expiresAt    time.Time
	}{
		{name: "none"},
		{name: "max-age", cacheControl: []string{"public, max-age=600"}, maxAge: 10 * time.Minute},
		{name: "s-maxage wins", cacheControl: []string{"max-age=60, s-maxage=300"}, maxAge: 5 * time.Minute},
		{name: "quoted and spaced", cacheControl: []string{`Max-Age = "120"`}, maxAge: 2 * time.Minute},
		{name: "two headers", cacheControl: []string{"public", "max-age=30"}, maxAge: 30 * time.Second},
		{name: "no-cache", cacheControl: []string{"max-age=600, no-cache"}, expires: later},
		{name: "no-store", cacheControl: []string{"no-store", "max-age=600"}},
		{name: "garbage", cacheControl: []string{"max-age=soon, max-age=-1"}},
		{name: "expires", expires: later, expiresAt: now.Add(time.Hour)},
		{name: "expires in the past", expires: "Thu, 01 Jan 1970 00:00:00 GMT"},
		{name: "expires 0", expires: "0"},
		{name: "both", cacheControl: []string{"max-age=60"}, expires: later, maxAge: time.Minute, expiresAt: now.Add(time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tt.cacheControl {
				h.Add("Cache-Control", v)
			}
			if tt.expires != "" {
				h.Set("Expires", tt.expires)
			}
			got := cacheHints(h, now)
			if got.MaxAge != tt.maxAge || !got.Expires.Equal(tt.expiresAt) {
				t.Errorf("got max-age %s, expires %s; want %s, %s", got.MaxAge, got.Expires, tt.maxAge, tt.expiresAt)
			}
		})
	}
}

// TestDocumentHints: RSS <ttl>, <skipHours> and <skipDays> reach Result,
// whatever their spacing and mistakes, alongside the header hints.
func TestDocumentHints(t *testing.T) {
	docs := map[string]string{
		"/rss": `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><ttl> 60 </ttl>
<skipHours><hour>0</hour><hour>23</hour><hour>7</hour><hour>99</hour><hour>x</hour><hour>7</hour></skipHours>
<skipDays><day>Saturday</day><day> sunday </day><day>Caturday</day></skipDays>
<item><title>a</title></item></channel></rss>`,
		// RSS 0.91 counted hours 1-24; hints after the items still count.
		"/rss091": `<rss version="0.91"><channel><title>t</title><item><title>a</title></item>
<skipHours><hour>24</hour></skipHours><ttl>abc</ttl></channel></rss>`,
		"/atom": `<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><ttl>60</ttl></feed>`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=900")
		if r.Header.Get("If-None-Match") == `"x"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write([]byte(docs[r.URL.Path]))
	}))
	defer srv.Close()
	f := New(Options{})
	tests := []struct {
		path      string
		prev      feedmill.FetchState
		ttl       time.Duration
		skipHours []int
		skipDays  []time.Weekday
	}{
		{path: "/rss", ttl: time.Hour, skipHours: []int{0, 23, 7}, skipDays: []time.Weekday{time.Saturday, time.Sunday}},
		{path: "/rss091", skipHours: []int{0}},
		{path: "/atom"},
		{path: "/rss", prev: feedmill.FetchState{ETag: `"x"`}}, // a 304 still carries Cache-Control
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res, err := f.Fetch(t.Context(), srv.URL+tt.path, tt.prev)
			if err != nil {
				t.Fatal(err)
			}
			h := res.Hints
			if h.MaxAge != 15*time.Minute {
				t.Errorf("MaxAge = %s", h.MaxAge)
			}
			if h.TTL != tt.ttl || !slices.Equal(h.SkipHours, tt.skipHours) || !slices.Equal(h.SkipDays, tt.skipDays) {
				t.Errorf("hints = %+v, want ttl %s, skip hours %v, days %v", h, tt.ttl, tt.skipHours, tt.skipDays)
			}
		})
	}
}
