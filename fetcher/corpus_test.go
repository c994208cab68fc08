package fetcher

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/feedmill/feedmill"
	"github.com/mmcdole/gofeed"
)

// corpusFiles lists every file under the corpus's fixtures/ and jsonfeed/,
// relative to corpusDir, or skips the test.
func corpusFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, dir := range []string{"fixtures", "jsonfeed"} {
		root := filepath.Join(corpusDir, dir)
		if _, err := os.Stat(root); err != nil {
			t.Skipf("corpus not present: %v", err)
		}
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				rel, _ := filepath.Rel(corpusDir, p)
				files = append(files, filepath.ToSlash(rel))
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// headerLine is a "Header: Name: value" line of a feedparser fixture's
// leading comment: the headers its test server sent with the document.
var headerLine = regexp.MustCompile(`(?m)^Header:\s*([A-Za-z-]+):\s*(.*?)\s*$`)

// fixtureHeaders are the HTTP headers a corpus file should be served with:
// those its leading comment names, else a Content-Type for its extension.
func fixtureHeaders(rel string, body []byte) http.Header {
	h := http.Header{}
	if strings.Contains(rel, "feedparser/") {
		head := body[:min(len(body), 2048)]
		if end := bytes.Index(head, []byte("-->")); end >= 0 {
			for _, m := range headerLine.FindAllSubmatch(head[:end], -1) {
				h.Add(string(m[1]), string(m[2]))
			}
		}
	}
	if h.Get("Content-Type") == "" {
		if strings.HasSuffix(rel, ".json") {
			h.Set("Content-Type", "application/json")
		} else {
			h.Set("Content-Type", "application/xml")
		}
	}
	return h
}

// errorKind sorts an error into what a user would be told.
func errorKind(err error) string {
	if nf, ok := errors.AsType[*NotAFeedError](err); ok {
		return "not a feed: " + nf.What
	}
	if se, ok := errors.AsType[*StatusError](err); ok {
		return fmt.Sprintf("HTTP %d", se.Code)
	}
	switch {
	case errors.Is(err, feedmill.ErrTooLarge):
		return "too large"
	case strings.HasPrefix(err.Error(), "malformed feed: "):
		return "malformed: " + gofeedKind(errors.Unwrap(err))
	}
	return "other: " + err.Error()
}

// gofeedKind is the kind of a gofeed parse error, without its position.
func gofeedKind(err error) string {
	msg := err.Error()
	switch {
	case errors.Is(err, gofeed.ErrFeedTypeNotDetected):
		return "feed type not detected"
	case strings.HasPrefix(msg, "XML syntax error"):
		_, detail, _ := strings.Cut(msg, ": ")
		if strings.HasPrefix(detail, "element <") {
			detail = "mismatched element"
		}
		return "XML syntax error: " + detail
	case strings.Contains(msg, "json") || strings.Contains(msg, "JSON"):
		return "JSON: " + msg
	}
	return msg
}

// TestCorpusSweep serves every corpus fixture over HTTP, with the headers
// feedparser's fixtures name, and fetches it: each yields a feed or a
// specific error, never a panic or a hang. It logs the counts beside what
// gofeed alone makes of the same bytes.
func TestCorpusSweep(t *testing.T) {
	files := corpusFiles(t)
	bodies := map[string][]byte{}
	for _, rel := range files {
		b, err := os.ReadFile(filepath.Join(corpusDir, rel))
		if err != nil {
			t.Fatal(err)
		}
		bodies[rel] = b
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rel := strings.TrimPrefix(r.URL.Path, "/")
		body, ok := bodies[rel]
		if !ok {
			http.NotFound(w, r)
			return
		}
		maps.Copy(w.Header(), fixtureHeaders(rel, body))
		w.Write(body)
	}))
	defer srv.Close()
	f := New(Options{Timeout: 10 * time.Second})

	type outcome struct {
		ours, theirs string // "items", "no items" or an error kind
	}
	results := make([]outcome, len(files))
	work := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range work {
				rel := files[i]
				res, err := f.Fetch(t.Context(), srv.URL+"/"+rel, feedmill.FetchState{})
				switch {
				case err != nil:
					results[i].ours = errorKind(err)
					if strings.HasPrefix(results[i].ours, "other") || strings.HasPrefix(results[i].ours, "HTTP") {
						t.Errorf("%s: unexpected error %v", rel, err)
					}
				case len(res.Feed.Items) > 0:
					results[i].ours = "items"
				default:
					results[i].ours = "no items"
				}
				if err == nil && !utf8.ValidString(res.Feed.Title) {
					t.Errorf("%s: title not UTF-8: %q", rel, res.Feed.Title)
				}
				doc, gerr := gofeed.NewParser().Parse(bytes.NewReader(bodies[rel]))
				switch {
				case gerr != nil:
					results[i].theirs = gofeedKind(gerr)
				case len(doc.Items) > 0:
					results[i].theirs = "items"
				default:
					results[i].theirs = "no items"
				}
			}
		})
	}
	for i := range files {
		work <- i
	}
	close(work)
	wg.Wait()

	ours, theirs := map[string]int{}, map[string]int{}
	var gained, lost []string
	for i, r := range results {
		ours[r.ours]++
		theirs[r.theirs]++
		okOurs, okTheirs := !isErrKind(r.ours), !isErrKind(r.theirs)
		if okOurs && !okTheirs {
			gained = append(gained, files[i]+" (gofeed: "+r.theirs+")")
		}
		if !okOurs && okTheirs {
			lost = append(lost, files[i]+" ("+r.ours+")")
		}
	}
	var out bufio.Writer
	var buf bytes.Buffer
	out.Reset(&buf)
	fmt.Fprintf(&out, "%d corpus files\n%-60s %7s %7s\n", len(files), "outcome", "fetcher", "gofeed")
	keys := slices.Sorted(maps.Keys(ours))
	for k := range theirs {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b string) int { return (ours[b] + theirs[b]) - (ours[a] + theirs[a]) })
	for _, k := range keys {
		fmt.Fprintf(&out, "%-60.60s %7d %7d\n", k, ours[k], theirs[k])
	}
	fmt.Fprintf(&out, "rejected by the fetcher:\n")
	for i, r := range results {
		if isErrKind(r.ours) {
			fmt.Fprintf(&out, "  %s: %s\n", files[i], r.ours)
		}
	}
	fmt.Fprintf(&out, "parsed by the fetcher but not by gofeed alone (%d):\n  %s\n", len(gained), strings.Join(gained, "\n  "))
	fmt.Fprintf(&out, "parsed by gofeed alone but not by the fetcher (%d):\n  %s\n", len(lost), strings.Join(lost, "\n  "))
	out.Flush()
	t.Log("\n" + buf.String())
	if len(lost) > 0 {
		t.Errorf("%d files gofeed parses are rejected by the fetcher", len(lost))
	}
}

func isErrKind(k string) bool { return k != "items" && k != "no items" }
