package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/stories"
	"github.com/feedmill/feedmill/topics"
	"go.yaml.in/yaml/v3"
)

func TestParseGood(t *testing.T) {
	tests := []struct {
		file string
		want func(c *Config) // edits Default() into the expected config
	}{
		{
			file: "empty.good.yaml",
			want: func(c *Config) {},
		},
		{
			file: "full.good.yaml",
			want: func(c *Config) {
				c.Database = "data/feedmill.db"
				c.Listen = "0.0.0.0:9090"
				c.BaseURL = "https://news.example.com/feedmill"
				c.Schedule = "*/10 * * * *"
				c.UserAgent = "feedmill-test/1.0"
				c.Timeout = Duration(90 * time.Second)
				c.MaxBody = 512 << 10
				c.Concurrency = 4
				c.TrackingParams = []string{"partner", "sp_*", "-ref"}
				c.Feeds = []Feed{
					{Name: "hn", URL: "https://news.ycombinator.com/rss", Title: "Hacker News", Tags: []string{"tech", "news"}},
					{Name: "lwn.net", URL: "https://lwn.net/headlines/rss", Schedule: "@hourly",
						Timeout: Duration(10 * time.Second), UserAgent: "special/2.0", MaxBody: 2_000_000},
					{Name: "offline_demo", URL: "file:///usr/share/feedmill/demo.xml"},
					{Name: "relative", URL: "file:feeds/relative.xml"},
				}
				c.Topics = []Topic{
					{Name: "go", Title: "Go", Match: `golang OR "go 1.26"`},
					{Name: "sqlite", Match: "sqlite\nOR litestream\n"},
				}
				c.Outputs = []Output{
					{Name: "go-news", Title: "Go news", Description: "Everything about Go", Topics: []string{"go"}, Limit: 1000},
					{Name: "everything", Limit: DefaultOutputLimit},
					{Name: "curated", Language: "en", Topics: []string{"go", "sqlite"}, AllTopics: []string{"go"},
						Feeds: []string{"hn", "lwn.net"}, Query: "release* NOT topic:sqlite", Limit: 20,
						MaxAge: Duration(72 * time.Hour), Token: "0123456789abcdef0123"},
					{Name: "private-env", TokenEnv: "FEEDMILL_PRIVATE_TOKEN", Limit: DefaultOutputLimit},
				}
			},
		},
		{
			file: "retention.good.yaml",
			want: func(c *Config) {
				c.Retention = Retention{MaxAge: Duration(90 * 24 * time.Hour), MaxItemsPerFeed: 5000,
					Interval: Duration(30 * time.Minute), KeepDeletedKeys: Duration(14 * 24 * time.Hour)}
			},
		},
		{
			file: "merge.good.yaml",
			want: func(c *Config) {
				c.Feeds = []Feed{
					{Name: "a", URL: "http://a.example/feed", Schedule: "@daily", Timeout: Duration(2 * time.Minute)},
					{Name: "b", URL: "http://b.example/feed", Schedule: "@daily", Timeout: Duration(5 * time.Second)},
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			got, err := Load(path)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := Default()
			tt.want(want)
			want.Database = filepath.Join("testdata", want.Database)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Load(%s) =\n%+v\nwant\n%+v", path, got, want)
			}
		})
	}
}

// TestParseBad checks every message for each broken fixture, in order: the
// point of the package is that all problems come out at once, each with its
// line, column and key.
func TestParseBad(t *testing.T) {
	tests := []struct {
		file string
		want []string // "line:col: key: msg", after the file name
	}{
		{
			file: "bad_cron.bad.yaml",
			want: []string{
				`1:11: schedule: "@every fortnight" is not a valid schedule: failed to parse duration @every fortnight: time: invalid duration "fortnight" (examples: "@every 15m", "@hourly", "*/10 * * * *")`,
				`5:15: feeds[0].schedule: "61 * * * *" is not a valid schedule: end of range (61) above maximum (59): 61 (examples: "@every 15m", "@hourly", "*/10 * * * *")`,
			},
		},
		{
			file: "bad_duration.bad.yaml",
			want: []string{
				`1:10: timeout: "1 minute" is not a duration (examples: "30s", "1m30s", "2h", "7d")`,
				`5:14: feeds[0].timeout: "15" has no unit: write it as a duration such as "15s"`,
				`8:14: feeds[1].timeout: "1y" is not a duration (examples: "30s", "1m30s", "2h", "7d")`,
			},
		},
		{
			file: "retention.bad.yaml",
			want: []string{
				`2:12: retention.max_age: must be positive, got 0s (leave it out to keep items of any age)`,
				`3:23: retention.max_items_per_feed: must be at least 1, got -3 (leave it out for no cap)`,
				`4:13: retention.interval: must be at least 1s, got 0s`,
				`5:22: retention.keep_deleted_keys: "1 month" is not a duration (examples: "30s", "1m30s", "2h", "7d")`,
				`6:3: retention.keep: unknown key`,
			},
		},
		{
			file: "bad_name.bad.yaml",
			want: []string{
				`2:11: feeds[0].name: "Hacker News" is not a valid feed name: use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit (names appear in URLs)`,
				`4:11: feeds[1].name: ".hidden" is not a valid feed name: use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit (names appear in URLs)`,
				`6:11: feeds[2].name: "a/b" is not a valid feed name: use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit (names appear in URLs)`,
				`9:11: topics[0].name: "Go" is not a valid topic name: use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit (names appear in URLs)`,
				`12:11: outputs[0].name: is required`,
			},
		},
		{
			file: "bad_size.bad.yaml",
			want: []string{
				`1:11: max_body: "10 parsecs" is not a size (examples: 1048576, "512KiB", "10MB", "1GiB")`,
				`5:15: feeds[0].max_body: "-1" is not a size (examples: 1048576, "512KiB", "10MB", "1GiB")`,
				`8:15: feeds[1].max_body: "99999999999GiB" is too large`,
				`11:15: feeds[2].max_body: expected a size such as "10MB", got a list`,
			},
		},
		{
			file: "bad_stories.bad.yaml",
			want: []string{
				`2:11: stories.window: must be at least 1m, got 30s`,
				`3:14: stories.same_text: must be between 0 and 1, got 1.5`,
				`4:13: stories.min_text: must be between 0 and 1, got -0.1`,
				`5:17: stories.title_shared: must be between 1 and 24, got 0`,
				`6:18: stories.title_overlap: must be between 0 and 1, got 2`,
				`7:15: stories.min_centre: "high" is not a number`,
				`8:3: stories.min_overlap: unknown key`,
				`11:20: outputs[0].one_per_story: "maybe" is not true or false`,
			},
		},
		{
			file: "bad_url.bad.yaml",
			want: []string{
				`3:10: feeds[0].url: "htp://x" is not an http(s) URL`,
				`5:10: feeds[1].url: "http://" has no host`,
				`6:5: feeds[2].url: is required`,
				`8:10: feeds[3].url: "http://a b.example/%zz" is not a valid URL`,
				`10:10: feeds[4].url: "file:" has no path`,
			},
		},
		{
			file: "tracking_params.bad.yaml",
			want: []string{
				`3:5: tracking_params[1]: "*" would match every parameter`,
				`4:5: tracking_params[2]: "id=3" is not a query parameter name (no spaces, &, =, #, ? or /)`,
				`5:5: tracking_params[3]: "a*b": a "*" may only end a name, as in utm_*`,
				`6:5: tracking_params[4]: "-partner": "partner" is not a default tracking parameter, so there is nothing to keep`,
				`7:5: tracking_params[5]: "Partner" is already listed (tracking_params[0], line 2)`,
				`8:5: tracking_params[6]: must not be empty`,
			},
		},
		{
			file: "duplicate_key.bad.yaml",
			want: []string{
				`3:1: concurrency: key set twice (first at line 1)`,
			},
		},
		{
			file: "duplicate_names.bad.yaml",
			want: []string{
				`5:10: feeds[1].url: "http://a.example/" is already the URL of feed "a" (feeds[0].url, line 3)`,
				`6:11: feeds[2].name: duplicate feed name "a" (first used by feeds[0].name, line 2)`,
				`11:11: topics[1].name: duplicate topic name "t" (first used by topics[0].name, line 9)`,
				`15:11: outputs[1].name: duplicate output name "o" (first used by outputs[0].name, line 14)`,
			},
		},
		{
			file: "many.bad.yaml",
			want: []string{
				`2:9: listen: "8080" is not host:port (for example "127.0.0.1:8080" or ":8080")`,
				`3:11: schedule: "every 15m" is not a valid schedule: expected exactly 5 fields, found 2: [every 15m] (examples: "@every 15m", "@hourly", "*/10 * * * *")`,
				`4:10: timeout: "soon" is not a duration (examples: "30s", "1m30s", "2h", "7d")`,
				`6:11: feeds[0].name: "Hn" is not a valid feed name: use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit (names appear in URLs)`,
				`7:10: feeds[0].url: "htp://news.ycombinator.com/rss" is not an http(s) URL`,
				`10:5: feeds[1].lables: unknown key`,
				`13:12: outputs[0].limit: "ten" is not an integer`,
				`14:14: outputs[0].topics[0]: unknown topic "linux"`,
			},
		},
		{
			file: "merge.bad.yaml",
			want: []string{
				`3:3: feeds[0].timout: unknown key (did you mean "timeout"?)`,
				`8:21: feeds[1]: "<<" merges mappings, got "3"`,
			},
		},
		{
			file: "multi_doc.bad.yaml",
			want: []string{
				`2:1: a configuration file holds a single YAML document; remove the "---" separator`,
			},
		},
		{
			file: "not_mapping.bad.yaml",
			want: []string{
				`1:1: expected a mapping, got a list`,
			},
		},
		{
			file: "ranges.bad.yaml",
			want: []string{
				`1:11: database: must not be empty`,
				`2:9: listen: "localhost" is not host:port (for example "127.0.0.1:8080" or ":8080")`,
				`3:11: base_url: "ftp://example.com" is not an absolute http(s) URL`,
				`4:10: timeout: must be positive, got -5s`,
				`5:11: max_body: must be positive, got 0`,
				`6:14: concurrency: must be at least 1, got 0`,
				`7:13: user_agent: must not contain control characters such as newlines`,
				`11:14: feeds[0].timeout: must be positive, got 0s (leave it out to use the global timeout)`,
				`12:15: feeds[0].max_body: must be positive, got 0 (leave it out to use the global max_body)`,
				`13:12: feeds[0].tags[0]: must not be empty`,
				`16:12: outputs[0].limit: must be between 1 and 1000, got 0`,
				`18:12: outputs[1].limit: must be between 1 and 1000, got 1001`,
			},
		},
		{
			file: "lease.bad.yaml",
			want: []string{
				`2:8: lease: must be at least timeout (1m0s), got 30s: a poll outliving its lease may be taken over by another daemon`,
			},
		},
		{
			file: "feed_lease.bad.yaml",
			want: []string{
				`9:14: feeds[1].timeout: 2m0s is longer than lease (1m0s, lease, line 2): a poll outliving its lease may be taken over by another daemon`,
			},
		},
		{
			file: "syntax.bad.yaml",
			want: []string{
				`4: invalid YAML: did not find expected '-' indicator (check the indentation)`,
			},
		},
		{
			file: "syntax_tab.bad.yaml",
			want: []string{
				`2: invalid YAML: found character that cannot start any token (YAML does not allow tabs for indentation)`,
			},
		},
		{
			file: "outputs.bad.yaml",
			want: []string{
				`12:25: outputs[0].all_topics[1]: unknown topic "piece"`,
				`13:22: outputs[0].exclude_topics[0]: topic "war" is also in topics: no item could be in this output`,
				`14:18: outputs[0].feeds[1]: unknown feed "bcc" (did you mean "bbc"?)`,
				`14:23: outputs[0].feeds[2]: feed "bbc" is listed twice`,
				`15:21: outputs[0].query: expected a term after OR (at character 10 of the query)`,
				`16:14: outputs[0].max_age: must be positive, got 0s (leave it out to keep items of any age)`,
				"17:12: outputs[0].token: a token must have at least 16 characters (for example from `openssl rand -hex 16`)",
				`18:15: outputs[0].language: "english!" is not a language tag such as "en" or "pt-BR"`,
				`20:12: outputs[1].query: unknown topic "nope" (at character 1 of the query)`,
				`22:16: outputs[1].token_env: set token or token_env, not both`,
				`24:16: outputs[2].token_env: "1BAD" is not an environment variable name`,
			},
		},
		{
			file: "undefined_topic.bad.yaml",
			want: []string{
				`10:9: outputs[0].topics[1]: unknown topic "gloang" (did you mean "golang"?)`,
				`11:9: outputs[0].topics[2]: unknown topic "python"`,
				`13:9: outputs[0].topics[4]: topic "rust" is listed twice`,
			},
		},
		{
			file: "unknown_key.bad.yaml",
			want: []string{
				`1:1: feed: unknown key (did you mean "feeds"?)`,
				`7:5: feeds[0].titel: unknown key (did you mean "title"?)`,
				`8:5: feeds[0].shedule: unknown key (did you mean "schedule"?)`,
				`9:5: feeds[0].maxbody: unknown key (did you mean "max_body"?)`,
				`10:5: feeds[0].colour: unknown key`,
				`11:1: baseURL: unknown key (did you mean "base_url"?)`,
			},
		},
		{
			file: "wrong_type.bad.yaml",
			want: []string{
				`1:14: concurrency: "8" is not an integer but a quoted string; remove the quotes`,
				`2:10: timeout: "30" has no unit: write it as a duration such as "30s"`,
				`3:11: max_body: "lots" is not a size (examples: 1048576, "512KiB", "10MB", "1GiB")`,
				`5:3: feeds: expected a list, got a mapping`,
				`8:12: topics[0].match: expected a string, got a list`,
				`11:12: outputs[0].limit: "ten" is not an integer`,
				`12:13: outputs[0].topics: expected a list, got "go"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			c, err := Load(path)
			if err == nil {
				t.Fatalf("Load(%s) succeeded: %+v", path, c)
			}
			if c != nil {
				t.Errorf("Load(%s) returned a config with its error", path)
			}
			var got []string
			for _, e := range unjoin(err) {
				ce, ok := errors.AsType[*Error](e)
				if !ok {
					t.Errorf("error %q is a %T, want *config.Error", e, e)
					continue
				}
				if ce.File != path || ce.Line < 1 {
					t.Errorf("error %q has file %q, line %d; want %q and a line", e, ce.File, ce.Line, path)
				}
				got = append(got, strings.TrimPrefix(ce.Error(), path+":"))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Load(%s) errors:\n\t%s\nwant:\n\t%s", path, strings.Join(got, "\n\t"), strings.Join(tt.want, "\n\t"))
			}
		})
	}
}

// unjoin returns the errors joined in err.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// TestParseBadMatch checks that query errors land on the topic's match value.
// The messages and positions come from package topics, so the test asks it
// where each problem is rather than hard-coding its wording.
func TestParseBadMatch(t *testing.T) {
	if _, err := topics.Parse("golang AND ("); err == nil {
		t.Skip("package topics does not report syntax errors yet")
	}
	path := filepath.Join("testdata", "bad_match.bad.yaml")
	_, err := Load(path)
	if err == nil {
		t.Fatal("Load succeeded")
	}
	byKey := map[string]*Error{}
	for _, e := range unjoin(err) {
		ce, ok := errors.AsType[*Error](e)
		if !ok {
			t.Fatalf("error %q is a %T, want *config.Error", e, e)
		}
		if ce.File != path || ce.Line < 1 {
			t.Errorf("error %q lacks its file or line", ce)
		}
		byKey[ce.Key] = ce
	}
	for _, tt := range []struct {
		key, query string
		line       int
		col        func(pos int) int // the expected column of query rune pos
	}{
		{key: "topics[1].match", query: "golang AND (rust OR", line: 5, col: func(pos int) int { return 12 + pos - 1 }},
		{key: "topics[2].match", query: "rust AND", line: 7, col: func(pos int) int { return 13 + pos - 1 }},
		{key: "topics[3].match", query: "python OR\n(ruby AND\n", line: 10},
	} {
		e := byKey[tt.key]
		if e == nil {
			t.Errorf("no error for %s; got %v", tt.key, err)
			continue
		}
		_, cerr := topics.Compile([]topics.Def{{Name: "x", Match: tt.query}})
		se, ok := errors.AsType[*topics.SyntaxError](cerr)
		if !ok {
			t.Fatalf("topics.Compile(%q) = %v, want a *topics.SyntaxError", tt.query, cerr)
		}
		if !strings.Contains(e.Msg, se.Msg) {
			t.Errorf("%s: message %q does not include %q", tt.key, e.Msg, se.Msg)
		}
		if tt.col == nil {
			// A multi-line query: the problem is on its first or second line.
			if e.Line != tt.line && e.Line != tt.line+1 {
				t.Errorf("%s: line %d, want %d or %d", tt.key, e.Line, tt.line, tt.line+1)
			}
			continue
		}
		if e.Line != tt.line || e.Column != tt.col(se.Pos) {
			t.Errorf("%s: at %d:%d, want %d:%d (query position %d)", tt.key, e.Line, e.Column, tt.line, tt.col(se.Pos), se.Pos)
		}
	}
	if e := byKey["topics[0].match"]; e != nil {
		t.Errorf("valid query reported: %v", e)
	}
}

// TestQueryPosition checks the mapping from a position in a query to the file
// for each way YAML can write a string.
func TestQueryPosition(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		pos       int
		line, col int
	}{
		{name: "plain first", src: "match: ab OR cd\n", pos: 1, line: 1, col: 8},
		{name: "plain", src: "match: ab OR cd\n", pos: 4, line: 1, col: 11},
		{name: "plain end", src: "match: ab OR cd\n", pos: 9, line: 1, col: 16},
		{name: "plain multi-line", src: "match: ab OR\n  cd AND\n  ef\n", pos: 11, line: 2, col: 7},
		{name: "double quoted", src: `match: "ab OR cd"` + "\n", pos: 4, line: 1, col: 12},
		{name: "single quoted", src: `match: 'ab OR cd'` + "\n", pos: 1, line: 1, col: 9},
		{name: "literal", src: "match: |\n  ab OR\n  (cd AND\n", pos: 8, line: 3, col: 4},
		{name: "literal more indented", src: "match: |\n  ab OR\n    cd\n", pos: 9, line: 3, col: 5},
		{name: "literal blank line", src: "match: |\n  ab\n\n  cd\n", pos: 5, line: 4, col: 3},
		{name: "folded", src: "match: >\n  ab OR\n  (cd AND\n", pos: 8, line: 3, col: 4},
		{name: "folded blank line", src: "match: >\n  ab\n\n  cd\n", pos: 4, line: 4, col: 3},
		{name: "nested", src: "topics:\n  - name: x\n    match: >-\n      ab OR\n      (cd AND\n", pos: 13, line: 5, col: 13},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(tt.src), &doc); err != nil {
				t.Fatal(err)
			}
			n := findKey(&doc, "match")
			if n == nil {
				t.Fatal("no match key")
			}
			if r := []rune(n.Value); tt.pos <= len(r) {
				t.Logf("query %q, rune %d is %q", n.Value, tt.pos, r[tt.pos-1])
			}
			line, col := queryPosition(strings.Split(tt.src, "\n"), n, n.Value, tt.pos)
			if line != tt.line || col != tt.col {
				t.Errorf("queryPosition(%q, %d) = %d:%d, want %d:%d", n.Value, tt.pos, line, col, tt.line, tt.col)
			}
		})
	}
}

// findKey returns the value of the first mapping key named key under n.
func findKey(n *yaml.Node, key string) *yaml.Node {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i+1]
			}
		}
	}
	for _, c := range n.Content {
		if v := findKey(c, key); v != nil {
			return v
		}
	}
	return nil
}

func TestParseDefaults(t *testing.T) {
	tests := []struct {
		name, src string
		check     func(t *testing.T, c *Config)
	}{
		{
			name: "base_url follows listen",
			src:  "listen: 192.0.2.1:9000\n",
			check: func(t *testing.T, c *Config) {
				if c.BaseURL != "http://192.0.2.1:9000" {
					t.Errorf("BaseURL = %q", c.BaseURL)
				}
			},
		},
		{
			name: "base_url for an unspecified host",
			src:  "listen: :9000\n",
			check: func(t *testing.T, c *Config) {
				if c.BaseURL != "http://localhost:9000" {
					t.Errorf("BaseURL = %q", c.BaseURL)
				}
			},
		},
		{
			name: "base_url null is the default",
			src:  "listen: '[::]:9000'\nbase_url:\n",
			check: func(t *testing.T, c *Config) {
				if c.BaseURL != "http://localhost:9000" {
					t.Errorf("BaseURL = %q", c.BaseURL)
				}
			},
		},
		{
			name: "null list",
			src:  "feeds:\n",
			check: func(t *testing.T, c *Config) {
				if c.Feeds != nil {
					t.Errorf("Feeds = %v", c.Feeds)
				}
			},
		},
		{
			name: "database URL untouched",
			src:  "database: postgres://db.example/feedmill\n",
			check: func(t *testing.T, c *Config) {
				if c.Database != "postgres://db.example/feedmill" {
					t.Errorf("Database = %q", c.Database)
				}
			},
		},
		{
			name: "database file URI untouched",
			src:  "database: file:x.db?mode=ro\n",
			check: func(t *testing.T, c *Config) {
				if c.Database != "file:x.db?mode=ro" {
					t.Errorf("Database = %q", c.Database)
				}
			},
		},
		{
			name: "absolute database path untouched",
			src:  "database: /var/lib/feedmill/db\n",
			check: func(t *testing.T, c *Config) {
				if c.Database != "/var/lib/feedmill/db" {
					t.Errorf("Database = %q", c.Database)
				}
			},
		},
		{
			name: "relative database path",
			src:  "database: ../feedmill.db\n",
			check: func(t *testing.T, c *Config) {
				if want := filepath.Join("/etc/feedmill", "../feedmill.db"); c.Database != want {
					t.Errorf("Database = %q, want %q", c.Database, want)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(strings.NewReader(tt.src), "/etc/feedmill/feedmill.yaml")
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load of a missing file = %v, want os.ErrNotExist", err)
	}
}

func TestApplyEnv(t *testing.T) {
	c := Default()
	c.ApplyEnv(func(string) string { return "" })
	if c.Database != Default().Database {
		t.Errorf("empty environment changed Database to %q", c.Database)
	}
	env := map[string]string{"FEEDMILL_DATABASE_URL": "postgres://db/feedmill"}
	c.ApplyEnv(func(k string) string { return env[k] })
	if c.Database != "postgres://db/feedmill" {
		t.Errorf("Database = %q", c.Database)
	}
}

func TestFeedOverrides(t *testing.T) {
	c := Default()
	c.UserAgent = "global/1"
	inherit := Feed{Name: "a"}
	own := Feed{Name: "b", Schedule: "@hourly", Timeout: Duration(time.Second), UserAgent: "own/1", MaxBody: 5}
	if got := c.FeedSchedule(inherit); got != c.Schedule {
		t.Errorf("FeedSchedule(inherit) = %q", got)
	}
	if got := c.FeedSchedule(own); got != "@hourly" {
		t.Errorf("FeedSchedule(own) = %q", got)
	}
	if got := c.FeedTimeout(inherit); got != 30*time.Second {
		t.Errorf("FeedTimeout(inherit) = %v", got)
	}
	if got := c.FeedTimeout(own); got != time.Second {
		t.Errorf("FeedTimeout(own) = %v", got)
	}
	if got := c.FeedUserAgent(inherit); got != "global/1" {
		t.Errorf("FeedUserAgent(inherit) = %q", got)
	}
	if got := c.FeedUserAgent(own); got != "own/1" {
		t.Errorf("FeedUserAgent(own) = %q", got)
	}
	if got := c.FeedMaxBody(inherit); got != 10_000_000 {
		t.Errorf("FeedMaxBody(inherit) = %d", got)
	}
	if got := c.FeedMaxBody(own); got != 5 {
		t.Errorf("FeedMaxBody(own) = %d", got)
	}
}

func TestValidate(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Errorf("Default().Validate() = %v", err)
	}
	c := Default()
	c.Feeds = []Feed{{Name: "a", URL: "http://a.example/"}, {Name: "a", URL: "gopher://b"}}
	c.Outputs = []Output{{Name: "o", Topics: []string{"x"}}}
	want := []string{
		`feeds[1].name: duplicate feed name "a" (first used by feeds[0].name)`,
		`feeds[1].url: "gopher://b" is not an http(s) URL`,
		`outputs[0].topics[0]: unknown topic "x"`,
		`outputs[0].limit: must be between 1 and 1000, got 0`,
	}
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate succeeded")
	}
	if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, want) {
		t.Errorf("Validate errors:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

func TestSuggestion(t *testing.T) {
	keys := []string{"name", "url", "title", "tags", "schedule", "timeout", "user_agent", "max_body"}
	tests := []struct{ in, want string }{
		{"titel", "title"},
		{"nmae", "name"},
		{"Schedule", "schedule"},
		{"userAgent", "user_agent"},
		{"max-body", "max_body"},
		{"timeot", "timeout"},
		{"colour", ""},
		{"link", ""},
		{"uri", "url"},
	}
	for _, tt := range tests {
		want := ""
		if tt.want != "" {
			want = ` (did you mean "` + tt.want + `"?)`
		}
		if got := suggestion(tt.in, keys); got != want {
			t.Errorf("suggestion(%q) = %q, want %q", tt.in, got, want)
		}
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		err  Error
		want string
	}{
		{Error{File: "config.yaml", Line: 12, Column: 5, Key: "feeds[2].url", Msg: `"htp://x" is not an http(s) URL`},
			`config.yaml:12:5: feeds[2].url: "htp://x" is not an http(s) URL`},
		{Error{File: "config.yaml", Line: 3, Msg: "invalid YAML: oops"}, "config.yaml:3: invalid YAML: oops"},
		{Error{Key: "listen", Msg: "bad"}, "listen: bad"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

// FuzzParse checks the promise of Parse on any input: either a config, or
// errors that are all *Error values with the file and a line.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		c, err := Parse(strings.NewReader(string(src)), "f.yaml")
		if err == nil {
			if c == nil {
				t.Fatal("nil config without an error")
			}
			if verr := c.Validate(); verr != nil {
				t.Fatalf("Parse accepted a config that Validate rejects: %v", verr)
			}
			return
		}
		if c != nil {
			t.Fatal("config returned with an error")
		}
		for _, e := range unjoin(err) {
			ce, ok := errors.AsType[*Error](e)
			if !ok || ce.File != "f.yaml" || ce.Line < 1 {
				t.Fatalf("error %q (%T) lacks a file or line", e, e)
			}
		}
	})
}

func TestParseAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("x-tags: &t [")
	for i := range 2000 {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("t")
	}
	b.WriteString("]\nx-feed: &f {name: a, url: 'http://a.example/', tags: *t}\nfeeds: [")
	for i := range 2000 {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("*f")
	}
	b.WriteString("]\n")
	_, err := Parse(strings.NewReader(b.String()), "bomb.yaml")
	if err == nil || !strings.Contains(err.Error(), "bomb.yaml:3:") || !strings.Contains(err.Error(), "more than 200000 values") {
		t.Errorf("Parse of an alias bomb = %v", err)
	}
}

// TestApplyEnvToken: token_env fills the token, and an unset or weak
// variable is an error naming the output.
func TestApplyEnvToken(t *testing.T) {
	tests := []struct {
		value, wantErr string
	}{
		{"0123456789abcdef", ""},
		{"", "outputs[0].token_env: environment variable T: a token must have at least 16 characters"},
		{"0123456789 abcdef", "outputs[0].token_env: environment variable T: a token must be printable ASCII without spaces"},
	}
	for _, tt := range tests {
		c := Default()
		c.Outputs = []Output{{Name: "p", TokenEnv: "T", Limit: 1}}
		err := c.ApplyEnv(func(k string) string { return map[string]string{"T": tt.value}[k] })
		switch {
		case tt.wantErr == "" && (err != nil || c.Outputs[0].Token != tt.value):
			t.Errorf("%q: token %q, err %v", tt.value, c.Outputs[0].Token, err)
		case tt.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.wantErr)):
			t.Errorf("%q: err %v, want %s", tt.value, err, tt.wantErr)
		}
		if tt.wantErr == "" {
			if err := c.Validate(); err != nil {
				t.Errorf("Validate after ApplyEnv: %v", err)
			}
		}
	}
}

func TestParseStories(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       stories.Config
	}{
		{"defaults", "", stories.DefaultConfig()},
		{"some keys", "stories:\n  window: 2d\n  min_text: 0.5\n", func() stories.Config {
			c := stories.DefaultConfig()
			c.Window, c.MinText = 48*time.Hour, 0.5
			return c
		}()},
		{"every key", "stories:\n  window: 12h\n  same_text: 0.6\n  min_text: 0.3\n  title_shared: 2\n  title_overlap: 0.25\n  min_centre: 0.2\n",
			stories.Config{Window: 12 * time.Hour, SameText: 0.6, MinText: 0.3, MinTitleShared: 2, MinTitleOverlap: 0.25, MinCentre: 0.2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(strings.NewReader(tt.yaml), "feedmill.yaml")
			if err != nil {
				t.Fatal(err)
			}
			if got := c.StoriesConfig(); got != tt.want {
				t.Errorf("StoriesConfig() = %+v, want %+v", got, tt.want)
			}
			if err := c.StoriesConfig().Validate(); err != nil {
				t.Errorf("a valid file gives thresholds stories rejects: %v", err)
			}
		})
	}
	c, err := Parse(strings.NewReader("outputs:\n  - name: all\n    one_per_story: true\n"), "feedmill.yaml")
	if err != nil || !c.Outputs[0].OnePerStory {
		t.Errorf("one_per_story: %v, %+v", err, c)
	}
}

func TestAPIToken(t *testing.T) {
	tests := []struct {
		name, yaml, env, want, wantErr string
	}{
		{name: "none: the API is off", yaml: "listen: 127.0.0.1:1\n"},
		{name: "in the file", yaml: "api_token: 0123456789abcdef0123\n", want: "0123456789abcdef0123"},
		{name: "too short", yaml: "api_token: short\n", wantErr: "api.yaml:1:12: api_token: a token must have at least 16 characters"},
		{name: "empty", yaml: "api_token: \"\"\n", wantErr: "api_token: a token must have at least 16"},
		{name: "the environment wins", yaml: "api_token: 0123456789abcdef0123\n", env: "fedcba9876543210fedc", want: "fedcba9876543210fedc"},
		{name: "a short one in the environment", yaml: "listen: 127.0.0.1:1\n", env: "short", wantErr: "api_token: environment variable FEEDMILL_API_TOKEN: a token must have at least 16"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "api.yaml")
			os.WriteFile(path, []byte(tt.yaml), 0o644)
			c, err := Load(path)
			if err == nil {
				err = c.ApplyEnv(func(k string) string { return map[string]string{"FEEDMILL_API_TOKEN": tt.env}[k] })
			}
			switch {
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err %v, want %q", err, tt.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case c.APIToken != tt.want:
				t.Errorf("APIToken %q, want %q", c.APIToken, tt.want)
			}
		})
	}
}
