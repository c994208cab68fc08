package feedgen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/fetcher"
	"github.com/feedmill/feedmill/normalize"
)

// allowedWarnings are the W3C validator's warnings that a faithful output
// cannot always avoid, with the reason.
var allowedWarnings = map[string]string{
	// Items first seen in the same poll without dates of their own, or
	// published at the same second by their source, share an updated time.
	"DuplicateUpdated": "entries that really were updated at the same second",
}

// TestW3CValidator runs the W3C feed validator, the reference the issue
// names, over RSS and Atom renderings of the spec cases and of the latest
// snapshot of every feed in ../shared/corpus. The validator is not
// packaged by Debian nor on a reachable registry, so it runs only where a
// checkout of github.com/w3c/feedvalidator is named by
// FEEDMILL_FEEDVALIDATOR (its src/ directory), with the Debian packages
// python3-html5lib, python3-rdflib and python3-lxml installed.
func TestW3CValidator(t *testing.T) {
	dir := os.Getenv("FEEDMILL_FEEDVALIDATOR")
	if dir == "" {
		t.Skip("FEEDMILL_FEEDVALIDATOR is not set to a github.com/w3c/feedvalidator src/ directory")
	}
	python := "/usr/bin/python3"
	tmp := t.TempDir()
	if d := os.Getenv("W3C_KEEP"); d != "" {
		tmp = d
	}
	var args []string
	write := func(name string, o Output, items []feedmill.Item) {
		for _, f := range []Format{RSS, Atom} {
			b, err := Render(o, items, f)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(tmp, name+"."+string(f))
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			args = append(args, path, o.selfURL(f))
		}
	}
	for name, c := range specCases() {
		write("spec-"+name, c.out, c.items)
	}
	corpus := 0
	for name, items := range corpusItems(t) {
		o := Output{Name: name, Title: name, BaseURL: "http://127.0.0.1:8080",
			Sources: map[string]SourceFeed{name: {Title: name, URL: "https://" + name + ".example/feed"}}}
		write("corpus-"+name, o, items)
		corpus++
	}
	t.Logf("validating %d documents (%d from the corpus)", len(args)/2, 2*corpus)

	cmd := exec.Command(python, append([]string{"testdata/w3c_validate.py"}, args...)...)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("validator: %v\n%s", err, stderr.Bytes())
	}
	checked := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r struct {
			File         string   `json:"file"`
			Errors       []string `json:"errors"`
			Warnings     []string `json:"warnings"`
			WarningKinds []string `json:"warning_kinds"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("validator output %q: %v", sc.Text(), err)
		}
		checked++
		for _, e := range r.Errors {
			t.Errorf("%s: error: %s", filepath.Base(r.File), e)
		}
		for i, w := range r.Warnings {
			if i < len(r.WarningKinds) && allowedWarnings[r.WarningKinds[i]] != "" {
				t.Logf("%s: allowed warning: %s", filepath.Base(r.File), w)
				continue
			}
			t.Errorf("%s: warning: %s", filepath.Base(r.File), w)
		}
	}
	if checked != len(args)/2 {
		t.Fatalf("validator reported on %d documents, want %d", checked, len(args)/2)
	}
}

// corpusItems normalizes the newest snapshot of each feed in the shared
// corpus, as the pipeline would, into at most 50 items per feed.
func corpusItems(t *testing.T) map[string][]feedmill.Item {
	root := filepath.Join("..", "..", "shared", "corpus")
	if _, err := os.Stat(root); err != nil {
		t.Log("../shared/corpus is absent: validating the spec cases only")
		return nil
	}
	n := normalize.New(normalize.NewCanonicalizer())
	now := time.Now().Add(-time.Minute) // the validator finds future dates implausible
	out := map[string][]feedmill.Item{}
	dirs, _ := filepath.Glob(filepath.Join(root, "*", "*"))
	id := int64(1)
	for _, d := range dirs {
		files, _ := filepath.Glob(filepath.Join(d, "*.*"))
		if len(files) == 0 {
			continue
		}
		body, err := os.ReadFile(files[len(files)-1])
		if err != nil {
			t.Fatal(err)
		}
		feed, err := fetcher.Parse(body)
		if err != nil {
			continue // HTML pages and the like: not feeds, nothing to render
		}
		name := filepath.Base(d)
		items := n.Feed(name, feed, "https://"+name+".example/feed", now, nil)
		if len(items) > 50 {
			items = items[:50]
		}
		for i := range items {
			items[i].ID = id
			id++
			if items[i].Published.IsZero() {
				items[i].Published = now
			}
		}
		out[name+"-"+strconv.Itoa(len(out))] = items
	}
	return out
}
