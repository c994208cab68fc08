// Package server is feedmill's HTTP face: the output feeds readers
// subscribe to, an OPML list of them, a health check, metrics, a status
// page, and one authenticated action (POST /api/fetch). Every other route
// is read-only.
//
// Outputs are served like static files: each document is rendered and
// gzipped once per change of the stored items, and a request costs a check
// of its validators and one write of cached bytes.
package server

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/feedgen"
)

// Store is what the server reads from the database.
type Store interface {
	Items(ctx context.Context, q feedmill.ItemQuery) ([]feedmill.Item, error)
	ItemsVersion(ctx context.Context) (int64, error)
	Feeds(ctx context.Context) ([]feedmill.FeedState, error)
	// FeedTitles is the cheap part of Feeds: names, URLs and titles, read
	// on every output rebuild.
	FeedTitles(ctx context.Context) ([]feedmill.FeedState, error)
	Ping(ctx context.Context) error
	// FeedDaily and TopicDaily count new items per feed and per topic for
	// each of days days from start; TopicCounts counts items per topic.
	// The status page charts them.
	FeedDaily(ctx context.Context, start time.Time, days int) (map[string][]int, error)
	TopicDaily(ctx context.Context, start time.Time, days int) (map[string][]int, error)
	TopicCounts(ctx context.Context) (map[string]int, error)
}

// Output is one configured output feed.
type Output struct {
	// Output names and describes the feed; a Key makes it private.
	feedgen.Output
	// Select chooses its items; Select.Limit is the size of a page.
	Select feedmill.ItemQuery
	// MaxAge, when positive, keeps only items published within it.
	MaxAge time.Duration
}

// Private reports whether the output needs its key in the URL.
func (o Output) Private() bool { return o.Key != "" }

// Config is what the server serves.
type Config struct {
	Outputs []Output
	// Sources describes the input feeds, for the "source" of entries.
	Sources map[string]feedgen.SourceFeed
	// MaxAge is how long readers may cache an output (the poll interval).
	MaxAge time.Duration
	// Recheck is how long a read of the items version is trusted;
	// DefaultRecheck when zero, a read per request when negative.
	Recheck time.Duration
	Log     *slog.Logger
	// Changed, when set, is told of every newest page the cache builds
	// whose bytes differ from the previous build (the first build after New
	// included, since only the caller knows what it saw before). It is
	// called with the output's cache entry locked: it must not block.
	Changed func(Document)
	// Topics are the configured topics, for the status page.
	Topics []Topic
	// Readers, when set, returns how many readers an output has, as feed
	// services announce them, and whether that is known; the status page
	// shows it beside the output.
	Readers func(output string) (readers int, known bool)
	// Ops are the hooks of the operations endpoints (/healthz, /metrics,
	// /api/fetch) and of request counting.
	Ops Ops
}

// Server serves outputs from a Store. It is an http.Handler.
type Server struct {
	store   Store
	cfg     Config
	mux     *http.ServeMux
	log     *slog.Logger
	now     func() time.Time
	outputs map[string]*Output
	// cache is filled in New and only read after, so it needs no lock.
	cache map[cacheKey]*entry
	ver   versionCache
	// status is the rendered status page.
	status statusCache
	// cacheControl is the Cache-Control of public and private outputs.
	cacheControl, cacheControlPrivate []string
}

type cacheKey struct {
	output string
	format feedgen.Format
}

// New returns a Server for the outputs in cfg.
func New(store Store, cfg Config) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Recheck == 0 {
		cfg.Recheck = DefaultRecheck
	}
	s := &Server{store: store, cfg: cfg, log: cfg.Log, now: time.Now,
		outputs: map[string]*Output{}, cache: map[cacheKey]*entry{}}
	for i := range cfg.Outputs {
		o := &cfg.Outputs[i]
		o.Sources = cfg.Sources
		s.outputs[o.Name] = o
		for _, f := range feedgen.Formats {
			s.cache[cacheKey{o.Name, f}] = &entry{}
		}
	}
	maxAge := fmt.Sprintf("max-age=%d", int(cfg.MaxAge.Seconds()))
	s.cacheControl, s.cacheControlPrivate = []string{"public, " + maxAge}, []string{"private, " + maxAge}
	s.routes()
	return s
}

// ServeHTTP routes a GET or HEAD of an output, what readers poll all day,
// without the mux's pattern matching (see outputFile); everything else goes
// through the mux, which routes outputs the same way.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if file, ok := outputFile(r); ok {
		s.serveOutput(w, r, file)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// routes lists every endpoint. GET patterns answer HEAD too.
func (s *Server) routes() {
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /feeds/{file}", s.handleOutput)
	s.mux.HandleFunc("GET /opml", s.handleOPML)
	s.mux.HandleFunc("GET /healthz", s.handleHealth)
	s.mux.HandleFunc("GET /metrics", s.handleMetrics)
	s.mux.HandleFunc("/api/fetch", s.handleAPIFetch)
	s.mux.HandleFunc("GET /{$}", s.handleStatus)
}

var (
	varyAE     = []string{"Accept-Encoding"}
	encodingGz = []string{"gzip"}
)

func (s *Server) handleOutput(w http.ResponseWriter, r *http.Request) {
	s.serveOutput(w, r, r.PathValue("file"))
}

// serveOutput answers a request for file ("NAME.atom") under /feeds/.
func (s *Server) serveOutput(w http.ResponseWriter, r *http.Request, file string) {
	dot := strings.LastIndexByte(file, '.')
	ok := dot > 0
	name, ext := file, ""
	if ok {
		name, ext = file[:dot], file[dot+1:]
	}
	o := s.outputs[name]
	format := feedgen.Format(ext)
	if !ok || o == nil || (format != feedgen.RSS && format != feedgen.Atom && format != feedgen.JSON) {
		http.NotFound(w, r)
		return
	}
	status := http.StatusNotFound
	if obs := s.cfg.Ops.Observe; obs != nil {
		defer func() {
			obs(Request{Output: name, Format: ext, Status: status, UserAgent: r.UserAgent(), RemoteAddr: r.RemoteAddr})
		}()
	}
	var before feedmill.Cursor
	if r.URL.RawQuery != "" {
		q := r.URL.Query()
		// A private output does not exist for whoever lacks its key.
		if o.Private() && subtle.ConstantTimeCompare([]byte(q.Get("key")), []byte(o.Key)) != 1 {
			http.NotFound(w, r)
			return
		}
		if b := q.Get("before"); b != "" {
			c, err := feedmill.ParseCursor(b)
			if err != nil {
				status = http.StatusBadRequest
				http.Error(w, err.Error(), status)
				return
			}
			before = c
		}
	} else if o.Private() {
		http.NotFound(w, r)
		return
	}
	var doc *rendered
	var err error
	if before.IsZero() {
		doc, err = s.document(r.Context(), o, format)
	} else {
		// Older pages are rare (a reader catching up): rendered on demand.
		doc, err = s.build(r.Context(), o, format, before, 0)
	}
	if err != nil {
		s.log.Error("render output", "output", name, "format", format, "err", err)
		status = http.StatusServiceUnavailable
		http.Error(w, "output unavailable, see the server log", status)
		return
	}
	status = s.serve(w, r, o, doc)
}

// serve answers with doc, or 304/412 when the request's validators say so,
// and returns the status it answered.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, o *Output, doc *rendered) int {
	h := w.Header()
	gz := acceptsGzip(r.Header["Accept-Encoding"])
	etag, alt, tagHeader := doc.etag, doc.etagGz, doc.hETag
	if gz {
		etag, alt, tagHeader = doc.etagGz, doc.etag, doc.hETagGz
	}
	h["Vary"] = varyAE
	h["Etag"] = tagHeader
	if doc.hLastMod != nil {
		h["Last-Modified"] = doc.hLastMod
	}
	if doc.hLink != nil {
		h["Link"] = doc.hLink
	}
	if o.Private() {
		h["Cache-Control"] = s.cacheControlPrivate
	} else {
		h["Cache-Control"] = s.cacheControl
	}
	if status := precondition(r, etag, alt, doc.modTime); status != 0 {
		w.WriteHeader(status)
		return status
	}
	h["Content-Type"] = doc.hType
	body := doc.body
	if gz {
		h["Content-Encoding"] = encodingGz
		h["Content-Length"] = doc.hLenGz
		body = doc.gz
	} else {
		h["Content-Length"] = doc.hLen
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
	return http.StatusOK
}
