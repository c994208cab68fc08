package server

import (
	"bytes"
	"compress/gzip"
	"context"
	_ "embed"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/feedgen"
	"github.com/feedmill/feedmill/redact"
)

// Status page settings.
const (
	// StatusDays is how many days the status page charts.
	StatusDays = 30
	// statusTTL is how long a rendered status page is served while the
	// items do not change: feed statuses change without them (a failed
	// poll), and the page says "3m ago".
	statusTTL = 5 * time.Second
	// topicNewest is how many of a topic's newest items the page lists.
	topicNewest = 5
)

// Topic is a configured topic as the status page names it.
type Topic struct {
	Name  string
	Title string
}

//go:embed status.html
var statusHTML string

var statusTmpl = template.Must(template.New("status").Parse(statusHTML))

// statusCache holds the last rendered status page.
type statusCache struct {
	mu   sync.Mutex // held while rendering, so a change renders once
	page atomic.Pointer[statusRendered]
}

type statusRendered struct {
	version int64
	at      time.Time
	body    []byte
	gz      []byte
}

// handleStatus serves the status page, rendered at most once per change of
// the items and per statusTTL, however many requests ask; while it is
// rendered again, requests get the previous one.
func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	page, err := s.statusPage(r.Context())
	if err != nil {
		s.log.Error("status page", "err", err)
		http.Error(w, "database unavailable, see the server log", http.StatusServiceUnavailable)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	// The page has no script, style or image from anywhere: say so, so a
	// browser refuses any that an injection would smuggle in.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h["Vary"] = varyAE
	body := page.body
	// The charts repeat the same markup a thousand times: gzip makes the
	// page several times smaller.
	if acceptsGzip(r.Header["Accept-Encoding"]) {
		h["Content-Encoding"] = encodingGz
		body = page.gz
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

func (s *Server) statusPage(ctx context.Context) (*statusRendered, error) {
	v, err := s.version(ctx)
	if err != nil {
		return nil, err
	}
	fresh := func(p *statusRendered) bool {
		return p != nil && p.version == v && s.now().Sub(p.at) < statusTTL
	}
	c := &s.status
	last := c.page.Load()
	if fresh(last) {
		return last, nil
	}
	// One request renders; while it does, the others get the last page
	// rather than wait (a rendering reads every day's counts).
	if !c.mu.TryLock() {
		if last != nil {
			return last, nil
		}
		c.mu.Lock()
	}
	defer c.mu.Unlock()
	if p := c.page.Load(); fresh(p) {
		return p, nil
	}
	data, err := s.statusData(ctx)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := statusTmpl.Execute(&buf, data); err != nil {
		return nil, err
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.DefaultCompression)
	zw.Write(buf.Bytes())
	if err := zw.Close(); err != nil {
		return nil, err
	}
	p := &statusRendered{version: v, at: s.now(), body: buf.Bytes(), gz: gz.Bytes()}
	c.page.Store(p)
	return p, nil
}

// statusView is what the template shows.
type statusView struct {
	Generated timeView
	Days      int
	Summary   map[string]int
	Feeds     []feedView
	Topics    []topicView
	Outputs   []outputView
}

type feedView struct {
	Name, Title, Link, URL string
	// Status is ok, failing, disabled or pending (never fetched).
	Status, StatusText string
	Error              string
	LastFetch, Next    timeView
	Items              int
	Chart              chart
}

type topicView struct {
	Name, Title string
	Items       int
	Chart       chart
	Newest      []itemView
}

type itemView struct {
	Title, Link string
	Published   timeView
	// Related counts the other items of its story.
	Related int
}

type outputView struct {
	Name, Title         string
	Private             bool
	RSS, Atom, JSON     string
	Readers             int
	ReadersKnown        bool
	Topics, Description string
}

// timeView is a time as the page prints it: machine-readable, absolute
// and relative to the page's time.
type timeView struct {
	ISO, Text, Rel string
}

func (s *Server) statusData(ctx context.Context) (*statusView, error) {
	now := s.now().UTC()
	start := dayStart(now, StatusDays)
	feeds, err := s.store.Feeds(ctx)
	if err != nil {
		return nil, err
	}
	feedDaily, err := s.store.FeedDaily(ctx, start, StatusDays)
	if err != nil {
		return nil, err
	}
	topicDaily, err := s.store.TopicDaily(ctx, start, StatusDays)
	if err != nil {
		return nil, err
	}
	topicCounts, err := s.store.TopicCounts(ctx)
	if err != nil {
		return nil, err
	}
	counts := func(d map[string][]int, name string) []int {
		if c := d[name]; len(c) == StatusDays {
			return c
		}
		return make([]int, StatusDays)
	}
	v := &statusView{Generated: at(now, now), Days: StatusDays, Summary: map[string]int{}}
	known := map[string]bool{}
	for _, f := range feeds {
		known[f.Name] = true
		fv := feedView{Name: f.Name, Title: f.Title, Link: webLink(f.SiteURL), URL: webLink(redact.URL(f.URL)),
			Status: f.Status, Error: redact.Text(f.LastError), LastFetch: at(f.LastFetch, now), Items: f.Items,
			Chart: newChart(counts(feedDaily, f.Name), start)}
		if src, ok := s.cfg.Sources[f.Name]; ok && src.Title != "" {
			fv.Title = src.Title
		}
		switch f.Status {
		case feedmill.StatusOK:
			fv.StatusText = "ok"
		case feedmill.StatusFailing:
			fv.StatusText = "failing"
			if !f.FailingSince.IsZero() {
				fv.StatusText += " since " + at(f.FailingSince, now).Rel
			}
		case feedmill.StatusDisabled:
			fv.StatusText = "disabled (gone)"
		default:
			fv.Status, fv.StatusText = "pending", "not fetched yet"
		}
		fv.Next = nextView(f, now)
		v.Feeds = append(v.Feeds, fv)
	}
	// Configured feeds not polled yet have no row in the database.
	for _, name := range sortedKeys(s.cfg.Sources) {
		if !known[name] {
			src := s.cfg.Sources[name]
			v.Feeds = append(v.Feeds, feedView{Name: name, Title: src.Title, URL: webLink(redact.URL(src.URL)),
				Status: "pending", StatusText: "not fetched yet", Next: timeView{Text: "at the next poll"},
				LastFetch: timeView{Text: "never"}, Chart: newChart(make([]int, StatusDays), start)})
		}
	}
	slices.SortFunc(v.Feeds, func(a, b feedView) int { return strings.Compare(a.Name, b.Name) })
	for _, f := range v.Feeds {
		v.Summary[f.Status]++
	}
	for _, t := range s.cfg.Topics {
		tv := topicView{Name: t.Name, Title: t.Title, Items: topicCounts[t.Name],
			Chart: newChart(counts(topicDaily, t.Name), start)}
		if tv.Title == "" {
			tv.Title = t.Name
		}
		// A story told by several feeds is listed once.
		items, err := s.store.Items(ctx, feedmill.ItemQuery{Topics: []string{t.Name}, Limit: topicNewest, OnePerStory: true})
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			tv.Newest = append(tv.Newest, itemView{Title: it.Title, Link: webLink(it.Link), Published: at(it.Published, now),
				Related: len(it.Related)})
		}
		v.Topics = append(v.Topics, tv)
	}
	for _, o := range s.cfg.Outputs {
		ov := outputView{Name: o.Name, Title: o.Title, Private: o.Private(), Description: o.Description}
		if ov.Title == "" {
			ov.Title = o.Name
		}
		// A private output's URLs carry its key: never on this public page.
		if !ov.Private {
			ov.RSS, ov.Atom, ov.JSON = o.PublicURL(feedgen.RSS), o.PublicURL(feedgen.Atom), o.PublicURL(feedgen.JSON)
		}
		if s.cfg.Readers != nil {
			ov.Readers, ov.ReadersKnown = s.cfg.Readers(o.Name)
		}
		v.Outputs = append(v.Outputs, ov)
	}
	return v, nil
}

// nextView says when a feed is polled next.
func nextView(f feedmill.FeedState, now time.Time) timeView {
	switch {
	case f.Status == feedmill.StatusDisabled:
		return timeView{Text: "not scheduled (manual fetch only)"}
	case f.NextCheck.IsZero() || !f.NextCheck.After(now):
		return timeView{Text: "at the next tick"}
	}
	return at(f.NextCheck, now)
}

// at formats t for the page; "never" when zero.
func at(t, now time.Time) timeView {
	if t.IsZero() {
		return timeView{Text: "never"}
	}
	t = t.UTC()
	return timeView{ISO: t.Format(time.RFC3339), Text: t.Format("2006-01-02 15:04 MST"), Rel: relative(t, now)}
}

// relative says "5m ago" or "in 2h".
func relative(t, now time.Time) string {
	d := now.Sub(t)
	suffix, prefix := " ago", ""
	if d < 0 {
		d, suffix, prefix = -d, "", "in "
	}
	var n string
	switch {
	case d < time.Minute:
		n = strconv.Itoa(int(d.Seconds())) + "s"
	case d < time.Hour:
		n = strconv.Itoa(int(d.Minutes())) + "m"
	case d < 48*time.Hour:
		n = strconv.Itoa(int(d.Hours())) + "h"
	default:
		n = strconv.Itoa(int(d.Hours()/24)) + "d"
	}
	return prefix + n + suffix
}

// webLink returns u when it is an absolute http or https URL, else "": a
// feed's own links are untrusted, and only web links become hrefs.
func webLink(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	return p.String()
}

// dayStart is midnight UTC of the first of days days ending today, as
// storage counts them.
func dayStart(now time.Time, days int) time.Time {
	y, m, d := now.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -(days - 1))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
