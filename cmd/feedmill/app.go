package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/config"
	"github.com/feedmill/feedmill/feedgen"
	"github.com/feedmill/feedmill/fetcher"
	"github.com/feedmill/feedmill/fulltext"
	"github.com/feedmill/feedmill/netguard"
	"github.com/feedmill/feedmill/normalize"
	"github.com/feedmill/feedmill/poller"
	"github.com/feedmill/feedmill/server"
	"github.com/feedmill/feedmill/storage/backend"
	"github.com/feedmill/feedmill/topics"
)

// configError is a configuration that cannot be used; its message already
// names the file and every problem.
type configError struct{ err error }

func (e *configError) Error() string { return e.err.Error() }
func (e *configError) Unwrap() error { return e.err }

// resolveConfigPath applies the fallbacks: --config, $FEEDMILL_CONFIG,
// ./config.yaml.
func (e *env) resolveConfigPath() string {
	if e.configPath != "" {
		return e.configPath
	}
	if p := e.getenv("FEEDMILL_CONFIG"); p != "" {
		return p
	}
	return "config.yaml"
}

// loadConfig reads, validates and applies the environment to the config.
func (e *env) loadConfig() (*config.Config, error) {
	path := e.resolveConfigPath()
	cfg, err := config.Load(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, &configError{fmt.Errorf("feedmill: configuration file %s not found (use --config FILE or FEEDMILL_CONFIG)", path)}
		}
		return nil, &configError{fmt.Errorf("feedmill: invalid configuration:\n%w", indent(err))}
	}
	if err := cfg.ApplyEnv(e.getenv); err != nil {
		return nil, &configError{fmt.Errorf("feedmill: invalid configuration in %s:\n%w", path, indent(err))}
	}
	return cfg, nil
}

// indent puts each line of a joined error on its own indented line.
func indent(err error) error {
	return fmt.Errorf("  %s", strings.ReplaceAll(err.Error(), "\n", "\n  "))
}

// logger builds the process logger from the global flags.
func (e *env) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if e.logLevel != "" {
		if err := level.UnmarshalText([]byte(e.logLevel)); err != nil {
			return nil, &usageError{fmt.Sprintf("--log-level %q: want debug, info, warn or error", e.logLevel)}
		}
	}
	opts := &slog.HandlerOptions{Level: level}
	format := e.logFormat
	if format == "" {
		format = "json"
		if isTerminal(w) {
			format = "text"
		}
	}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, &usageError{fmt.Sprintf("--log-format %q: want text or json", e.logFormat)}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// app is the wired application: everything built from one config.
type app struct {
	cfg *config.Config
	db  backend.Store
	// owner names this process in the feed leases it takes.
	owner    string
	pipeline *poller.Pipeline
	archive  *poller.Archiver
	feeds    []poller.Feed
	// observer, when set, is told of every poll (the daemon's metrics).
	observer poller.Observer
	// tagger and fingerprint are the current topic rules, for retagging.
	tagger      *poller.Tagger
	fingerprint string
}

// openApp loads the config and builds the database and pipeline.
func (e *env) openApp(ctx context.Context, log *slog.Logger) (*app, error) {
	cfg, err := e.loadConfig()
	if err != nil {
		return nil, err
	}
	db, err := backend.Open(ctx, cfg.Database)
	if err != nil {
		return nil, err
	}
	a := &app{db: db, owner: processOwner(), archive: poller.NewArchiver(db, time.Duration(cfg.KeepRaw), log)}
	if err := a.configure(cfg, e.resolveConfigPath(), log); err != nil {
		db.Close()
		return nil, err
	}
	a.archive.Start()
	return a, nil
}

// configure builds the pipeline and the feeds from cfg, read from
// configPath. It changes nothing when cfg is unusable, so a reload with a
// bad configuration keeps the running one.
func (a *app) configure(cfg *config.Config, configPath string, log *slog.Logger) error {
	tagger, fingerprint, err := rules(cfg)
	if err != nil {
		return err
	}
	root, err := filepath.Abs(filepath.Dir(configPath))
	if err != nil {
		return err
	}
	// One set of connections for every feed, so per_host holds across
	// feeds whatever their own settings.
	base := fetcher.New(fetcher.Options{
		UserAgent: cfg.UserAgent,
		Timeout:   time.Duration(cfg.Timeout),
		MaxBody:   int64(cfg.MaxBody),
		PerHost:   cfg.PerHost,
		FileRoot:  root,
	})
	norm := normalize.New(normalize.NewCanonicalizer(cfg.TrackingParams...))
	pipeline := &poller.Pipeline{
		Archive:    a.archive,
		Store:      a.db,
		Fetcher:    base,
		Normalizer: norm,
		Topics:     tagger.Set,
		Log:        log,
		FullText:   fullTextExtractor(cfg, norm),
		Owner:      a.owner,
		Lease:      time.Duration(cfg.Lease),
		Observer:   a.observer,
	}
	var feeds []poller.Feed
	for _, f := range cfg.Feeds {
		pf := poller.Feed{Name: f.Name, URL: f.URL, Schedule: cfg.FeedSchedule(f), Title: f.Title, Tags: f.Tags,
			FullContent: f.FullContent}
		if sched, err := poller.ParseSchedule(pf.Schedule); err == nil {
			pf.Policy.Period = poller.Period(sched, time.Now())
		}
		pf.Policy.MinInterval, pf.Policy.MaxInterval = cfg.FeedIntervals(f)
		if f.Timeout != 0 || f.UserAgent != "" || f.MaxBody != 0 {
			pf.Fetcher = base.Derive(cfg.FeedUserAgent(f), cfg.FeedTimeout(f), cfg.FeedMaxBody(f))
		}
		feeds = append(feeds, pf)
	}
	a.cfg, a.tagger, a.fingerprint, a.pipeline, a.feeds = cfg, tagger, fingerprint, pipeline, feeds
	a.db.SetStories(cfg.StoriesConfig())
	return nil
}

// processOwner names this process in feed leases: host, pid and a random
// part, so a restarted daemon with the same pid is another owner.
func processOwner() string {
	host, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%x", host, os.Getpid(), b)
}

// fullTextExtractor builds the article extractor: pages named by feed
// content are fetched only from public addresses unless allow_private.
func fullTextExtractor(cfg *config.Config, norm *normalize.Normalizer) *fulltext.Extractor {
	opts := fetcher.Options{
		UserAgent: cfg.UserAgent,
		Timeout:   time.Duration(cfg.Timeout),
		MaxBody:   int64(cfg.MaxBody),
		PerHost:   cfg.PerHost,
	}
	if !cfg.AllowPrivate {
		opts.DialControl = netguard.Control
	}
	return fulltext.New(fetcher.New(opts), norm.Sanitizer())
}

// Close stores the raw bodies still queued and closes the database.
func (a *app) Close() error {
	a.archive.Close()
	return a.db.Close()
}

func compileTopics(cfg *config.Config) (*topics.Set, error) {
	return topics.Compile(topicDefs(cfg))
}

func topicDefs(cfg *config.Config) []topics.Def {
	defs := make([]topics.Def, len(cfg.Topics))
	for i, t := range cfg.Topics {
		defs[i] = topics.Def{Name: t.Name, Match: t.Match}
	}
	return defs
}

// rules compiles the config's topics into a Tagger and fingerprints them.
func rules(cfg *config.Config) (*poller.Tagger, string, error) {
	defs := topicDefs(cfg)
	set, err := topics.Compile(defs)
	if err != nil {
		return nil, "", &configError{err}
	}
	tags := map[string][]string{}
	for _, f := range cfg.Feeds {
		if len(f.Tags) > 0 {
			tags[f.Name] = f.Tags
		}
	}
	return &poller.Tagger{Set: set, Tags: tags}, poller.Fingerprint(defs, tags), nil
}

// serverConfig turns the config's outputs into the server's.
func (a *app) serverConfig(log *slog.Logger) (server.Config, error) {
	sc := server.Config{Sources: map[string]feedgen.SourceFeed{}, Log: log}
	tags := map[string][]string{}
	for _, f := range a.cfg.Feeds {
		src := feedgen.SourceFeed{Title: f.Title}
		// Outputs name a source by its public URL; a local file has none.
		if strings.HasPrefix(f.URL, "http://") || strings.HasPrefix(f.URL, "https://") {
			src.URL = f.URL
		}
		sc.Sources[f.Name] = src
		tags[f.Name] = f.Tags
	}
	for _, t := range a.cfg.Topics {
		sc.Topics = append(sc.Topics, server.Topic{Name: t.Name, Title: t.Title})
	}
	for _, o := range a.cfg.Outputs {
		so := server.Output{
			Output: feedgen.Output{Name: o.Name, Title: o.Title, Description: o.Description,
				Language: o.Language, BaseURL: a.cfg.BaseURL, Key: o.Token, Hub: outputHub(a.cfg, o)},
			Select: feedmill.ItemQuery{Topics: o.Topics, AllTopics: o.AllTopics, ExcludeTopics: o.ExcludeTopics,
				Feeds: o.Feeds, Limit: o.Limit, OnePerStory: o.OnePerStory},
			MaxAge: time.Duration(o.MaxAge),
		}
		if o.Query != "" {
			set, err := config.OutputQuerySet(o.Name, o.Query, a.cfg.Topics)
			if err != nil {
				return sc, &configError{fmt.Errorf("output %s: query: %w", o.Name, err)}
			}
			so.Select.Filter = server.QueryFilter(set, config.OutputTopic(o.Name), tags)
		}
		sc.Outputs = append(sc.Outputs, so)
	}
	return sc, nil
}

// selectFeeds returns the named feeds, or all when names is empty.
func (a *app) selectFeeds(names []string) ([]poller.Feed, error) {
	out, missing := pickFeeds(a.feeds, names)
	if missing != "" {
		return nil, &usageError{fmt.Sprintf("no feed named %q in %s", missing, "the configuration")}
	}
	return out, nil
}
