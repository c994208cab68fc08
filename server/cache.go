package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/feedgen"
	"github.com/feedmill/feedmill/redact"
)

// DefaultRecheck is how long the server trusts the items version it last
// read: a change committed by another process (a `feedmill fetch`) shows
// within this delay, and a busy server asks the database at most this often.
const DefaultRecheck = 250 * time.Millisecond

// rendered is one output document as served: its bytes, their gzip, and the
// response headers, all computed once per change so that a request costs
// header checks and one write.
type rendered struct {
	version int64
	// expires is when an item of an output with a max_age ages out, which
	// changes the document without changing the items version; zero: never.
	expires time.Time
	body    []byte
	gz      []byte
	modTime time.Time
	etag    string
	etagGz  string
	// Header values, shared read-only by every response.
	hETag, hETagGz, hLastMod, hLen, hLenGz, hType []string
	// hLink names the WebSub hub and the topic (RFC 8288 Link), when the
	// output has a hub; nil otherwise.
	hLink []string
}

func (d *rendered) fresh(version int64, now time.Time) bool {
	return d != nil && d.version == version && (d.expires.IsZero() || now.Before(d.expires))
}

// entry caches the newest page of one output in one format.
type entry struct {
	mu  sync.Mutex // held while rendering, so a change renders once
	doc atomic.Pointer[rendered]
}

// versionCache remembers the database's items version for Recheck.
type versionCache struct {
	mu      sync.Mutex // held by the one request refreshing the version
	value   atomic.Int64
	checked atomic.Int64 // unix nanoseconds of the last read; 0: never
}

// version returns the items version, reading it from the database at most
// once per Recheck. While one request reads it, others use the last value.
func (s *Server) version(ctx context.Context) (int64, error) {
	vc := &s.ver
	now := s.now().UnixNano()
	if last := vc.checked.Load(); last != 0 && now-last < int64(s.cfg.Recheck) {
		return vc.value.Load(), nil
	}
	if !vc.mu.TryLock() {
		if vc.checked.Load() != 0 {
			return vc.value.Load(), nil
		}
		vc.mu.Lock()
	}
	defer vc.mu.Unlock()
	if last := vc.checked.Load(); last != 0 && now-last < int64(s.cfg.Recheck) {
		return vc.value.Load(), nil
	}
	v, err := s.store.ItemsVersion(ctx)
	if err != nil {
		return 0, err
	}
	vc.value.Store(v)
	vc.checked.Store(now)
	return v, nil
}

// document returns the newest page of o in format f, rendering it again
// only when the items changed (in any process) or one aged out.
func (s *Server) document(ctx context.Context, o *Output, f feedgen.Format) (*rendered, error) {
	v, err := s.version(ctx)
	if err != nil {
		return nil, err
	}
	e := s.cache[cacheKey{o.Name, f}]
	if d := e.doc.Load(); d.fresh(v, s.now()) {
		return d, nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	prev := e.doc.Load()
	if prev.fresh(v, s.now()) {
		return prev, nil
	}
	d, err := s.build(ctx, o, f, feedmill.Cursor{}, v)
	if err != nil {
		return nil, err
	}
	// Last-Modified comes from the items' dates, so every process agrees;
	// but when an item leaves the output the newest date can stay or go
	// back, and a client asking only If-Modified-Since must still see the
	// change.
	switch {
	case prev == nil:
	case prev.etag == d.etag:
		d.setModTime(prev.modTime)
	case !d.modTime.After(prev.modTime):
		d.setModTime(s.now())
	}
	e.doc.Store(d)
	if s.cfg.Changed != nil && (prev == nil || prev.etag != d.etag) {
		s.cfg.Changed(Document{Output: o.Name, Format: f, URL: o.URL(f), Private: o.Private(),
			ContentType: f.ContentType(), ETag: d.etag, Body: d.body})
	}
	return d, nil
}

// Document is the newest page of an output in one format, as built by the
// cache and reported to Config.Changed.
type Document struct {
	Output string
	Format feedgen.Format
	// URL is the page's self URL, with the key of a private output.
	URL     string
	Private bool
	// ContentType is the Content-Type the page is served with.
	ContentType string
	// ETag is the strong validator of Body (identity encoding), the same in
	// every process that renders the same items.
	ETag string
	// Body is the document; shared with the cache, so read-only.
	Body []byte
}

// Refresh builds the newest page of every output in every format whose
// items changed since it was last built, so Config.Changed hears of changes
// nobody has requested yet. It returns the first error and carries on.
func (s *Server) Refresh(ctx context.Context) error {
	var first error
	for i := range s.cfg.Outputs {
		for _, f := range feedgen.Formats {
			if _, err := s.document(ctx, &s.cfg.Outputs[i], f); err != nil && first == nil {
				first = fmt.Errorf("output %s (%s): %w", s.cfg.Outputs[i].Name, f, err)
			}
		}
	}
	return first
}

// build selects the items of one page of o and renders them.
func (s *Server) build(ctx context.Context, o *Output, f feedgen.Format, before feedmill.Cursor, version int64) (*rendered, error) {
	now := s.now()
	q := o.page(now, before)
	limit := q.Limit
	q.Limit = limit + 1 // one more tells whether an older page exists
	items, err := s.store.Items(ctx, q)
	if err != nil {
		return nil, err
	}
	out, err := s.withFeedTitles(ctx, o.Output)
	if err != nil {
		return nil, err
	}
	out.Before = before.String()
	if len(items) > limit {
		items = items[:limit]
		out.Next = feedmill.CursorOf(items[limit-1]).String()
	}
	body, err := feedgen.Render(out, items, f)
	if err != nil {
		return nil, err
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(body)
	zw.Close()

	sum := sha256.Sum256(body)
	tag := hex.EncodeToString(sum[:16])
	d := &rendered{version: version, body: body, gz: gz.Bytes(), etag: `"` + tag + `"`, etagGz: `"` + tag + `-gz"`}
	d.hETag, d.hETagGz = []string{d.etag}, []string{d.etagGz}
	d.hLen, d.hLenGz = []string{strconv.Itoa(len(d.body))}, []string{strconv.Itoa(len(d.gz))}
	d.hType = []string{f.ContentType()}
	if o.Hub != "" && before.IsZero() {
		// WebSub discovery looks at Link headers first (section 4).
		d.hLink = []string{"<" + o.Hub + `>; rel="hub", <` + o.URL(f) + `>; rel="self"`}
	}
	var mod time.Time
	for _, it := range items {
		mod = maxTime(mod, it.Published, it.Updated)
		if o.MaxAge > 0 {
			if exp := it.Published.Add(o.MaxAge); d.expires.IsZero() || exp.Before(d.expires) {
				d.expires = exp
			}
		}
	}
	d.setModTime(mod)
	return d, nil
}

func (d *rendered) setModTime(t time.Time) {
	d.modTime = t.UTC().Truncate(time.Second)
	d.hLastMod = nil
	if !t.IsZero() {
		d.hLastMod = []string{d.modTime.Format(http.TimeFormat)}
	}
}

func maxTime(ts ...time.Time) time.Time {
	var m time.Time
	for _, t := range ts {
		if t.After(m) {
			m = t
		}
	}
	return m
}

// withFeedTitles fills in the titles that feeds give themselves where the
// configuration gave none, so entries name their source properly.
func (s *Server) withFeedTitles(ctx context.Context, o feedgen.Output) (feedgen.Output, error) {
	feeds, err := s.store.FeedTitles(ctx)
	if err != nil {
		return o, err
	}
	sources := make(map[string]feedgen.SourceFeed, len(feeds))
	for _, f := range feeds {
		src, configured := s.cfg.Sources[f.Name]
		if src.Title == "" {
			src.Title = f.Title
		}
		if !configured && (strings.HasPrefix(f.URL, "http://") || strings.HasPrefix(f.URL, "https://")) {
			src.URL = f.URL
		}
		// A feed's URL may carry credentials; entries are public.
		src.URL = redact.URL(src.URL)
		sources[f.Name] = src
	}
	o.Sources = sources
	return o, nil
}
