package main

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// feedServer serves n generated feeds at /feed/N that keep publishing:
// feed N publishes an item every period(N), and its document holds its
// newest docItems items. Even feeds answer conditional requests (ETag);
// odd ones send the whole document every time, like many real servers;
// every tenth feed also carries a shared article that the others carry
// too (de-duplication by link); the last of every fifty always fails.
type feedServer struct {
	n     int
	start time.Time
}

// docItems is how many items a feed document holds.
const docItems = 20

// period is how often feed n publishes: 5 to 15 seconds.
func period(n int) time.Duration { return time.Duration(5+n%11) * time.Second }

// newest is the number of the newest item of feed n at t. Feeds start
// with docItems items already published.
func (s *feedServer) newest(n int, t time.Time) int {
	return int(t.Sub(s.start)/period(n)) + docItems
}

// published is when item k of feed n was published.
func (s *feedServer) published(n, k int) time.Time {
	return s.start.Add(time.Duration(k-docItems) * period(n))
}

var words = []string{"ukraine", "election", "market", "storm", "football", "vaccine", "climate", "court",
	"budget", "energy", "strike", "summit", "trade", "satellite", "festival", "railway", "harbour", "drought"}

func (s *feedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/feed/"))
	if err != nil || n < 0 || n >= s.n {
		http.NotFound(w, r)
		return
	}
	if n%50 == 49 {
		http.Error(w, "this feed always fails", http.StatusInternalServerError)
		return
	}
	now := time.Now()
	top := s.newest(n, now)
	if n%2 == 0 {
		etag := fmt.Sprintf(`"%d-%d"`, n, top)
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Soak feed %d</title><link>http://soak.example/%d/</link>`, n, n)
	for k := top; k > top-docItems; k-- {
		w1, w2 := words[(n+k)%len(words)], words[(n*7+k*3)%len(words)]
		link := fmt.Sprintf("http://soak.example/%d/%d", n, k)
		if n%10 == 0 && k%2 == 0 {
			// The shared article of the moment, carried by every tenth feed.
			link = fmt.Sprintf("http://soak.example/shared/%d", s.published(n, k).Unix()/60)
		}
		fmt.Fprintf(&b, "<item><title>Feed %d story %d: %s and %s</title><link>%s</link><guid isPermaLink=\"false\">%d-%d</guid>"+
			"<description>&lt;p&gt;A report on %s, %s and what comes next, number %d of feed %d, with enough words to look like a summary of an article.&lt;/p&gt;</description>"+
			"<pubDate>%s</pubDate></item>",
			n, k, w1, w2, link, n, k, w1, w2, k, n, s.published(n, k).Format(time.RFC1123Z))
	}
	b.WriteString("</channel></rss>")
	w.Write([]byte(b.String()))
}
