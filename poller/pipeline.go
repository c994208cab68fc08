// Package poller runs feedmill's ingest pipeline: it fetches feeds, skips
// what is already stored, normalizes and tags the rest, and stores each
// feed's batch in one transaction. It also owns the schedule: the
// robfig/cron/v3 clock that polls every feed on its own schedule.
package poller

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/fetcher"
	"github.com/feedmill/feedmill/normalize"
	"github.com/feedmill/feedmill/redact"
	"github.com/feedmill/feedmill/topics"
)

// Store is what the pipeline needs of the database.
type Store interface {
	KnownHashes(ctx context.Context, feed string, keys []string) (map[string]string, error)
	Ingest(ctx context.Context, b feedmill.Batch) (feedmill.IngestResult, error)
	FetchState(ctx context.Context, feed, url string) (feedmill.FetchState, error)
	RecordPoll(ctx context.Context, b feedmill.Batch) error
}

// Claimer is a Store shared by several processes: a feed due for a poll
// is claimed first, so that exactly one of them polls it (see
// feedmill.Claim). The claim is released when the poll is recorded.
type Claimer interface {
	Claim(ctx context.Context, c feedmill.Claim) (bool, error)
}

// FullText fetches an article's page and returns its main content as
// sanitized HTML.
type FullText interface {
	Extract(ctx context.Context, link string) (string, error)
}

// Fetcher fetches and parses one feed document, conditionally on what the
// previous poll remembered.
type Fetcher interface {
	Fetch(ctx context.Context, url string, prev feedmill.FetchState) (*fetcher.Result, error)
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
	// Policy decides when the feed is due again.
	Policy Policy
	// FullContent fetches each new item's page for its full text.
	FullContent bool
}

// Pipeline fetches, normalizes, tags and stores feeds.
type Pipeline struct {
	Store      Store
	Fetcher    Fetcher
	Normalizer *normalize.Normalizer
	Topics     *topics.Set
	Log        *slog.Logger
	// Archive, when set, keeps the raw body of every fetch that stored
	// something, for replay.
	Archive *Archiver
	// FullText extracts articles from their pages, for feeds with
	// FullContent.
	FullText FullText
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Owner names this process in the feed leases it takes, and Lease is
	// how long a lease lasts when its process dies mid-poll. When Lease is
	// positive and the Store is a Claimer, PollIfDue claims each feed
	// before polling it, so several processes sharing the database split
	// the feeds instead of each polling all of them.
	Owner string
	Lease time.Duration
	// Observer, when set, is told of every poll that ran (not of the
	// feeds skipped as not due), for metrics.
	Observer Observer
}

// Observer is told of the outcome of every poll. Polled is called from the
// goroutine of the poll, so it must be safe for concurrent use.
type Observer interface {
	Polled(Report)
}

// Report is the outcome of polling one feed.
type Report struct {
	Feed     string
	Result   feedmill.IngestResult
	Err      error
	Duration time.Duration
	Bytes    int
	Status   int
	// NotModified is true when the server answered 304 or sent the same
	// document as last time, so nothing was parsed.
	NotModified bool
	// Skipped is true when the feed was not due (PollIfDue).
	Skipped bool
}

// Outcome is the poll's result as one of the feedmill.Outcome constants:
// ok, not_modified, failed or gone.
func (r Report) Outcome() string {
	switch {
	case errors.Is(r.Err, feedmill.ErrGone):
		return feedmill.OutcomeGone
	case r.Err != nil:
		return feedmill.OutcomeFailed
	case r.NotModified:
		return feedmill.OutcomeNotModified
	}
	return feedmill.OutcomeOK
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

// Poll fetches one feed now, whether due or not, and stores what is new.
// Its error, if any, is in the Report and recorded as the feed's state.
func (p *Pipeline) Poll(ctx context.Context, f Feed) Report {
	return p.run(ctx, f, true)
}

// PollIfDue polls f only when it is due: not disabled, and past the next
// check time its last poll set. Report.Skipped tells when it was not.
func (p *Pipeline) PollIfDue(ctx context.Context, f Feed) Report {
	return p.run(ctx, f, false)
}

func (p *Pipeline) run(ctx context.Context, f Feed, force bool) Report {
	start := p.now()
	rep := Report{Feed: f.Name}
	if claimer, ok := p.Store.(Claimer); ok && !force && p.Lease > 0 {
		// Due or not is decided by the claim, against the state other
		// processes stored; once per round, so processes ticking a moment
		// apart, or one lagging behind, poll a feed once per round.
		claimed, err := claimer.Claim(ctx, feedmill.Claim{Feed: f.Name, URL: f.URL, Owner: p.Owner, Now: start,
			Lease: p.Lease, Since: roundStart(start, f.Policy.Period)})
		if err != nil {
			rep.Err = err
			return rep
		}
		if !claimed {
			rep.Skipped = true
			return rep
		}
	}
	prev, err := p.Store.FetchState(ctx, f.Name, f.URL)
	if err != nil {
		rep.Err = err
		return rep
	}
	if !force && (prev.Disabled || start.Before(prev.NextCheck)) {
		rep.Skipped = true
		return rep
	}
	stored, unchanged := p.poll(ctx, f, prev, &rep)
	rep.Duration = p.now().Sub(start)
	if ctx.Err() != nil && rep.Err != nil {
		return rep // shutting down: the poll did not happen, record nothing
	}
	if !stored {
		// No items stored: record the poll itself (not modified, failed).
		p.recordWithoutItems(ctx, f, prev, unchanged, &rep)
	}
	lvl := slog.LevelInfo
	if rep.Err != nil {
		lvl = slog.LevelWarn
	}
	p.log().Log(ctx, lvl, "fetch", "feed", f.Name, "status", rep.Status, "duration", rep.Duration.Round(time.Millisecond).String(),
		"bytes", rep.Bytes, "new", rep.Result.New, "merged", rep.Result.Merged, "updated", rep.Result.Updated,
		"seen", rep.Result.Seen, "not_modified", rep.NotModified, "err", rep.Err)
	if p.Observer != nil {
		p.Observer.Polled(rep)
	}
	return rep
}

// poll fetches and stores. It reports whether items were stored; when the
// document was not modified, unchanged is the state to remember.
func (p *Pipeline) poll(ctx context.Context, f Feed, prev feedmill.FetchState, rep *Report) (stored bool, unchanged *feedmill.FetchState) {
	fetch := p.Fetcher
	if f.Fetcher != nil {
		fetch = f.Fetcher
	}
	url := f.URL
	if prev.MovedTo != "" {
		url = prev.MovedTo
	}
	res, err := fetch.Fetch(ctx, url, prev)
	if err != nil {
		rep.Err = err
		return false, nil
	}
	rep.Bytes, rep.Status = res.Bytes, res.Status
	now := p.now().UTC()
	st := res.State
	st.MovedTo = prev.MovedTo
	if res.MovedTo != "" && res.MovedTo != url {
		st.MovedTo = res.MovedTo
		p.log().Warn("feed moved permanently", "feed", f.Name, "url", redact.URL(f.URL), "moved_to", redact.URL(res.MovedTo))
	}
	if res.NotModified {
		rep.NotModified = true
		st.Rate = publishRate(prev.Rate, prev.LastSuccess, now, 0)
		st.NextCheck = f.Policy.afterSuccess(now, res.Hints, st.Rate)
		return false, &st
	}
	batch, fresh, err := p.prepare(ctx, f, res)
	if err != nil {
		rep.Err = err
		return false, nil
	}
	if prev.Rate < 0 {
		// Unknown so far: the dates of the document's items tell.
		prev.Rate = documentRate(res.Feed, now)
	}
	st.Rate = publishRate(prev.Rate, prev.LastSuccess, now, fresh)
	st.NextCheck = f.Policy.afterSuccess(now, res.Hints, st.Rate)
	batch.State = st
	batch.Duration, batch.Bytes = p.now().Sub(now), res.Bytes
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	rep.Result, rep.Err = p.Store.Ingest(sctx, batch)
	if rep.Err != nil {
		return false, nil
	}
	p.Archive.Add(feedmill.RawBody{Feed: f.Name, URL: res.URL, At: batch.FetchedAt, ContentType: res.ContentType, Gzip: res.Body})
	return true, nil
}

// recordWithoutItems records a poll that stored no items: not modified, or
// failed, with the backoff that follows a failure.
func (p *Pipeline) recordWithoutItems(ctx context.Context, f Feed, prev feedmill.FetchState, unchanged *feedmill.FetchState, rep *Report) {
	now := p.now().UTC()
	b := feedmill.Batch{Feed: f.Name, URL: f.URL, FetchedAt: now, HTTPStatus: rep.Status,
		Duration: rep.Duration, Bytes: rep.Bytes, Outcome: feedmill.OutcomeNotModified}
	if rep.Err == nil && unchanged != nil {
		b.State = *unchanged
	} else {
		// Keep the validators and the body hash; count the failure.
		st := prev
		st.Failures++
		if st.FailingSince.IsZero() {
			st.FailingSince = now
		}
		var retryAfter time.Duration
		var rl *feedmill.RateLimitedError
		var se *fetcher.StatusError
		switch {
		case errors.As(rep.Err, &rl):
			retryAfter, b.HTTPStatus = rl.RetryAfter, rl.Status
		case errors.As(rep.Err, &se):
			b.HTTPStatus = se.Code
		}
		st.NextCheck = f.Policy.afterFailure(now, f.Name, st.Failures, retryAfter)
		b.Outcome, b.Error = feedmill.OutcomeFailed, rep.Err.Error()
		if errors.Is(rep.Err, feedmill.ErrGone) {
			b.Outcome, b.HTTPStatus = feedmill.OutcomeGone, 410
			p.log().Warn("feed is gone (HTTP 410): disabled until a manual fetch succeeds", "feed", f.Name, "url", redact.URL(f.URL))
		}
		b.State = st
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	if err := p.Store.RecordPoll(sctx, b); err != nil {
		p.log().Error("record poll", "feed", f.Name, "err", err)
		if rep.Err == nil {
			rep.Err = err
		}
	}
}

// Prepare turns a fetched document into the batch to store: items already
// stored unchanged are skipped before the expensive normalization, the rest
// are normalized and tagged.
func (p *Pipeline) Prepare(ctx context.Context, f Feed, res *fetcher.Result) (feedmill.Batch, error) {
	b, _, err := p.prepare(ctx, f, res)
	return b, err
}

// prepare is Prepare, also counting the items whose key the feed never
// carried before (the new items, for the publishing rate).
func (p *Pipeline) prepare(ctx context.Context, f Feed, res *fetcher.Result) (feedmill.Batch, int, error) {
	now := p.now().UTC()
	doc := res.Feed
	// Identities first (cheap), to ask the store what it already has;
	// only new or changed items are sanitized and tagged.
	d := p.Normalizer.Identify(f.Name, doc, f.URL)
	known, err := p.Store.KnownHashes(ctx, f.Name, d.Keys())
	if err != nil {
		return feedmill.Batch{}, 0, err
	}
	seen := 0
	var deleted []string
	var seenBy feedmill.DedupCounts
	items := d.Items(now, func(key, hash string) bool {
		h, ok := known[key]
		switch {
		case ok && h == feedmill.DeletedHash:
			deleted = append(deleted, key)
		case !ok || h != hash:
			return false
		}
		seen++
		seenBy.AddKey(key)
		return true
	})
	title := f.Title
	if title == "" {
		title = normalize.Title(doc.Title)
	}
	if f.FullContent && p.FullText != nil {
		p.fetchFullText(ctx, f, items, known)
	}
	lang := doc.Language
	for i := range items {
		p.tag(f, lang, &items[i])
	}
	fresh := 0
	for _, it := range items {
		if _, stored := known[it.Key]; !stored {
			fresh++
		}
	}
	return feedmill.Batch{Feed: f.Name, URL: f.URL, Title: title, SiteURL: doc.Link, FetchedAt: now,
		Items: items, Seen: seen, SeenDedup: seenBy, Deleted: deleted, State: res.State, HTTPStatus: res.Status}, fresh, nil
}

// fullTextWorkers is how many article pages of one feed are fetched at a
// time (the fetcher's per-host limit applies on top).
const fullTextWorkers = 2

// fetchFullText fetches the article page of every new item (not of items
// that changed: their text was fetched when they were new). A failure
// leaves the feed's summary in place.
func (p *Pipeline) fetchFullText(ctx context.Context, f Feed, items []feedmill.Item, known map[string]string) {
	sem := make(chan struct{}, fullTextWorkers)
	var wg sync.WaitGroup
	for i := range items {
		it := &items[i]
		if _, stored := known[it.Key]; stored || it.Link == "" {
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Go(func() {
			defer func() { <-sem }()
			full, err := p.FullText.Extract(ctx, it.Link)
			if err != nil {
				p.log().Info("full text unavailable, keeping the summary", "feed", f.Name, "url", it.Link, "err", err)
				return
			}
			it.FullContent = full
		})
	}
	wg.Wait()
}

// tag sets the text, language and topics of an item.
func (p *Pipeline) tag(f Feed, lang string, it *feedmill.Item) {
	it.Text = normalize.Text(it.Content)
	if it.FullContent != "" {
		it.Text = normalize.Text(it.FullContent)
	}
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

// Replay re-runs normalization, tagging and storage over a kept raw body,
// as if it had just been fetched, but rewriting every item it carries:
// a fix in the pipeline then reaches what was already stored.
func (p *Pipeline) Replay(ctx context.Context, f Feed, raw feedmill.RawBody) (feedmill.IngestResult, error) {
	zr, err := gzip.NewReader(bytes.NewReader(raw.Gzip))
	if err != nil {
		return feedmill.IngestResult{}, fmt.Errorf("replay %s: %w", f.Name, err)
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		return feedmill.IngestResult{}, fmt.Errorf("replay %s: %w", f.Name, err)
	}
	doc, err := fetcher.ParseContent(body, raw.ContentType)
	if err != nil {
		return feedmill.IngestResult{}, fmt.Errorf("replay %s: %w", f.Name, err)
	}
	d := p.Normalizer.Identify(f.Name, doc, f.URL)
	items := d.Items(raw.At, nil)
	for i := range items {
		p.tag(f, doc.Language, &items[i])
	}
	return p.Store.Ingest(ctx, feedmill.Batch{Feed: f.Name, URL: f.URL, FetchedAt: raw.At, Items: items, Replay: true})
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
	p.each(ctx, feeds, concurrency, p.Poll, report)
}

// PollAllDue is PollAll for the feeds that are due (see PollIfDue).
func (p *Pipeline) PollAllDue(ctx context.Context, feeds []Feed, concurrency int, report func(Report)) {
	p.each(ctx, feeds, concurrency, p.PollIfDue, report)
}

func (p *Pipeline) each(ctx context.Context, feeds []Feed, concurrency int, poll func(context.Context, Feed) Report, report func(Report)) {
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
			rep := poll(ctx, f)
			if report != nil {
				mu.Lock()
				report(rep)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

// roundStart is the start of the schedule round that now is in: the last
// multiple of period (the ticks of an "@every" schedule; those of a cron
// expression with a regular period, such as every 15 minutes, too), but
// never later than half a period ago, so that a round's claim also keeps
// a process whose ticks do not fall on multiples from polling again at
// once. Zero when the period is unknown.
func roundStart(now time.Time, period time.Duration) time.Time {
	if period <= 0 {
		return time.Time{}
	}
	return minTime(now.Truncate(period), now.Add(-period/2))
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
