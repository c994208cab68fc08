// Package backend chooses the storage engine a database address names and
// states, as one interface, what feedmill needs of either: SQLite (package
// storage: a file path or a "file:" URI) or PostgreSQL (package
// storage/postgres: a postgres:// or postgresql:// URL).
package backend

import (
	"context"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/storage/postgres"
	"github.com/feedmill/feedmill/stories"
)

// Store is a feedmill database, whatever its engine.
type Store interface {
	// Ingest path (poller.Store) and leases (poller.Claimer).
	KnownHashes(ctx context.Context, feed string, keys []string) (map[string]string, error)
	Ingest(ctx context.Context, b feedmill.Batch) (feedmill.IngestResult, error)
	FetchState(ctx context.Context, feed, url string) (feedmill.FetchState, error)
	RecordPoll(ctx context.Context, b feedmill.Batch) error
	Claim(ctx context.Context, c feedmill.Claim) (bool, error)

	// Outputs (server.Store).
	Items(ctx context.Context, q feedmill.ItemQuery) ([]feedmill.Item, error)
	ItemsVersion(ctx context.Context) (int64, error)
	Feeds(ctx context.Context) ([]feedmill.FeedState, error)
	FeedTitles(ctx context.Context) ([]feedmill.FeedState, error)
	FetchLog(ctx context.Context, feed string, limit int) ([]feedmill.FetchLogEntry, error)

	// The status page (server.Store).
	FeedDaily(ctx context.Context, start time.Time, days int) (map[string][]int, error)
	TopicDaily(ctx context.Context, start time.Time, days int) (map[string][]int, error)
	TopicCounts(ctx context.Context) (map[string]int, error)

	// Stories: near-duplicate grouping.
	SetStories(cfg stories.Config)
	Restory(ctx context.Context, cfg stories.Config) (storage.RestoryResult, error)
	StoryCount(ctx context.Context) (int64, error)
	Stories(ctx context.Context, q storage.StoryQuery) ([]feedmill.Story, error)

	// WebSub: the hub's subscriptions and the announced ETags (websub.Store).
	SaveSubscription(ctx context.Context, s feedmill.Subscription) error
	DeleteSubscription(ctx context.Context, topic, callback string) (bool, error)
	Subscriptions(ctx context.Context, topic string, now time.Time) ([]feedmill.Subscription, error)
	PruneSubscriptions(ctx context.Context, now time.Time) (int64, error)
	TopicETags(ctx context.Context) (map[string]string, error)
	SetTopicETag(ctx context.Context, topic, etag string) error
	SwapTopicETag(ctx context.Context, topic, etag string) (first, changed bool, err error)

	// Retention.
	Prune(ctx context.Context, r storage.Retention) (storage.PruneResult, error)
	PruneStats(ctx context.Context) (storage.PruneStats, error)

	// Operations: reader counts (readers.Store) and gauges (metrics.Store).
	SaveReaders(ctx context.Context, counts []feedmill.ReaderCount) error
	LoadReaders(ctx context.Context, since time.Time) ([]feedmill.ReaderCount, error)
	LastSuccesses(ctx context.Context) (map[string]time.Time, error)
	Size(ctx context.Context) (int64, error)

	// Raw bodies for replay (poller.RawStore).
	SaveRaw(ctx context.Context, r feedmill.RawBody) error
	PruneRaw(ctx context.Context, before time.Time) (int64, error)
	RawBodies(ctx context.Context, since time.Time, feed string, fn func(feedmill.RawBody) error) error

	// Topics: retagging and explanations.
	EachItem(ctx context.Context, opt storage.ScanOptions, fn func(*feedmill.Item) error) error
	Retag(ctx context.Context, opt storage.ScanOptions, tag func(*feedmill.Item) []feedmill.TopicMatch,
		changed func(storage.TopicChange)) (storage.RetagResult, error)
	Explain(ctx context.Context, id int64) (feedmill.Item, error)
	Meta(ctx context.Context, name string) (string, error)
	SetMeta(ctx context.Context, name, value string) error

	// Upkeep.
	Ping(ctx context.Context) error
	Verify(ctx context.Context) error
	// Path names the database for messages (a PostgreSQL URL without its
	// password).
	Path() string
	Close() error
}

var (
	_ Store = (*storage.DB)(nil)
	_ Store = (*postgres.DB)(nil)
)

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool { return postgres.IsURL(dsn) }

// Open opens the database dsn names, applying its pending migrations:
// PostgreSQL for a postgres:// or postgresql:// URL, else SQLite.
func Open(ctx context.Context, dsn string) (Store, error) {
	if postgres.IsURL(dsn) {
		return postgres.Open(ctx, dsn)
	}
	return storage.Open(ctx, dsn)
}
