package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

const articlePage = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Envoys meet</title>
<script>document.write("tracking")</script></head>
<body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>Envoys meet in Vienna</h1>
<p>Negotiators from both sides met for six hours in Vienna on Tuesday, the first direct meeting since the spring.
According to two officials present, the talks covered a prisoner exchange and the reopening of a grain corridor.</p>
<p>A ceasefire was discussed for the first time, although neither delegation would confirm any agreement.
Mediators said a second round could take place within a fortnight if both capitals approve the draft.</p>
<p>The delegations left separately and did not speak to reporters waiting outside the building.</p>
</article><footer>Copyright, cookie settings, newsletter sign-up</footer></body></html>`

// TestFullContent: a feed with full_content gets each new item's page
// fetched and its main text used for topics and outputs; a failing page
// keeps the summary; private addresses are refused unless allowed.
func TestFullContent(t *testing.T) {
	var mu sync.Mutex
	hits := map[string]int{}
	var srvURL string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		n := hits[r.URL.Path]
		mu.Unlock()
		switch r.URL.Path {
		case "/feed":
			// The document changes on every poll (its items do not), so a
			// second poll parses it.
			fmt.Fprintf(w, `<rss version="2.0"><channel><title>Teasers</title><link>%[1]s/</link><ttl>%[2]d</ttl>
<item><title>Envoys meet</title><link>%[1]s/article/1</link><guid>1</guid><description>Teaser only.</description></item>
<item><title>Broken page</title><link>%[1]s/article/2</link><guid>2</guid><description>Second teaser.</description></item>
</channel></rss>`, srvURL, n)
		case "/article/1":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte(articlePage))
		default:
			http.Error(w, "boom", http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	srvURL = srv.URL

	for _, allow := range []bool{true, false} {
		t.Run(fmt.Sprintf("allow_private=%v", allow), func(t *testing.T) {
			mu.Lock()
			clear(hits)
			mu.Unlock()
			dir := t.TempDir()
			listen := freeAddr(t)
			cfg := filepath.Join(dir, "config.yaml")
			os.WriteFile(cfg, []byte(fmt.Sprintf(`database: ft.db
listen: %s
allow_private: %v
feeds:
  - name: teasers
    url: %s/feed
    full_content: true
topics:
  - name: truce
    match: ceasefire
outputs:
  - name: all
`, listen, allow, srv.URL)), 0o644)
			r := runFeedmill(t, nil, "--config", cfg, "fetch")
			if r.code != 0 {
				t.Fatalf("fetch: %d %s%s", r.code, r.stdout, r.stderr)
			}
			items := decodeLines[itemLine](t, runFeedmill(t, nil, "--config", cfg, "items", "--json").stdout)
			byTitle := map[string]itemLine{}
			for _, it := range items {
				byTitle[it.Title] = it
			}
			tagged := slices.Contains(byTitle["Envoys meet"].Topics, "truce")
			if tagged != allow {
				t.Errorf("item tagged from its full text: %v, want %v (topics %v)", tagged, allow, byTitle["Envoys meet"].Topics)
			}
			mu.Lock()
			articleHits := hits["/article/1"]
			mu.Unlock()
			if allow && articleHits != 1 || !allow && articleHits != 0 {
				t.Errorf("article page requested %d times with allow_private=%v", articleHits, allow)
			}

			d := startDaemon(t, cfg, listen)
			_, body := getBody(t, d.base+"/feeds/all.atom")
			if allow {
				if !strings.Contains(body, "prisoner exchange") || !strings.Contains(body, "Teaser only.") {
					t.Errorf("output lacks the full text or the summary:\n%s", body)
				}
				if strings.Contains(body, "tracking") || strings.Contains(body, "cookie settings") {
					t.Errorf("output carries page chrome or scripts:\n%s", body)
				}
			} else if strings.Contains(body, "prisoner exchange") {
				t.Errorf("full text fetched from a private address without allow_private:\n%s", body)
			}
			if !strings.Contains(body, "Second teaser.") {
				t.Errorf("a failing page did not fall back to the summary:\n%s", body)
			}
			d.stop(t)

			// A second poll of a changed feed does not fetch known items again.
			if r := runFeedmill(t, nil, "--config", cfg, "fetch"); !strings.Contains(r.stdout, "2 already seen") {
				t.Errorf("second poll: %s", r.stdout)
			}
			mu.Lock()
			if hits["/article/1"] != articleHits {
				t.Errorf("article page fetched again for a known item")
			}
			mu.Unlock()
		})
	}
}

func getBody(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
