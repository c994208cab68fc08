package server

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/feedgen"
	"github.com/feedmill/feedmill/storage"
)

// need returns the path of a client program, or skips the test when it is
// missing — except in CI (CI=true), where a missing client is a failure:
// scripts/deps.sh, run by `make test`, installs them.
func need(t *testing.T, name string, check ...string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil && len(check) > 0 {
		err = exec.Command(path, check...).Run()
	}
	if err != nil {
		msg := fmt.Sprintf("%s is not usable (%v): run scripts/deps.sh (Debian packages python3-feedparser, newsboat)", name, err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return path
}

// clientServer serves outputs from a real HTTP server whose base URL is its
// own address, with items in several topics, one without a link.
func clientServer(t *testing.T) (base string, outputs map[string][]string) {
	t.Helper()
	db, err := storage.Open(t.Context(), filepath.Join(t.TempDir(), "clients.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	stories := []struct {
		key, link, title string
		topics           []string
	}{
		{"guid:1", "https://example.org/1", "Talks resume in Abu Dhabi", []string{"war", "diplomacy"}},
		{"guid:22", "https://example.org/2", "Drone strikes overnight", []string{"war"}},
		{"guid:333", "", "A story without a link", []string{"diplomacy"}},
		{"guid:4444", "https://example.org/4?a=1&b=2", "Markets: “quiet” & <calm>", nil},
	}
	for _, s := range stories {
		add(t, db, s.key, s.link, s.title, s.topics...)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base = "http://" + ln.Addr().String()
	out := func(name, key string, q feedmill.ItemQuery) Output {
		return Output{Output: feedgen.Output{Name: name, Title: strings.ToUpper(name), BaseURL: base, Key: key, Language: "en"}, Select: q}
	}
	s := New(db, Config{MaxAge: time.Minute, Outputs: []Output{
		out("all", "", feedmill.ItemQuery{Limit: 50}),
		out("war", "", feedmill.ItemQuery{Topics: []string{"war"}, Limit: 50}),
		out("secret", "0123456789abcdef", feedmill.ItemQuery{ExcludeTopics: []string{"war"}, Limit: 50}),
	}})
	srv := &http.Server{Handler: s}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return base, map[string][]string{
		"/feeds/all":                            {"Markets: “quiet” & <calm>", "A story without a link", "Drone strikes overnight", "Talks resume in Abu Dhabi"},
		"/feeds/war":                            {"Drone strikes overnight", "Talks resume in Abu Dhabi"},
		"/feeds/secret.%s?key=0123456789abcdef": {"Markets: “quiet” & <calm>", "A story without a link"},
	}
}

// outputURLs lists every format of every output with the entries expected.
func outputURLs(base string, outputs map[string][]string) map[string][]string {
	urls := map[string][]string{}
	for path, titles := range outputs {
		for _, f := range feedgen.Formats {
			if strings.Contains(path, "%s") {
				urls[base+fmt.Sprintf(path, f)] = titles
			} else {
				urls[base+path+"."+string(f)] = titles
			}
		}
	}
	return urls
}

const feedparserScript = `
import json, sys, time, feedparser
out = []
for url in sys.argv[1:]:
    d = feedparser.parse(url)
    out.append({"url": url, "bozo": int(d.bozo), "exc": str(d.get("bozo_exception", "")), "entries": [
        {"title": e.get("title", ""), "link": e.get("link", ""), "id": e.get("id", ""),
         "date": bool(e.get("published_parsed") or e.get("updated_parsed")),
         "tags": [t.get("term") for t in e.get("tags", [])]} for e in d.entries]})
print(json.dumps({"version": feedparser.__version__, "results": out}))
`

// TestFeedparser: Python's feedparser reads every format of every output
// without complaint (bozo 0) and sees every entry with its title, id, date,
// link (when the item has one) and tags.
func TestFeedparser(t *testing.T) {
	python := "/usr/bin/python3" // Debian's python3-feedparser is for the system python
	if _, err := os.Stat(python); err != nil {
		python = "python3"
	}
	python = need(t, python, "-c", "import feedparser")
	base, outputs := clientServer(t)
	urls := outputURLs(base, outputs)
	args := []string{"-c", feedparserScript}
	for u := range urls {
		args = append(args, u)
	}
	if !feedparserJSON(t, python) {
		// JSON Feed support came in feedparser 6.1 (Debian 12 has 6.0).
		args = slices.DeleteFunc(args, func(a string) bool { return strings.Contains(a, ".json") })
	}
	b, err := exec.CommandContext(t.Context(), python, args...).Output()
	if err != nil {
		t.Fatalf("feedparser: %v", err)
	}
	var doc struct {
		Results []struct {
			URL     string
			Bozo    int
			Exc     string
			Entries []struct {
				Title, Link, ID string
				Date            bool
				Tags            []string
			}
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	if len(doc.Results) == 0 {
		t.Fatal("feedparser read nothing")
	}
	for _, r := range doc.Results {
		want := urls[r.URL]
		if r.Bozo != 0 {
			t.Errorf("%s: bozo=1: %s", r.URL, r.Exc)
		}
		if len(r.Entries) != len(want) {
			t.Errorf("%s: %d entries, want %d", r.URL, len(r.Entries), len(want))
			continue
		}
		for i, e := range r.Entries {
			if e.Title != want[i] || !strings.HasPrefix(e.ID, "tag:feedmill,2026:item/") || !e.Date {
				t.Errorf("%s entry %d: %+v, want title %q with an id and a date", r.URL, i, e, want[i])
			}
			if e.Title != "A story without a link" && !strings.HasPrefix(e.Link, "https://example.org/") {
				t.Errorf("%s entry %d: link %q", r.URL, i, e.Link)
			}
			if strings.Contains(e.Title, "Drone") && (len(e.Tags) != 1 || e.Tags[0] != "war") {
				t.Errorf("%s entry %d: tags %q", r.URL, i, e.Tags)
			}
		}
	}
}

// TestNewsboat: newsboat reloads every output, each into its own cache
// (newsboat keeps one article per guid across feeds), and stores every
// entry.
func TestNewsboat(t *testing.T) {
	newsboat := need(t, "newsboat", "-v")
	base, outputs := clientServer(t)
	for u, titles := range outputURLs(base, outputs) {
		if strings.HasSuffix(strings.SplitN(u, "?", 2)[0], ".json") && !newsboatJSON(newsboat) {
			continue // JSON Feed needs newsboat 2.22 or later
		}
		t.Run(u, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for name, content := range map[string]string{"urls": u + "\n", "config": ""} {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			run := func(args ...string) string {
				cmd := exec.CommandContext(t.Context(), newsboat, append([]string{"-u", filepath.Join(dir, "urls"),
					"-c", filepath.Join(dir, "cache.db"), "-C", filepath.Join(dir, "config")}, args...)...)
				cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+dir, "XDG_DATA_HOME="+dir)
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("newsboat %s: %v\n%s", strings.Join(args, " "), err, out)
				}
				return string(out)
			}
			run("-x", "reload")
			got := strings.TrimSpace(run("-x", "print-unread"))
			if want := fmt.Sprintf("%d unread articles", len(titles)); got != want {
				t.Errorf("newsboat: %q, want %q", got, want)
			}
		})
	}
}

// newsboatJSON reports whether this newsboat reads JSON Feed (2.22+).
func newsboatJSON(path string) bool {
	out, _ := exec.Command(path, "-v").Output()
	var major, minor int
	fmt.Sscanf(strings.TrimPrefix(strings.Fields(string(out) + " ")[0], "newsboat"), "r%d.%d", &major, &minor)
	if f := strings.Fields(string(out)); len(f) > 1 {
		fmt.Sscanf(f[1], "r%d.%d", &major, &minor)
	}
	return major > 2 || (major == 2 && minor >= 22)
}

// feedparserJSON reports whether the feedparser python has reads JSON Feed.
func feedparserJSON(t *testing.T, python string) bool {
	out, err := exec.CommandContext(t.Context(), python, "-c", "import feedparser; print(feedparser.__version__)").Output()
	if err != nil {
		return false
	}
	var major, minor int
	fmt.Sscanf(string(out), "%d.%d", &major, &minor)
	return major > 6 || (major == 6 && minor >= 1)
}
