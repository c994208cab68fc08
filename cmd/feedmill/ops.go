package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feedmill/feedmill/metrics"
	"github.com/feedmill/feedmill/poller"
	"github.com/feedmill/feedmill/readers"
	"github.com/feedmill/feedmill/server"
)

// ops is what the daemon's operations endpoints are wired to: metrics,
// reader counts and the scheduler of the current configuration.
type ops struct {
	metrics *metrics.Metrics
	readers *readers.Counter
	// sched is the scheduler of the running configuration; nil between two.
	sched atomic.Pointer[poller.Scheduler]
	// reloadingFrom, while a reload is applied, is the scheduler it
	// replaces: /healthz reports "reloading" until a new one runs.
	reloadingFrom atomic.Pointer[poller.Scheduler]
}

// newOps builds the metrics and the reader counter, restoring the reader
// counts the database kept.
func newOps(ctx context.Context, a *app, log *slog.Logger) *ops {
	o := &ops{readers: readers.NewCounter(readers.Options{})}
	if err := o.readers.Load(ctx, a.db, time.Now()); err != nil {
		log.Warn("reader counts not restored", "err", err)
	}
	o.metrics = metrics.New(metrics.Options{Store: a.db, Readers: o.readers.Counts, Log: log,
		StoryCount: func(ctx context.Context) (int, error) {
			n, err := a.db.StoryCount(ctx)
			return int(n), err
		},
		LastTick: func() time.Time {
			if s := o.sched.Load(); s != nil {
				return s.LastTick()
			}
			return time.Time{}
		},
		Retention: func(ctx context.Context) (metrics.RetentionStats, error) {
			st, err := a.db.PruneStats(ctx)
			return metrics.RetentionStats{ItemsPruned: st.ItemsPruned, LastPrune: st.LastPrune,
				Tombstones: st.Tombstones, Items: st.Items}, err
		}})
	return o
}

// health reports whether the current scheduler ticked on time, or
// server.ErrReloading while a reload replaces it.
func (o *ops) health(now time.Time) error {
	s := o.sched.Load()
	if from := o.reloadingFrom.Load(); from != nil {
		if s == nil || s == from || !s.Running() {
			return server.ErrReloading
		}
		o.reloadingFrom.CompareAndSwap(from, nil)
	}
	if s == nil {
		return errors.New("scheduler not running")
	}
	return s.Health(now)
}

// observe counts one request of an output in the metrics, and in the
// readers when it was answered with the feed (200) or told it had not
// changed (304): a 404 for a private output asked without its key, or a
// 400, is no reader.
func (o *ops) observe(r server.Request) {
	o.metrics.Served(r.Output, r.Format, r.Status)
	if r.Status == http.StatusOK || r.Status == http.StatusNotModified {
		o.readers.Record(r.Output, r.Format, r.UserAgent, r.RemoteAddr, time.Now())
	}
}

// wire sets the operations hooks of a server config for a's current
// configuration, and the reader counts its status page shows.
func (o *ops) wire(runCtx context.Context, sc *server.Config, a *app) {
	sc.Ops = o.server(runCtx, a)
	sc.Readers = func(output string) (int, bool) {
		c := o.readers.Readers(output, time.Now())
		return c.Total(), c.Total() > 0
	}
}

// server returns the hooks of a server for a's current configuration.
// Fetches run in runCtx (a client going away does not cancel them; the
// daemon stopping does).
func (o *ops) server(runCtx context.Context, a *app) server.Ops {
	pipeline, feeds, concurrency := a.pipeline, a.feeds, a.cfg.Concurrency
	return server.Ops{
		Health:   o.health,
		Metrics:  o.metrics.Handler(),
		Observe:  o.observe,
		APIToken: a.cfg.APIToken,
		Fetch: func(ctx context.Context, names []string) ([]server.FetchResult, error) {
			selected, missing := pickFeeds(feeds, names)
			if missing != "" {
				return nil, fmt.Errorf("%w: %q", server.ErrUnknownFeed, missing)
			}
			ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
			defer cancel()
			defer context.AfterFunc(runCtx, cancel)()
			var mu sync.Mutex
			var out []server.FetchResult
			pipeline.PollAll(ctx, selected, concurrency, func(r poller.Report) {
				res := server.FetchResult{Feed: r.Feed, Result: r.Outcome(), New: r.Result.New, Merged: r.Result.Merged,
					Updated: r.Result.Updated, Seen: r.Result.Seen, HTTPStatus: r.Status, DurationMS: r.Duration.Milliseconds()}
				if r.Err != nil {
					res.Error = r.Err.Error()
				}
				mu.Lock()
				out = append(out, res)
				mu.Unlock()
			})
			return out, nil
		},
	}
}

// saveReaders writes the changed reader counts every minute until ctx
// ends, then once more.
func (o *ops) saveReaders(ctx context.Context, a *app, log *slog.Logger) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := o.readers.Save(sctx, a.db); err != nil {
				log.Warn("saving reader counts", "err", err)
			}
			return
		case <-t.C:
			if err := o.readers.Save(ctx, a.db); err != nil {
				log.Warn("saving reader counts", "err", err)
			}
		}
	}
}

// pickFeeds returns the named feeds, or all when names is empty; missing
// is the first name that is no feed.
func pickFeeds(feeds []poller.Feed, names []string) (picked []poller.Feed, missing string) {
	if len(names) == 0 {
		return feeds, ""
	}
	for _, n := range names {
		i := slices.IndexFunc(feeds, func(f poller.Feed) bool { return f.Name == n })
		if i < 0 {
			return nil, n
		}
		picked = append(picked, feeds[i])
	}
	return picked, ""
}
