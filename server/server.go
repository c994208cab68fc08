// Package server is feedmill's HTTP face: the output feeds readers
// subscribe to, a health check, and an index page listing the outputs.
// Every route is read-only.
package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/feedgen"
)

// Store is what the server reads from the database.
type Store interface {
	Items(ctx context.Context, q feedmill.ItemQuery) ([]feedmill.Item, error)
	ItemsVersion(ctx context.Context) (int64, error)
	Feeds(ctx context.Context) ([]feedmill.FeedState, error)
	Ping(ctx context.Context) error
}

// Output is one configured output feed.
type Output struct {
	feedgen.Output
	// Topics selects the items: any of these topics; none means all items.
	Topics []string
	// Limit is the number of newest items the output holds.
	Limit int
}

// Config is what the server serves.
type Config struct {
	Outputs []Output
	// Sources describes the input feeds, for the "source" of entries.
	Sources map[string]feedgen.SourceFeed
	// MaxAge is how long readers may cache an output (the poll interval).
	MaxAge time.Duration
	Log    *slog.Logger
}

// Server serves outputs from a Store. It is an http.Handler.
type Server struct {
	store Store
	cfg   Config
	mux   *http.ServeMux
	log   *slog.Logger

	mu    sync.Mutex
	cache map[cacheKey]*rendered
}

type cacheKey struct {
	output string
	format feedgen.Format
}

// rendered is one output document as served, with its validators.
type rendered struct {
	version int64
	body    []byte
	etag    string
	modTime time.Time
}

// New returns a Server for the outputs in cfg.
func New(store Store, cfg Config) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	for i := range cfg.Outputs {
		cfg.Outputs[i].Sources = cfg.Sources
	}
	s := &Server{store: store, cfg: cfg, log: cfg.Log, cache: map[cacheKey]*rendered{}}
	s.routes()
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) routes() {
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /feeds/{file}", s.handleOutput)
	s.mux.HandleFunc("GET /healthz", s.handleHealth)
	s.mux.HandleFunc("GET /{$}", s.handleIndex)
}

func (s *Server) output(name string) (Output, bool) {
	for _, o := range s.cfg.Outputs {
		if o.Name == name {
			return o, true
		}
	}
	return Output{}, false
}

func (s *Server) handleOutput(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	dot := strings.LastIndexByte(file, '.')
	if dot < 0 {
		http.NotFound(w, r)
		return
	}
	name, format := file[:dot], feedgen.Format(file[dot+1:])
	o, ok := s.output(name)
	if !ok || (format != feedgen.RSS && format != feedgen.Atom && format != feedgen.JSON) {
		http.NotFound(w, r)
		return
	}
	doc, err := s.render(r.Context(), o, format)
	if err != nil {
		s.log.Error("render output", "output", name, "format", format, "err", err)
		http.Error(w, "output unavailable, see the server log", http.StatusServiceUnavailable)
		return
	}
	h := w.Header()
	h.Set("Content-Type", format.ContentType())
	h.Set("ETag", doc.etag)
	if s.cfg.MaxAge > 0 {
		h.Set("Cache-Control", fmt.Sprintf("max-age=%d", int(s.cfg.MaxAge.Seconds())))
	}
	http.ServeContent(w, r, "", doc.modTime, strings.NewReader(string(doc.body)))
}

// render returns the output document, rebuilding it only when the items
// changed since it was last built (by this or any other process).
func (s *Server) render(ctx context.Context, o Output, f feedgen.Format) (*rendered, error) {
	version, err := s.store.ItemsVersion(ctx)
	if err != nil {
		return nil, err
	}
	key := cacheKey{o.Name, f}
	s.mu.Lock()
	doc := s.cache[key]
	s.mu.Unlock()
	if doc != nil && doc.version == version {
		return doc, nil
	}
	items, err := s.store.Items(ctx, feedmill.ItemQuery{Topics: o.Topics, Limit: o.Limit})
	if err != nil {
		return nil, err
	}
	out, err := s.withFeedTitles(ctx, o.Output)
	if err != nil {
		return nil, err
	}
	body, err := feedgen.Render(out, items, f)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	doc = &rendered{version: version, body: body, etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
	for _, it := range items {
		if t := it.Published; t.After(doc.modTime) {
			doc.modTime = t
		}
		if t := it.Updated; t.After(doc.modTime) {
			doc.modTime = t
		}
	}
	s.mu.Lock()
	s.cache[key] = doc
	s.mu.Unlock()
	return doc, nil
}

// withFeedTitles fills in the titles that feeds give themselves where the
// configuration gave none, so entries name their source properly.
func (s *Server) withFeedTitles(ctx context.Context, o feedgen.Output) (feedgen.Output, error) {
	feeds, err := s.store.Feeds(ctx)
	if err != nil {
		return o, err
	}
	sources := make(map[string]feedgen.SourceFeed, len(feeds))
	for _, f := range feeds {
		src, configured := o.Sources[f.Name]
		if src.Title == "" {
			src.Title = f.Title
		}
		if !configured && (strings.HasPrefix(f.URL, "http://") || strings.HasPrefix(f.URL, "https://")) {
			src.URL = f.URL
		}
		sources[f.Name] = src
	}
	o.Sources = sources
	return o, nil
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		http.Error(w, "database: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

var indexTmpl = template.Must(template.New("index").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>feedmill</title></head>
<body><h1>feedmill</h1>
<h2>Outputs</h2>
<ul>{{range .Outputs}}<li>{{.Title}} ({{.Name}}):
<a href="{{.URL "rss"}}">RSS</a> · <a href="{{.URL "atom"}}">Atom</a> · <a href="{{.URL "json"}}">JSON Feed</a></li>
{{else}}<li>No outputs configured.</li>{{end}}</ul>
<h2>Feeds</h2>
<ul>{{range .Feeds}}<li>{{.Name}}: {{if .Status}}{{.Status}}{{else}}not fetched yet{{end}}, {{.Items}} items{{if .LastError}} — {{.LastError}}{{end}}</li>
{{else}}<li>No feed fetched yet.</li>{{end}}</ul>
</body></html>
`))

func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	feeds, err := s.store.Feeds(r.Context())
	if err != nil {
		s.log.Error("index", "err", err)
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	data := struct {
		Outputs []Output
		Feeds   []feedmill.FeedState
	}{s.cfg.Outputs, feeds}
	if err := indexTmpl.Execute(w, data); err != nil {
		s.log.Error("index", "err", err)
	}
}
