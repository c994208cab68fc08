// Package config loads and validates feedmill's YAML configuration.
//
// Parsing is strict and exhaustive: unknown keys, values of the wrong type and
// invalid settings are all reported at once, each with the file, line, column
// and key path of the offending value (see Error), instead of stopping at the
// first problem as yaml.v3's KnownFields does.
//
// YAML anchors, aliases and merge keys ("<<: *defaults") work as usual;
// top-level keys starting with "x-" are ignored, so that they can hold
// anchors, as in Compose files.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/feedmill/feedmill/stories"
)

// DefaultOutputLimit is the number of items an output holds when its limit
// is not set; MaxOutputLimit is the largest limit accepted.
const (
	DefaultOutputLimit = 50
	MaxOutputLimit     = 1000
)

// Config is feedmill's configuration. Zero values in a Feed inherit the
// global setting; use the Feed* methods to read the effective values.
type Config struct {
	// Database is the SQLite file. A relative path is relative to the
	// directory of the configuration file, like most daemons do, so the
	// same file works from any working directory. "file:" URIs, ":memory:"
	// and URLs such as postgres://... are left untouched.
	Database string `yaml:"database"`
	// Listen is the host:port the HTTP server binds to.
	Listen string `yaml:"listen"`
	// BaseURL is the absolute http(s) URL under which feedmill is reached,
	// without a trailing slash; outputs use it for their self links. It
	// defaults to "http://" + Listen (with "localhost" for an empty or
	// unspecified host).
	BaseURL string `yaml:"base_url"`
	// Schedule is when feeds are polled, in robfig/cron/v3 standard syntax:
	// five cron fields or a descriptor such as "@hourly" or "@every 15m".
	Schedule string `yaml:"schedule"`
	// UserAgent replaces the default User-Agent of requests when not "".
	UserAgent string `yaml:"user_agent,omitempty"`
	// Timeout bounds one fetch, from connecting to reading the whole body.
	Timeout Duration `yaml:"timeout"`
	// MaxBody is the largest feed document accepted.
	MaxBody Size `yaml:"max_body"`
	// Concurrency is the number of feeds fetched at the same time.
	Concurrency int `yaml:"concurrency"`
	// PerHost is the most connections open to one host at a time, so many
	// feeds on one server never hammer it.
	PerHost int `yaml:"per_host"`
	// MinInterval is the shortest time between two polls of a feed, even
	// when the schedule ticks more often; zero leaves it to the schedule.
	MinInterval Duration `yaml:"min_interval,omitempty"`
	// MaxInterval is the longest a feed waits between polls, whatever a
	// server's caching headers, a feed's <ttl> or its failures say.
	MaxInterval Duration `yaml:"max_interval"`
	// AllowPrivate lets pages named by feed content (full text, discovery)
	// be fetched from private and loopback addresses. Off by default, so a
	// feed cannot make feedmill probe the operator's network; configured
	// feed URLs themselves may always be private.
	AllowPrivate bool `yaml:"allow_private,omitempty"`
	// KeepRaw is how long the raw body of every fetch that stored something
	// is kept for `feedmill replay`; zero keeps none.
	KeepRaw Duration `yaml:"keep_raw"`
	// Lease is how long a daemon holds a feed it claimed for a poll when
	// several share a database: a daemon killed mid-poll loses its feeds
	// to the others when their leases expire. At least Timeout.
	Lease Duration `yaml:"lease"`
	// APIToken is the bearer token that POST /api/fetch requires; without
	// one the API is off. FEEDMILL_API_TOKEN overrides it (ApplyEnv).
	APIToken string `yaml:"api_token,omitempty"`
	// TrackingParams changes the built-in list of query parameters removed
	// from item links (normalize.DefaultTrackingParams): a name adds one
	// ("partner"), a name ending in "*" a prefix ("sp_*"), and "-" before a
	// built-in entry keeps it ("-ref"). Names are matched ignoring case.
	TrackingParams []string `yaml:"tracking_params,omitempty"`
	// Feeds are the feeds to poll. None is valid: the daemon then only
	// serves what is already stored.
	Feeds []Feed `yaml:"feeds"`
	// Topics classify items with match queries (see package topics).
	Topics []Topic `yaml:"topics"`
	// Outputs are the generated feeds, served under /feeds/NAME.
	Outputs []Output `yaml:"outputs"`
	// Retention bounds what the database keeps; off by default.
	Retention Retention `yaml:"retention"`
	// WebSub announces changes of the outputs to WebSub subscribers.
	WebSub WebSub `yaml:"websub"`
	// Stories sets how items of different sources about one event are
	// grouped into stories.
	Stories Stories `yaml:"stories"`
}

// Stories holds the thresholds of story grouping; see stories.Config for
// what each one means. Changing them regroups the stored items (restory).
type Stories struct {
	// Window bounds a story in time, from its first item.
	Window Duration `yaml:"window"`
	// SameText is the text similarity at which two items are one story
	// whatever their titles.
	SameText float64 `yaml:"same_text"`
	// MinText is the least rarity-weighted overlap of title and lead words.
	MinText float64 `yaml:"min_text"`
	// TitleShared is the least number of title words two items share.
	TitleShared int `yaml:"title_shared"`
	// TitleOverlap is the least weighted share of the lighter title found
	// in the other.
	TitleOverlap float64 `yaml:"title_overlap"`
	// MinCentre is the least overlap with a story's first item for an item
	// that matches another of its members.
	MinCentre float64 `yaml:"min_centre"`
}

// StoriesConfig returns the grouping thresholds of c.
func (c *Config) StoriesConfig() stories.Config {
	s := c.Stories
	return stories.Config{Window: time.Duration(s.Window), SameText: s.SameText, MinText: s.MinText,
		MinTitleShared: s.TitleShared, MinTitleOverlap: s.TitleOverlap, MinCentre: s.MinCentre}
}

// HubBuiltin is the value of websub.hub that makes feedmill its own hub.
const HubBuiltin = "builtin"

// HubPath is where the builtin hub is served, below BaseURL.
const HubPath = "/websub"

// WebSub configures W3C WebSub: outputs name a hub, which learns of every
// change of their content.
type WebSub struct {
	// Hub is "" (no WebSub), the http(s) URL of an external hub that is
	// pinged when an output changes, or HubBuiltin.
	Hub string `yaml:"hub,omitempty"`
	// Lease is the builtin hub's subscription lease when a subscriber asks
	// for none; MinLease and MaxLease bound the leases it grants.
	Lease    Duration `yaml:"lease"`
	MinLease Duration `yaml:"min_lease"`
	MaxLease Duration `yaml:"max_lease"`
	// AllowPrivate lets the builtin hub call back private and loopback
	// addresses; off by default, so a subscriber cannot make feedmill probe
	// the operator's network.
	AllowPrivate bool `yaml:"allow_private,omitempty"`
}

// HubURL returns the URL outputs name as their hub, "" without WebSub.
func (c *Config) HubURL() string {
	if c.WebSub.Hub == HubBuiltin {
		return c.BaseURL + HubPath
	}
	return c.WebSub.Hub
}

// Retention says which stored items are deleted. With neither MaxAge nor
// MaxItemsPerFeed set (the default) nothing is deleted. An item in an
// output's current page is never deleted.
type Retention struct {
	// MaxAge deletes items published longer ago than it; zero: no limit.
	MaxAge Duration `yaml:"max_age,omitempty"`
	// MaxItemsPerFeed keeps the newest items of each feed; an item goes
	// when it is beyond that many in every feed that carried it. Zero: no
	// cap.
	MaxItemsPerFeed int `yaml:"max_items_per_feed,omitempty"`
	// Interval is how often the daemon applies retention.
	Interval Duration `yaml:"interval"`
	// KeepDeletedKeys is how long the keys of a deleted item are kept
	// after its feeds stop carrying it, so that it is not stored again as
	// new meanwhile.
	KeepDeletedKeys Duration `yaml:"keep_deleted_keys"`
}

// Enabled reports whether retention deletes anything.
func (r Retention) Enabled() bool { return r.MaxAge > 0 || r.MaxItemsPerFeed > 0 }

// Feed is one feed to poll.
type Feed struct {
	// Name identifies the feed in URLs and logs; see the rules in Validate.
	Name string `yaml:"name"`
	// URL is where the feed is fetched: an http or https URL, or a file URL
	// for offline use, either absolute (file:///srv/feed.xml) or relative
	// to the configuration file's directory (file:feeds/feed.xml), which the
	// fetcher resolves.
	URL string `yaml:"url"`
	// Title overrides the title the feed gives itself when not "".
	Title string `yaml:"title,omitempty"`
	// Tags are free-form labels that topic queries can match.
	Tags []string `yaml:"tags,omitempty"`
	// Schedule overrides Config.Schedule when not "".
	Schedule string `yaml:"schedule,omitempty"`
	// Timeout overrides Config.Timeout when not zero.
	Timeout Duration `yaml:"timeout,omitempty"`
	// UserAgent overrides Config.UserAgent when not "".
	UserAgent string `yaml:"user_agent,omitempty"`
	// MaxBody overrides Config.MaxBody when not zero.
	MaxBody Size `yaml:"max_body,omitempty"`
	// FullContent fetches the page of each new item and keeps its main
	// text beside the feed's summary, for topics and outputs.
	FullContent bool `yaml:"full_content,omitempty"`
	// MinInterval and MaxInterval override the global values when not zero.
	MinInterval Duration `yaml:"min_interval,omitempty"`
	MaxInterval Duration `yaml:"max_interval,omitempty"`
}

// Topic is a named match query that items are classified by.
type Topic struct {
	// Name identifies the topic in outputs and URLs.
	Name string `yaml:"name"`
	// Title is the human-readable name; Name is used when "".
	Title string `yaml:"title,omitempty"`
	// Match is the query, in the language of package topics.
	Match string `yaml:"match"`
}

// Output is one generated feed. Its filters combine with AND: an item is in
// the output when it passes every filter that is set.
type Output struct {
	// Name identifies the output; it is served at /feeds/NAME.rss etc.
	Name string `yaml:"name"`
	// Title and Description describe the output in the generated feed.
	Title       string `yaml:"title,omitempty"`
	Description string `yaml:"description,omitempty"`
	// Language is the output's language tag ("en"), written in the feeds.
	Language string `yaml:"language,omitempty"`
	// Topics keeps items with any of these topics; none means every item.
	Topics []string `yaml:"topics,omitempty"`
	// AllTopics keeps items with every one of these topics.
	AllTopics []string `yaml:"all_topics,omitempty"`
	// ExcludeTopics drops items with any of these topics.
	ExcludeTopics []string `yaml:"exclude_topics,omitempty"`
	// Feeds keeps items that any of these feeds carried.
	Feeds []string `yaml:"feeds,omitempty"`
	// Query keeps items matching this query of the topic language,
	// evaluated against the stored items when the output is rendered, so
	// it applies to items stored before it was written too.
	Query string `yaml:"query,omitempty"`
	// Limit is the number of most recent items the output holds, 1 to
	// MaxOutputLimit; DefaultOutputLimit when not set. Older items are on
	// the output's next pages.
	Limit int `yaml:"limit"`
	// MaxAge keeps only items published within it, when set.
	MaxAge Duration `yaml:"max_age,omitempty"`
	// Token makes the output private: it is served only to URLs carrying
	// ?key=TOKEN. TokenEnv names an environment variable holding it
	// instead, so the token need not be in the file; ApplyEnv reads it.
	Token    string `yaml:"token,omitempty"`
	TokenEnv string `yaml:"token_env,omitempty"`
	// OnePerStory shows each story once, as its earliest item in the
	// output, with links to the other sources that reported it.
	OnePerStory bool `yaml:"one_per_story,omitempty"`
}

// MinTokenLength is the shortest token accepted for a private output.
const MinTokenLength = 16

// Default returns the configuration used for everything a file leaves out.
func Default() *Config {
	c := &Config{
		Database:    "feedmill.db",
		Listen:      "127.0.0.1:8080",
		Schedule:    "@every 15m",
		Timeout:     Duration(30 * time.Second),
		MaxBody:     10 * 1000 * 1000,
		Concurrency: 8,
		PerHost:     2,
		MaxInterval: Duration(24 * time.Hour),
		KeepRaw:     Duration(7 * 24 * time.Hour),
		Lease:       Duration(5 * time.Minute),
		Retention: Retention{
			Interval:        Duration(time.Hour),
			KeepDeletedKeys: Duration(30 * 24 * time.Hour),
		},
		WebSub: WebSub{
			Lease:    Duration(10 * 24 * time.Hour),
			MinLease: Duration(time.Hour),
			MaxLease: Duration(30 * 24 * time.Hour),
		},
	}
	sc := stories.DefaultConfig()
	c.Stories = Stories{Window: Duration(sc.Window), SameText: sc.SameText, MinText: sc.MinText,
		TitleShared: sc.MinTitleShared, TitleOverlap: sc.MinTitleOverlap, MinCentre: sc.MinCentre}
	c.BaseURL = defaultBaseURL(c.Listen)
	return c
}

// Load reads and parses the configuration file at path; see Parse.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(f, path)
}

// Parse reads a configuration from r: it starts from Default, decodes the
// YAML strictly and validates the result. filename is used in error messages
// and its directory to resolve a relative Database path.
//
// On failure it returns nil and an errors.Join of *Error values, one per
// problem, ordered by position in the file.
func Parse(r io.Reader, filename string) (*Config, error) {
	c := Default()
	src, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	switch err := dec.Decode(&doc); {
	case errors.Is(err, io.EOF):
		// An empty file (or only comments) is a valid, all-default config.
		c.Database = resolvePath(c.Database, filepath.Dir(filename))
		return c, nil
	case err != nil:
		return nil, join([]*Error{syntaxError(filename, src, err)})
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, join([]*Error{syntaxError(filename, src, err)})
		}
		return nil, join([]*Error{{File: filename, Line: extra.Line, Column: extra.Column,
			Msg: "a configuration file holds a single YAML document; remove the \"---\" separator"}})
	}

	d := newDecoder(filename)
	d.lines = strings.Split(string(src), "\n")
	d.decodeDocument(&doc, c)
	if !d.has("base_url") {
		c.BaseURL = defaultBaseURL(c.Listen)
	}
	for i := range c.Outputs {
		if !d.has(fmt.Sprintf("outputs[%d].limit", i)) {
			c.Outputs[i].Limit = DefaultOutputLimit
		}
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	v := &validator{pos: d}
	v.validate(c)
	if errs := append(d.errs, v.errs...); len(errs) > 0 {
		return nil, join(errs)
	}
	c.Database = resolvePath(c.Database, filepath.Dir(filename))
	return c, nil
}

// Validate checks a Config built or changed in code (for instance after
// ApplyEnv). It reports the same problems as Parse, without positions.
func (c *Config) Validate() error {
	v := &validator{}
	v.validate(c)
	return join(v.errs)
}

// ApplyEnv overrides settings from the environment, read through getenv so
// that tests need not touch the process environment. FEEDMILL_DATABASE_URL,
// when set, replaces Database as is: it is not resolved against the
// configuration file's directory; FEEDMILL_API_TOKEN replaces APIToken. Outputs with a token_env get their token;
// a variable unset, empty or too short is an error naming the output.
func (c *Config) ApplyEnv(getenv func(string) string) error {
	if v := getenv("FEEDMILL_DATABASE_URL"); v != "" {
		c.Database = v
	}
	var errs []*Error
	if v := getenv("FEEDMILL_API_TOKEN"); v != "" {
		c.APIToken = v
		if msg := tokenProblem(v); msg != "" {
			errs = append(errs, &Error{Key: "api_token", Msg: "environment variable FEEDMILL_API_TOKEN: " + msg})
		}
	}
	for i := range c.Outputs {
		o := &c.Outputs[i]
		if o.TokenEnv == "" {
			continue
		}
		o.Token = getenv(o.TokenEnv)
		if msg := tokenProblem(o.Token); msg != "" {
			errs = append(errs, &Error{Key: fmt.Sprintf("outputs[%d].token_env", i),
				Msg: fmt.Sprintf("environment variable %s: %s", o.TokenEnv, msg)})
		}
	}
	return join(errs)
}

// FeedSchedule returns the schedule that applies to f.
func (c *Config) FeedSchedule(f Feed) string {
	if f.Schedule != "" {
		return f.Schedule
	}
	return c.Schedule
}

// FeedTimeout returns the fetch timeout that applies to f.
func (c *Config) FeedTimeout(f Feed) time.Duration {
	if f.Timeout != 0 {
		return time.Duration(f.Timeout)
	}
	return time.Duration(c.Timeout)
}

// FeedUserAgent returns the User-Agent override that applies to f; "" means
// the fetcher's default.
func (c *Config) FeedUserAgent(f Feed) string {
	if f.UserAgent != "" {
		return f.UserAgent
	}
	return c.UserAgent
}

// FeedMaxBody returns the largest document accepted from f, in bytes.
func (c *Config) FeedMaxBody(f Feed) int64 {
	if f.MaxBody != 0 {
		return int64(f.MaxBody)
	}
	return int64(c.MaxBody)
}

// FeedIntervals returns the minimum and maximum poll intervals of f.
func (c *Config) FeedIntervals(f Feed) (minInterval, maxInterval time.Duration) {
	minInterval, maxInterval = time.Duration(c.MinInterval), time.Duration(c.MaxInterval)
	if f.MinInterval != 0 {
		minInterval = time.Duration(f.MinInterval)
	}
	if f.MaxInterval != 0 {
		maxInterval = time.Duration(f.MaxInterval)
	}
	return minInterval, maxInterval
}

// resolvePath makes a relative database path relative to dir.
func resolvePath(db, dir string) string {
	if db == "" || db == ":memory:" || filepath.IsAbs(db) ||
		strings.HasPrefix(db, "file:") || strings.Contains(db, "://") {
		return db
	}
	return filepath.Join(dir, db)
}
