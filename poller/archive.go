package poller

import (
	"bytes"
	"compress/gzip"
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/feedmill/feedmill"
)

// RawStore keeps raw bodies for replay.
type RawStore interface {
	SaveRaw(ctx context.Context, r feedmill.RawBody) error
	PruneRaw(ctx context.Context, before time.Time) (int64, error)
}

// Archiver keeps the raw body of every fetch that changed something, for
// `feedmill replay`. Compressing a body costs about as much as parsing it,
// so it happens off the ingest path, in the archiver's own goroutine; a
// body that arrives while the queue is full is dropped (and logged), never
// waited for.
type Archiver struct {
	store RawStore
	keep  time.Duration
	log   *slog.Logger
	queue chan feedmill.RawBody
	wg    sync.WaitGroup
	once  sync.Once
}

// NewArchiver returns an archiver keeping bodies for keep. Start it with
// Start and stop it with Close.
func NewArchiver(store RawStore, keep time.Duration, log *slog.Logger) *Archiver {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Archiver{store: store, keep: keep, log: log, queue: make(chan feedmill.RawBody, 64)}
}

// Start runs the archiver until Close; it prunes old bodies at start and
// every hour.
func (a *Archiver) Start() {
	a.wg.Go(func() {
		ctx := context.Background()
		a.prune(ctx)
		tick := time.NewTicker(time.Hour)
		defer tick.Stop()
		for {
			select {
			case r, ok := <-a.queue:
				if !ok {
					return
				}
				a.save(ctx, r)
			case <-tick.C:
				a.prune(ctx)
			}
		}
	})
}

// Close stores what is queued and stops the archiver.
func (a *Archiver) Close() {
	a.once.Do(func() { close(a.queue) })
	a.wg.Wait()
}

// Add queues a body (in r.Gzip, still uncompressed); the body must not be
// modified afterwards.
func (a *Archiver) Add(r feedmill.RawBody) {
	if a == nil || a.keep <= 0 {
		return
	}
	select {
	case a.queue <- r:
	default:
		a.log.Warn("raw body not kept for replay: archive queue full", "feed", r.Feed)
	}
}

func (a *Archiver) save(ctx context.Context, r feedmill.RawBody) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	zw.Write(r.Gzip)
	zw.Close()
	r.Gzip = buf.Bytes()
	if err := a.store.SaveRaw(ctx, r); err != nil {
		a.log.Warn("raw body not kept for replay", "feed", r.Feed, "err", err)
	}
}

func (a *Archiver) prune(ctx context.Context) {
	if n, err := a.store.PruneRaw(ctx, time.Now().Add(-a.keep)); err != nil {
		a.log.Warn("prune raw bodies", "err", err)
	} else if n > 0 {
		a.log.Info("pruned raw bodies", "count", n)
	}
}
