// Package metrics owns feedmill's Prometheus metrics: their definitions,
// the registry they live in (the application's own, never the global
// default) and the /metrics handler. The poller and the server report to it
// through their small observer hooks; they do not import Prometheus.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/poller"
	"github.com/feedmill/feedmill/readers"
)

// Store is what the metrics read from the database on a scrape.
type Store interface {
	// ItemsVersion changes with every change of the stored items; topic
	// counts are read again only when it did.
	ItemsVersion(ctx context.Context) (int64, error)
	TopicCounts(ctx context.Context) (map[string]int, error)
	Size(ctx context.Context) (int64, error)
	LastSuccesses(ctx context.Context) (map[string]time.Time, error)
}

// Options are the sources of the metrics read on a scrape.
type Options struct {
	// Store is the database; its gauges are absent when nil.
	Store Store
	// Readers returns the readers of each output (feedmill_output_readers,
	// feedmill_output_subscribers); absent when nil.
	Readers func(now time.Time) map[string]readers.Count
	// StoryCount returns the number of stories (near-duplicate groups) for
	// feedmill_stories; the metric is absent while it is nil.
	StoryCount func(ctx context.Context) (int, error)
	// LastTick returns when the scheduler last ticked (zero before its
	// first tick), for feedmill_scheduler_last_tick_timestamp_seconds;
	// absent when nil.
	LastTick func() time.Time
	// Retention returns what retention did and keeps, for
	// feedmill_items_pruned_total, feedmill_tombstones, feedmill_items and
	// feedmill_last_prune_timestamp_seconds; absent when nil.
	Retention func(ctx context.Context) (RetentionStats, error)
	// Log receives scrape errors; none when nil.
	Log *slog.Logger
}

// RetentionStats are retention's totals, as the database keeps them.
type RetentionStats struct {
	// ItemsPruned counts the items retention deleted, by every process.
	ItemsPruned int64
	// LastPrune is when retention last ran; zero when it never did.
	LastPrune time.Time
	// Tombstones counts the dedup keys of deleted items kept now.
	Tombstones int64
	// Items counts the items stored now.
	Items int64
}

// Metrics is feedmill's set of metrics. It implements poller.Observer.
type Metrics struct {
	reg           *prometheus.Registry
	log           *slog.Logger
	fetches       *prometheus.CounterVec
	fetchDuration *prometheus.HistogramVec
	items         *prometheus.CounterVec
	topicMatches  *prometheus.CounterVec
	dedup         *prometheus.CounterVec
	requests      *prometheus.CounterVec
}

// New registers every metric in a new registry, with the Go runtime and
// process collectors.
func New(opt Options) *Metrics {
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		log: log,
		fetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedmill_fetches_total",
			Help: "Polls of a feed by result: ok, not_modified, failed or gone.",
		}, []string{"feed", "result"}),
		fetchDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "feedmill_fetch_duration_seconds",
			Help:    "Time to poll a feed (fetch, parse and store), by result.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"result"}),
		items: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedmill_items_total",
			Help: "Items of fetched feeds by outcome: new (stored for the first time), merged (already stored from another feed), updated (changed since stored) or seen (already stored, unchanged).",
		}, []string{"feed", "outcome"}),
		topicMatches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedmill_topic_matches_total",
			Help: "New items that matched the topic when they were stored.",
		}, []string{"topic"}),
		dedup: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedmill_dedup_merges_total",
			Help: "Fetched items merged into one already stored instead of stored again, by what recognized them: guid, link, content (hash of an item with neither) or story.",
		}, []string{"kind"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedmill_output_requests_total",
			Help: "Requests of an output feed by format and HTTP status code (304: not modified).",
		}, []string{"output", "format", "code"}),
	}
	for _, k := range []string{feedmill.DedupGUID, feedmill.DedupLink, feedmill.DedupContent, feedmill.DedupStory} {
		m.dedup.WithLabelValues(k)
	}
	m.reg.MustRegister(m.fetches, m.fetchDuration, m.items, m.topicMatches, m.dedup, m.requests,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&scraped{opt: opt, log: log})
	return m
}

// Registry returns the registry holding every metric.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text (or OpenMetrics)
// format. A failing database gauge is logged and left out; the rest is
// served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorHandling:     promhttp.ContinueOnError,
		ErrorLog:          slogPrinter{m.log},
		EnableOpenMetrics: true,
	})
}

// Polled records the outcome of one poll.
func (m *Metrics) Polled(r poller.Report) {
	result := r.Outcome()
	m.fetches.WithLabelValues(r.Feed, result).Inc()
	m.fetchDuration.WithLabelValues(result).Observe(r.Duration.Seconds())
	res := r.Result
	for _, c := range []struct {
		outcome string
		n       int
	}{{"new", res.New}, {"merged", res.Merged}, {"updated", res.Updated}, {"seen", res.Seen}} {
		// Every outcome of a feed that stored something is present, at 0 too.
		if c.n > 0 || result == feedmill.OutcomeOK {
			m.items.WithLabelValues(r.Feed, c.outcome).Add(float64(c.n))
		}
	}
	for topic, n := range res.NewTopics {
		m.topicMatches.WithLabelValues(topic).Add(float64(n))
	}
	d := res.Dedup
	for _, c := range []struct {
		kind string
		n    int
	}{{feedmill.DedupGUID, d.GUID}, {feedmill.DedupLink, d.Link}, {feedmill.DedupContent, d.Content}, {feedmill.DedupStory, d.Story}} {
		if c.n > 0 {
			m.dedup.WithLabelValues(c.kind).Add(float64(c.n))
		}
	}
}

// Served records one request of an output (only configured outputs, so
// a request cannot create a series).
func (m *Metrics) Served(output, format string, status int) {
	m.requests.WithLabelValues(output, format, strconv.Itoa(status)).Inc()
}

// slogPrinter adapts a slog.Logger to promhttp's error logger.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Println(v ...any) {
	p.log.Error("metrics scrape", "err", v)
}

// scrapeTimeout bounds the database reads of one scrape.
const scrapeTimeout = 5 * time.Second

// scraped collects the gauges read on each scrape: from the database, the
// reader counts and the story count.
type scraped struct {
	opt Options
	log *slog.Logger

	// mu guards the topic counts cached for one items version.
	mu      sync.Mutex
	version int64
	topics  map[string]int
}

var (
	descTopicItems = prometheus.NewDesc("feedmill_topic_items",
		"Stored items tagged with the topic.", []string{"topic"}, nil)
	descDBBytes = prometheus.NewDesc("feedmill_database_bytes",
		"Size of the SQLite database file: page count times page size.", nil, nil)
	descLastSuccess = prometheus.NewDesc("feedmill_feed_last_success_timestamp_seconds",
		"When the feed was last polled successfully (by this daemon or a feedmill fetch), as a Unix time.", []string{"feed"}, nil)
	descStories = prometheus.NewDesc("feedmill_stories",
		"Stories: groups of items about the same news.", nil, nil)
	descLastTick = prometheus.NewDesc("feedmill_scheduler_last_tick_timestamp_seconds",
		"When the scheduler last ticked for any feed, as a Unix time (0 before its first tick).", nil, nil)
	descReaders = prometheus.NewDesc("feedmill_output_readers",
		"Readers of an output: subscribers announced by feed services (kind=services) and distinct other clients over the last day (kind=direct).", []string{"output", "kind"}, nil)
	descPruned = prometheus.NewDesc("feedmill_items_pruned_total",
		"Items deleted by retention over the database's life, by any process.", nil, nil)
	descLastPrune = prometheus.NewDesc("feedmill_last_prune_timestamp_seconds",
		"When retention last ran, as a Unix time (0: never).", nil, nil)
	descTombstones = prometheus.NewDesc("feedmill_tombstones",
		"Dedup keys of deleted items kept so that they are not stored again.", nil, nil)
	descStoredItems = prometheus.NewDesc("feedmill_items",
		"Items stored now.", nil, nil)
	descSubscribers = prometheus.NewDesc("feedmill_output_subscribers",
		"Subscribers of an output announced by a feed service in its User-Agent; services not known by name are summed as other.", []string{"output", "service"}, nil)
)

func (s *scraped) Describe(ch chan<- *prometheus.Desc) {
	if s.opt.Store != nil {
		ch <- descTopicItems
		ch <- descDBBytes
		ch <- descLastSuccess
	}
	if s.opt.StoryCount != nil {
		ch <- descStories
	}
	if s.opt.LastTick != nil {
		ch <- descLastTick
	}
	if s.opt.Readers != nil {
		ch <- descReaders
		ch <- descSubscribers
	}
	if s.opt.Retention != nil {
		ch <- descPruned
		ch <- descLastPrune
		ch <- descTombstones
		ch <- descStoredItems
	}
}

func (s *scraped) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	if st := s.opt.Store; st != nil {
		if topics, err := s.topicCounts(ctx, st); err != nil {
			ch <- prometheus.NewInvalidMetric(descTopicItems, err)
		} else {
			for t, n := range topics {
				ch <- prometheus.MustNewConstMetric(descTopicItems, prometheus.GaugeValue, float64(n), t)
			}
		}
		if size, err := st.Size(ctx); err != nil {
			ch <- prometheus.NewInvalidMetric(descDBBytes, err)
		} else {
			ch <- prometheus.MustNewConstMetric(descDBBytes, prometheus.GaugeValue, float64(size))
		}
		if last, err := st.LastSuccesses(ctx); err != nil {
			ch <- prometheus.NewInvalidMetric(descLastSuccess, err)
		} else {
			for feed, at := range last {
				ch <- prometheus.MustNewConstMetric(descLastSuccess, prometheus.GaugeValue,
					float64(at.UnixNano())/1e9, feed)
			}
		}
	}
	if s.opt.StoryCount != nil {
		if n, err := s.opt.StoryCount(ctx); err != nil {
			ch <- prometheus.NewInvalidMetric(descStories, err)
		} else {
			ch <- prometheus.MustNewConstMetric(descStories, prometheus.GaugeValue, float64(n))
		}
	}
	if s.opt.LastTick != nil {
		v := 0.0
		if t := s.opt.LastTick(); !t.IsZero() {
			v = float64(t.UnixNano()) / 1e9
		}
		ch <- prometheus.MustNewConstMetric(descLastTick, prometheus.GaugeValue, v)
	}
	if s.opt.Retention != nil {
		if r, err := s.opt.Retention(ctx); err != nil {
			ch <- prometheus.NewInvalidMetric(descPruned, err)
		} else {
			last := 0.0
			if !r.LastPrune.IsZero() {
				last = float64(r.LastPrune.UnixNano()) / 1e9
			}
			ch <- prometheus.MustNewConstMetric(descPruned, prometheus.CounterValue, float64(r.ItemsPruned))
			ch <- prometheus.MustNewConstMetric(descLastPrune, prometheus.GaugeValue, last)
			ch <- prometheus.MustNewConstMetric(descTombstones, prometheus.GaugeValue, float64(r.Tombstones))
			ch <- prometheus.MustNewConstMetric(descStoredItems, prometheus.GaugeValue, float64(r.Items))
		}
	}
	if s.opt.Readers != nil {
		for output, c := range s.opt.Readers(time.Now()) {
			ch <- prometheus.MustNewConstMetric(descReaders, prometheus.GaugeValue, float64(c.Subscribers), output, "services")
			ch <- prometheus.MustNewConstMetric(descReaders, prometheus.GaugeValue, float64(c.Direct), output, "direct")
			bySvc := map[string]int{}
			for svc, n := range c.Services {
				if !readers.IsKnown(svc) {
					svc = "other"
				}
				bySvc[svc] += n
			}
			for svc, n := range bySvc {
				ch <- prometheus.MustNewConstMetric(descSubscribers, prometheus.GaugeValue, float64(n), output, svc)
			}
		}
	}
}

// topicCounts reads the per-topic counts again only when the stored items
// changed since the last scrape.
func (s *scraped) topicCounts(ctx context.Context, st Store) (map[string]int, error) {
	v, err := st.ItemsVersion(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.topics != nil && v == s.version {
		return s.topics, nil
	}
	topics, err := st.TopicCounts(ctx)
	if err != nil {
		return nil, err
	}
	s.version, s.topics = v, topics
	return topics, nil
}
