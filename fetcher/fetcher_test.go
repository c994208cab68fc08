package fetcher

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
)

const rssDoc = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Test</title><link>https://example.org/</link>
<item><title>First</title><link>https://example.org/1</link><guid>1</guid></item>
<item><title>Second</title><link>https://example.org/2</link><guid>2</guid></item>
</channel></rss>`

func TestFetch(t *testing.T) {
	var gotUA string
	mux := http.NewServeMux()
	mux.HandleFunc("/feed", func(w http.ResponseWriter, r *http.Request) {
		gotUA = r.UserAgent()
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(rssDoc))
	})
	mux.HandleFunc("/gzip", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		gz := gzip.NewWriter(w)
		gz.Write([]byte(rssDoc))
		gz.Close()
	})
	// 64 MB of zeros compress to about 64 KB: the cap must stop it.
	var bomb bytes.Buffer
	gz := gzip.NewWriter(&bomb)
	zeros := make([]byte, 1<<20)
	for range 64 {
		gz.Write(zeros)
	}
	gz.Close()
	mux.HandleFunc("/bomb", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(bomb.Bytes())
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("<!-- padding -->", 1024))
		for range 2048 { // 32 MB
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/html", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<!DOCTYPE html><html><head><title>Hi</title></head><body>no feed</body></html>"))
	})
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title>unclosed`))
	})
	mux.HandleFunc("/missing", http.NotFound)
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel>`))
		w.(http.Flusher).Flush()
		select { // drip: never finish until the client gives up
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	mux.HandleFunc("/chain/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		http.Redirect(w, r, "/chain/"+strconv.Itoa(n+1), http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "local.xml"), []byte(rssDoc), 0o644); err != nil {
		t.Fatal(err)
	}

	// Only /slow should meet the timeout, even on a loaded machine under -race.
	f := New(Options{Timeout: 30 * time.Second, MaxBody: 1 << 20, FileRoot: dir})
	short := New(Options{Timeout: 500 * time.Millisecond, MaxBody: 1 << 20})
	tests := []struct {
		path    string
		items   int
		wantErr string
		is      error
	}{
		{path: "/feed", items: 2},
		{path: "/gzip", items: 2},
		{path: "/bomb", wantErr: "too large", is: feedmill.ErrTooLarge},
		{path: "/huge", wantErr: "too large", is: feedmill.ErrTooLarge},
		{path: "/html", wantErr: "not a feed: got an HTML page", is: feedmill.ErrNotAFeed},
		{path: "/empty", wantErr: "not a feed: the document is empty", is: feedmill.ErrNotAFeed},
		{path: "/broken", wantErr: "malformed feed"},
		{path: "/missing", wantErr: "HTTP 404 Not Found"},
		{path: "/slow", wantErr: "timed out after 500ms"},
		{path: "/loop", wantErr: "redirect loop", is: ErrRedirectLoop},
		{path: "/chain/0", wantErr: "more than 5 redirects", is: ErrTooManyRedirects},
		{path: "file:local.xml", items: 2},
		{path: "file:nope.xml", wantErr: "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			u := tt.path
			if strings.HasPrefix(u, "/") {
				u = srv.URL + u
			}
			fetch := f.Fetch
			if tt.path == "/slow" {
				fetch = short.Fetch
			}
			res, err := fetch(t.Context(), u, feedmill.FetchState{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				if tt.is != nil && !errors.Is(err, tt.is) {
					t.Errorf("err = %v, want errors.Is %v", err, tt.is)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Feed.Items) != tt.items {
				t.Errorf("%d items, want %d", len(res.Feed.Items), tt.items)
			}
		})
	}
	if !strings.HasPrefix(gotUA, "feedmill/"+feedmill.Version) {
		t.Errorf("User-Agent = %q, want it to name feedmill and its version", gotUA)
	}
}

func TestFileURLsNeedARoot(t *testing.T) {
	_, err := New(Options{}).Fetch(t.Context(), "file:/etc/hostname", feedmill.FetchState{})
	if err == nil {
		t.Fatal("file: URL fetched without a file root")
	}
}

// TestConditionalGET: validators are sent back, a 304 costs no parse, and
// a body identical to the last one is not parsed either.
func TestConditionalGET(t *testing.T) {
	var lastINM, lastIMS string
	body := rssDoc
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lastINM, lastIMS = r.Header.Get("If-None-Match"), r.Header.Get("If-Modified-Since")
		switch r.URL.Path {
		case "/etag":
			if lastINM == `"v1"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("ETag", `"v1"`)
			w.Header().Set("Last-Modified", "Mon, 23 Nov 2026 08:00:00 GMT")
		}
		io.WriteString(w, body)
	}))
	defer srv.Close()
	f := New(Options{})

	first, err := f.Fetch(t.Context(), srv.URL+"/etag", feedmill.FetchState{})
	if err != nil || first.NotModified || first.Feed == nil {
		t.Fatalf("first fetch: %+v, %v", first, err)
	}
	if first.State.ETag != `"v1"` || first.State.LastModified == "" || first.State.BodyHash == "" {
		t.Errorf("state not remembered: %+v", first.State)
	}
	second, err := f.Fetch(t.Context(), srv.URL+"/etag", first.State)
	if err != nil || !second.NotModified || second.Feed != nil || second.Status != 304 {
		t.Fatalf("second fetch: %+v, %v", second, err)
	}
	if lastINM != `"v1"` || lastIMS != "Mon, 23 Nov 2026 08:00:00 GMT" {
		t.Errorf("validators sent: If-None-Match %q, If-Modified-Since %q", lastINM, lastIMS)
	}
	if second.State != first.State {
		t.Errorf("a 304 lost the validators: %+v", second.State)
	}

	// A server without validators: the body hash does the job.
	plain, err := f.Fetch(t.Context(), srv.URL+"/plain", feedmill.FetchState{})
	if err != nil || plain.NotModified {
		t.Fatal(plain, err)
	}
	again, err := f.Fetch(t.Context(), srv.URL+"/plain", plain.State)
	if err != nil || !again.NotModified || again.Feed != nil {
		t.Fatalf("same body: %+v, %v", again, err)
	}
	body = strings.Replace(rssDoc, "Second", "Second, corrected", 1)
	changed, err := f.Fetch(t.Context(), srv.URL+"/plain", again.State)
	if err != nil || changed.NotModified || changed.Feed == nil {
		t.Fatalf("changed body: %+v, %v", changed, err)
	}
}
