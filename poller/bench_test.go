package poller

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/fetcher"
	"github.com/feedmill/feedmill/storage"
)

// benchFeed is a real 50-item news feed of the shared corpus.
const benchFeed = "news/cnn-top-stories/20210917T000418Z.xml"

// ingest is the whole ingest path of one fetched body, without the
// network: parse, skip what is stored, normalize, tag, store.
func ingest(b *testing.B, p *Pipeline, f Feed, body []byte) {
	doc, err := fetcher.Parse(body)
	if err != nil {
		b.Fatal(err)
	}
	batch, err := p.Prepare(context.Background(), f, &fetcher.Result{Feed: doc, Bytes: len(body)})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := p.Store.Ingest(context.Background(), batch); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkIngest compares, on the same bytes, the gofeed parse alone with
// the whole ingest path into an empty database (cold) and into one that
// already holds every item (all seen). The ratios to "parse" are the cost
// of everything after parsing.
func BenchmarkIngest(b *testing.B) {
	body := corpusFile(b, benchFeed)
	f := Feed{Name: "cnn", URL: "http://127.0.0.1/cnn.xml"}

	b.Run("parse", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, err := fetcher.Parse(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cold", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		dir := b.TempDir()
		n := 0
		var ref parseRef
		defer ref.report(b)
		for b.Loop() {
			b.StopTimer()
			n++
			db, err := storage.Open(context.Background(), filepath.Join(dir, fmt.Sprintf("cold%d.db", n)))
			if err != nil {
				b.Fatal(err)
			}
			p := newPipeline(b, db)
			ref.measure(body)
			b.StartTimer()
			start := time.Now()
			ingest(b, p, f, body)
			ref.path += time.Since(start)
			b.StopTimer()
			db.Close()
			os.Remove(filepath.Join(dir, fmt.Sprintf("cold%d.db", n)))
			b.StartTimer()
		}
	})
	// The same document again, from a server that sends no validators: its
	// hash matches the last one, so nothing is parsed.
	b.Run("same-document", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		db := openDB(b)
		p := newPipeline(b, db)
		ingest(b, p, f, body)
		prev := fetcher.BodyHash(body)
		for b.Loop() {
			_, hash, unchanged, err := fetcher.ParseChanged(body, prev)
			if err != nil || !unchanged {
				b.Fatal("document not recognised as unchanged", err)
			}
			if err := db.RecordPoll(context.Background(), feedmill.Batch{Feed: f.Name, URL: f.URL, FetchedAt: time.Now(),
				HTTPStatus: 200, Outcome: feedmill.OutcomeNotModified, State: feedmill.FetchState{BodyHash: hash}}); err != nil {
				b.Fatal(err)
			}
		}
	})
	// Every item already stored, but the document differs (a new
	// lastBuildDate, say): parsed, nothing sanitized, nothing written but the
	// feed's state.
	b.Run("all-seen", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		db := openDB(b)
		p := newPipeline(b, db)
		ingest(b, p, f, body)
		var ref parseRef
		defer ref.report(b)
		for b.Loop() {
			b.StopTimer()
			ref.measure(body)
			b.StartTimer()
			start := time.Now()
			ingest(b, p, f, body)
			ref.path += time.Since(start)
		}
	})
}

// parseRef times a gofeed parse of the same bytes beside each iteration of
// a path, untimed by the benchmark, and reports the path's cost as a
// multiple of it ("x-parse"): a ratio measured in one run, so the noise of
// a shared machine cancels out.
type parseRef struct{ parse, path time.Duration }

func (r *parseRef) measure(body []byte) {
	start := time.Now()
	if _, err := fetcher.Parse(body); err != nil {
		panic(err)
	}
	r.parse += time.Since(start)
}

func (r *parseRef) report(b *testing.B) {
	if r.parse > 0 {
		b.ReportMetric(float64(r.path)/float64(r.parse), "x-parse")
	}
}

// BenchmarkFetch100Feeds polls 100 different real feeds served by a local
// HTTP server into an empty database, as `feedmill fetch` does, and reports
// the stored items per second.
func BenchmarkFetch100Feeds(b *testing.B) {
	root := filepath.Join("..", "..", "shared", "corpus")
	var files []string
	for _, dir := range []string{"news", "news-2026"} {
		matches, _ := filepath.Glob(filepath.Join(root, dir, "*", "*.xml"))
		files = append(files, matches...)
	}
	if len(files) < 100 {
		b.Skipf("need 100 corpus feeds, found %d", len(files))
	}
	sort.Strings(files)
	bodies := map[string][]byte{}
	var feeds []Feed
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(bodies[strings.TrimPrefix(r.URL.Path, "/")])
	}))
	defer srv.Close()
	for i, file := range files[:100] {
		body, err := os.ReadFile(file)
		if err != nil {
			b.Fatal(err)
		}
		name := fmt.Sprintf("feed%03d", i)
		bodies[name] = body
		feeds = append(feeds, Feed{Name: name, URL: srv.URL + "/" + name})
	}
	dir := b.TempDir()
	var items, n int
	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		n++
		db, err := storage.Open(context.Background(), filepath.Join(dir, fmt.Sprintf("f%d.db", n)))
		if err != nil {
			b.Fatal(err)
		}
		p := newPipeline(b, db)
		b.StartTimer()
		start := time.Now()
		p.PollAll(context.Background(), feeds, 8, func(r Report) {
			items += r.Result.New + r.Result.Merged + r.Result.Updated
		})
		elapsed += time.Since(start)
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(items)/elapsed.Seconds(), "items/s")
	b.ReportMetric(float64(items)/float64(n), "items/op")
}
