package fetcher

import (
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/feedmill/feedmill"
)

// billionLaughs defines an entity that would expand to 10^9 "lol"s.
func billionLaughs(root string) string {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol0 \"lol\">\n")
	for i := 1; i <= 9; i++ {
		b.WriteString("<!ENTITY lol" + string(rune('0'+i)) + " \"")
		for range 10 {
			b.WriteString("&lol" + string(rune('0'+i-1)) + ";")
		}
		b.WriteString("\">\n")
	}
	b.WriteString("]>\n")
	b.WriteString(root)
	return b.String()
}

// TestXMLSafety: entity definitions in a DTD are neither expanded (no
// billion laughs) nor fetched (no external entities): Go's encoding/xml
// knows only the predefined entities and never resolves a SYSTEM id.
func TestXMLSafety(t *testing.T) {
	var secretHits atomic.Int64
	const secret = "TOP-SECRET-operator-data"
	mux := http.NewServeMux()
	mux.HandleFunc("/secret", func(w http.ResponseWriter, r *http.Request) {
		secretHits.Add(1)
		w.Write([]byte(secret))
	})
	docs := map[string]string{}
	mux.HandleFunc("/doc/{name}", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(docs[r.PathValue("name")]))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	hostname, _ := os.ReadFile("/etc/hostname")

	docs["laughs-rss"] = billionLaughs(`<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title><description>&lol9;</description></item></channel></rss>`)
	docs["laughs-atom"] = billionLaughs(`<feed xmlns="http://www.w3.org/2005/Atom"><title>&lol9;</title><entry><title>&lol9;</title></entry></feed>`)
	docs["xxe-http"] = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "` + srv.URL + `/secret">]>` +
		`<rss version="2.0"><channel><title>&xxe;</title><item><title>&xxe;</title></item></channel></rss>`
	docs["xxe-file"] = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>` +
		`<rss version="2.0"><channel><title>&xxe;</title><item><title>&xxe;</title></item></channel></rss>`
	docs["xxe-param"] = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "` + srv.URL + `/secret"> %p;]>` +
		`<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>`

	f := New(Options{})
	for name := range docs {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			res, err := f.Fetch(t.Context(), srv.URL+"/doc/"+name, feedmill.FetchState{})
			runtime.ReadMemStats(&after)
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
				t.Errorf("parse allocated %d bytes: entities expanded?", alloc)
			}
			if err != nil {
				t.Logf("rejected: %v", err)
				return
			}
			text := res.Feed.Title
			for _, it := range res.Feed.Items {
				text += it.Title + it.Description
			}
			t.Logf("parsed, text %q", text)
			if len(text) > 1000 || strings.Contains(text, secret) ||
				(len(strings.TrimSpace(string(hostname))) > 0 && strings.Contains(text, strings.TrimSpace(string(hostname)))) {
				t.Errorf("entity expanded or resolved: %.200q", text)
			}
		})
	}
	if n := secretHits.Load(); n != 0 {
		t.Errorf("an external entity was fetched %d times", n)
	}
}

// TestUndeclaredEntities: HTML entities XML does not declare, common in
// real feeds, come out as their characters rather than failing the feed.
func TestUndeclaredEntities(t *testing.T) {
	feed, err := Parse([]byte(`<rss version="2.0"><channel><title>caf&eacute; &copy; &amp; &lt;</title>` +
		`<item><title>Wait&hellip;&nbsp;done</title></item></channel></rss>`))
	if err != nil {
		t.Fatal(err)
	}
	if feed.Title != "café © & <" || feed.Items[0].Title != "Wait…\u00a0done" {
		t.Errorf("got %q, %q", feed.Title, feed.Items[0].Title)
	}
}
