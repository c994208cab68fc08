package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeRules writes a config.yaml beside the database in dir with the
// given topic "peace" query, and returns its path.
func writeRules(t *testing.T, dir, feedURL, peace string) string {
	t.Helper()
	path := filepath.Join(dir, "config.yaml")
	cfg := fmt.Sprintf(`database: cli.db
feeds:
  - name: good
    url: %s
    tags: [wire]
topics:
  - name: peace
    match: %s
  - name: wire
    match: tag:wire
outputs:
  - name: peace
    topics: [peace]
  - name: all
`, feedURL, peace)
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRetagAfterRuleChange changes a topic's rule between runs of the real
// binary: explain shows why an item matched, topics test and topics diff
// preview without saving, fetch retags by itself when the rules changed,
// and retag applies what diff showed.
func TestRetagAfterRuleChange(t *testing.T) {
	_, cliCfg, _ := cliSetup(t)
	dir := filepath.Dir(cliCfg)
	feedURL := strings.TrimSuffix(readFeedURL(t, cliCfg), "\n")
	cfg := writeRules(t, dir, feedURL, "talks OR ceasefire")

	topicsByTitle := func(t *testing.T) map[string][]string {
		r := runFeedmill(t, nil, "--config", cfg, "items", "--json")
		m := map[string][]string{}
		for _, it := range decodeLines[itemLine](t, r.stdout) {
			m[it.Title] = it.Topics
		}
		return m
	}
	idOf := func(t *testing.T, title string) string {
		r := runFeedmill(t, nil, "--config", cfg, "items", "--json")
		for _, it := range decodeLines[itemJSON](t, r.stdout) {
			if it.Title == title {
				return fmt.Sprint(it.ID)
			}
		}
		t.Fatalf("no item %q", title)
		return ""
	}

	steps := []struct {
		name     string
		peace    string // when set, the rule is changed before the step
		args     []string
		code     int
		stdout   []string
		noStdout []string
		want     map[string][]string // topics by title after the step
	}{
		{name: "fetch tags at ingest", args: []string{"fetch", "good"}, stdout: []string{"2 new"},
			want: map[string][]string{"Peace talks resume": {"peace", "wire"}, "Markets calm": {"wire"}}},
		{name: "explain", args: []string{"explain", "@Peace talks resume"},
			stdout: []string{"peace\n", "talks", "in title", "wire\n", "wire                           in tag"}},
		{name: "explain --json", args: []string{"explain", "--json", "@Peace talks resume"},
			stdout: []string{`"topic":"peace","hits":[{"term":"talks","field":"title"}]`}},
		{name: "explain unknown item", args: []string{"explain", "999999"}, code: 1},
		{name: "explain bad id", args: []string{"explain", "x"}, code: 2},
		{name: "topics test", args: []string{"topics", "test", "markets OR calm", "--since", "100000d"},
			stdout: []string{"Markets calm", "markets (title), calm (title)", "1 of 2 items match"}, noStdout: []string{"Peace talks"}},
		{name: "topics test with a topic reference", args: []string{"topics", "test", "topic:peace -ceasefire", "--json"},
			stdout: []string{`"title":"Peace talks resume"`, `"term":"talks"`}},
		{name: "topics test bad query", args: []string{"topics", "test", "markets AND (calm"}, code: 2},
		{name: "diff with unchanged rules", args: []string{"topics", "diff"},
			stdout: []string{"topic peace: +0 -0", "output peace: +0 -0", "2 items checked: retag would change the topics of 0"}},
		{name: "diff of a changed rule saves nothing", peace: "markets OR ceasefire", args: []string{"topics", "diff"},
			stdout:   []string{"topic peace: +1 -1", "+", "Markets calm", "-", "Peace talks resume", "output peace: +1 -1", "topic wire: +0 -0"},
			noStdout: []string{"output all"},
			want:     map[string][]string{"Peace talks resume": {"peace", "wire"}, "Markets calm": {"wire"}}},
		{name: "fetch retags first when the rules changed", args: []string{"fetch", "good"}, stdout: []string{"unchanged since the last poll"},
			want: map[string][]string{"Peace talks resume": {"wire"}, "Markets calm": {"peace", "wire"}}},
		{name: "explain after retag", args: []string{"explain", "@Markets calm"}, stdout: []string{"peace\n", "markets", "in title"}},
		{name: "nothing left to retag", args: []string{"retag"}, stdout: []string{"retagged 2 items: 0 changed"}},
		{name: "retag one topic", peace: "resume OR calm", args: []string{"retag", "--topic", "peace"},
			stdout: []string{"retagged 2 items: 2 changed (1 topics added, 0 removed)"},
			want:   map[string][]string{"Peace talks resume": {"peace", "wire"}, "Markets calm": {"peace", "wire"}}},
		{name: "retag unknown topic", args: []string{"retag", "--topic", "nope"}, code: 2},
		{name: "retag --json", peace: "nothing", args: []string{"retag", "--json"},
			stdout: []string{`"items":2`, `"changed":2`, `"removed":2`, `"added":0`},
			want:   map[string][]string{"Peace talks resume": {"wire"}, "Markets calm": {"wire"}}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.peace != "" {
				writeRules(t, dir, feedURL, st.peace)
			}
			args := slices.Clone(st.args)
			for i, a := range args {
				if title, ok := strings.CutPrefix(a, "@"); ok {
					args[i] = idOf(t, title)
				}
			}
			r := runFeedmill(t, nil, append([]string{"--config", cfg}, args...)...)
			if r.code != st.code {
				t.Fatalf("exit %d, want %d\n%s%s", r.code, st.code, r.stdout, r.stderr)
			}
			for _, s := range st.stdout {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
				}
			}
			for _, s := range st.noStdout {
				if strings.Contains(r.stdout, s) {
					t.Errorf("stdout has %q:\n%s", s, r.stdout)
				}
			}
			if st.want != nil {
				got := topicsByTitle(t)
				for title, want := range st.want {
					if !slices.Equal(got[title], want) {
						t.Errorf("%q topics = %v, want %v", title, got[title], want)
					}
				}
			}
		})
	}
}

// readFeedURL returns the URL of the "good" feed of a cliSetup config.
func readFeedURL(t *testing.T, cfg string) string {
	t.Helper()
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if u, ok := strings.CutPrefix(strings.TrimSpace(line), "url: "); ok && strings.HasSuffix(u, "/good") {
			return u
		}
	}
	t.Fatal("no good feed in " + cfg)
	return ""
}
