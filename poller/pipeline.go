// Package poller runs feedmill's ingest pipeline: it fetches feeds, skips
// what is already stored, normalizes and tags the rest, and stores each
// feed's batch in one transaction. It also owns the schedule: the
// robfig/cron/v3 clock that polls every feed on its own schedule.
package poller

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/fetcher"
	"github.com/feedmill/feedmill/normalize"
	"github.com/feedmill/feedmill/topics"
)

// Store is what the pipeline needs of the database.
type Store interface {
	KnownHashes(ctx context.Context, feed string, keys []string) (map[string]string, error)
	Ingest(ctx context.Context, b feedmill.Batch) (feedmill.IngestResult, error)
	RecordFailure(ctx context.Context, feed, url string, at time.Time, err error) error
}

// Fetcher fetches and parses one feed document.
type Fetcher interface {
	Fetch(ctx context.Context, url string) (*fetcher.Result, error)
}

// Feed is one feed to poll.
type Feed struct {
	Name     string
	URL      string
	Schedule string
	// Title, when set, replaces the title the feed gives itself.
	Title string
	// Tags are the feed's static labels, matched by tag: in topics.
	Tags []string
	// Fetcher overrides the pipeline's fetcher for this feed (its own
	// timeout, size cap or User-Agent); nil uses the default.
	Fetcher Fetcher
}

// Pipeline fetches, normalizes, tags and stores feeds.
type Pipeline struct {
	Store      Store
	Fetcher    Fetcher
	Normalizer *normalize.Normalizer
	Topics     *topics.Set
	Log        *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Report is the outcome of polling one feed.
type Report struct {
	Feed     string
	Result   feedmill.IngestResult
	Err      error
	Duration time.Duration
	Bytes    int
	Status   int
}

// storeTimeout bounds the write of a batch that has been fetched; the
// write runs even while the daemon shuts down, so a fetched batch is
// stored whole or not at all, never half.
const storeTimeout = 30 * time.Second

func (p *Pipeline) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Pipeline) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Poll fetches one feed and stores what is new. Its error, if any, is in
// the Report and recorded as the feed's state.
func (p *Pipeline) Poll(ctx context.Context, f Feed) Report {
	start := p.now()
	rep := Report{Feed: f.Name}
	rep.Result, rep.Bytes, rep.Status, rep.Err = p.poll(ctx, f)
	rep.Duration = p.now().Sub(start)
	if rep.Err != nil && ctx.Err() == nil {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
		if err := p.Store.RecordFailure(sctx, f.Name, f.URL, p.now(), rep.Err); err != nil {
			p.log().Error("record failure", "feed", f.Name, "err", err)
		}
		cancel()
	}
	lvl := slog.LevelInfo
	if rep.Err != nil {
		lvl = slog.LevelWarn
	}
	p.log().Log(ctx, lvl, "fetch", "feed", f.Name, "status", rep.Status, "duration", rep.Duration.Round(time.Millisecond).String(),
		"bytes", rep.Bytes, "new", rep.Result.New, "merged", rep.Result.Merged, "updated", rep.Result.Updated,
		"seen", rep.Result.Seen, "err", rep.Err)
	return rep
}

func (p *Pipeline) poll(ctx context.Context, f Feed) (feedmill.IngestResult, int, int, error) {
	fetch := p.Fetcher
	if f.Fetcher != nil {
		fetch = f.Fetcher
	}
	res, err := fetch.Fetch(ctx, f.URL)
	if err != nil {
		return feedmill.IngestResult{}, 0, 0, err
	}
	batch, err := p.Prepare(ctx, f, res)
	if err != nil {
		return feedmill.IngestResult{}, res.Bytes, res.Status, err
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	out, err := p.Store.Ingest(sctx, batch)
	return out, res.Bytes, res.Status, err
}

// Prepare turns a fetched document into the batch to store: items already
// stored unchanged are skipped before the expensive normalization, the rest
// are normalized and tagged.
func (p *Pipeline) Prepare(ctx context.Context, f Feed, res *fetcher.Result) (feedmill.Batch, error) {
	now := p.now().UTC()
	doc := res.Feed
	// Identities first (cheap), to ask the store what it already has;
	// only new or changed items are sanitized and tagged.
	d := p.Normalizer.Identify(f.Name, doc, f.URL)
	known, err := p.Store.KnownHashes(ctx, f.Name, d.Keys())
	if err != nil {
		return feedmill.Batch{}, err
	}
	seen := 0
	items := d.Items(now, func(key, hash string) bool {
		if h, ok := known[key]; ok && h == hash {
			seen++
			return true
		}
		return false
	})
	title := f.Title
	if title == "" {
		title = normalize.Title(doc.Title)
	}
	lang := doc.Language
	for i := range items {
		p.tag(f, lang, &items[i])
	}
	return feedmill.Batch{Feed: f.Name, URL: f.URL, Title: title, SiteURL: doc.Link, FetchedAt: now,
		Items: items, Seen: seen}, nil
}

// tag sets the text, language and topics of an item.
func (p *Pipeline) tag(f Feed, lang string, it *feedmill.Item) {
	it.Text = normalize.Text(it.Content)
	it.Lang = lang
	it.Topics, it.Matches = it.Topics[:0], it.Matches[:0]
	if p.Topics == nil {
		return
	}
	it.Matches = Tag(p.Topics, it, f.Tags)
	for _, m := range it.Matches {
		it.Topics = append(it.Topics, m.Topic)
	}
}

// Tag matches an item, whose Text and Lang are set, against set; tags are
// the static tags of the item's feed. The item's Feed names that feed.
func Tag(set *topics.Set, it *feedmill.Item, tags []string) []feedmill.TopicMatch {
	doc := &topics.Doc{
		Title:      it.Title,
		Text:       it.Text,
		Feed:       it.Feed,
		Author:     it.Author,
		Link:       it.Link,
		Lang:       it.Lang,
		Categories: it.Categories,
		Tags:       tags,
	}
	ms := set.Match(doc)
	if len(ms) == 0 {
		return nil
	}
	n := 0
	for _, m := range ms {
		n += len(m.Hits)
	}
	// Two allocations, whatever the number of matches.
	out := make([]feedmill.TopicMatch, len(ms))
	all := make([]feedmill.Hit, 0, n)
	for i, m := range ms {
		start := len(all)
		for _, h := range m.Hits {
			all = append(all, feedmill.Hit{Term: h.Term, Field: h.Field})
		}
		out[i] = feedmill.TopicMatch{Topic: m.Topic, Hits: all[start:len(all):len(all)]}
	}
	return out
}

// PollAll polls feeds concurrently, at most concurrency at a time, and
// calls report (from one goroutine at a time) as each finishes.
func (p *Pipeline) PollAll(ctx context.Context, feeds []Feed, concurrency int, report func(Report)) {
	if concurrency < 1 {
		concurrency = 1
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, concurrency)
	for _, f := range feeds {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Go(func() {
			defer func() { <-sem }()
			rep := p.Poll(ctx, f)
			if report != nil {
				mu.Lock()
				report(rep)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}
