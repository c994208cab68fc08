package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedmill/feedmill/normalize"
	"github.com/mmcdole/gofeed"
)

// snapshots lists, per source, the snapshot files of the given corpus
// directories in poll order, as their INDEX.tsv gives them.
func snapshots(t *testing.T, shared string, dirs ...string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, dir := range dirs {
		root := filepath.Join(shared, "corpus", dir)
		f, err := os.Open(filepath.Join(root, "INDEX.tsv"))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			cols := strings.Split(sc.Text(), "\t")
			if len(cols) < 3 {
				continue
			}
			// Sources of different directories may share a name.
			name := cols[0]
			if _, clash := out[name]; clash && !strings.HasPrefix(out[name][0], root) {
				name = dir + "-" + name
			}
			out[name] = append(out[name], filepath.Join(root, cols[2]))
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	for _, files := range out {
		sort.Strings(files) // file names are timestamps
	}
	return out
}

// unionFind groups served items into the distinct items a correct
// aggregator stores: two served items are one item when they share their
// feed and key (the same item polled again), their article link (the same
// article in several feeds, or an item whose link changed) or their title
// and body (the same article republished with a new guid and link).
type unionFind struct{ parent map[string]string }

func (u *unionFind) find(x string) string {
	if _, ok := u.parent[x]; !ok {
		u.parent[x] = x
	}
	for u.parent[x] != x {
		u.parent[x] = u.parent[u.parent[x]]
		x = u.parent[x]
	}
	return x
}

func (u *unionFind) union(a, b string) { u.parent[u.find(a)] = u.find(b) }

// items counts the groups that hold at least one served item.
func (u *unionFind) items() int {
	roots := map[string]bool{}
	for x := range u.parent {
		if strings.HasPrefix(x, "key\x00") {
			roots[u.find(x)] = true
		}
	}
	return len(roots)
}

// servedItem is one item of a served document, as the test sees it.
type servedItem struct {
	key, link, title string
	// content is the served content, else the summary.
	content string
}

// expectItems reads a served document the way the test expects feedmill
// to identify its items; it is written from the rules in the README, not
// from the pipeline's code.
func expectItems(feed *gofeed.Feed, feedURL string) []servedItem {
	base := feedURL
	if feed.Link != "" {
		if l, err := normalize.CanonicalURL(feed.Link, feedURL); err == nil {
			base = l
		}
	}
	var items []servedItem
	linksOfGUID := map[string]map[string]bool{}
	for _, it := range feed.Items {
		guid := strings.TrimSpace(it.GUID)
		candidates := append([]string{it.Link}, it.Links...)
		if strings.HasPrefix(guid, "http://") || strings.HasPrefix(guid, "https://") {
			candidates = append(candidates, guid)
		}
		link := ""
		for _, c := range candidates {
			if strings.TrimSpace(c) == "" {
				continue
			}
			if l, err := normalize.CanonicalURL(c, base); err == nil {
				link = l
				break
			}
		}
		content := it.Content
		if strings.TrimSpace(content) == "" {
			content = it.Description
		}
		items = append(items, servedItem{key: normalize.Key(guid, link, it.Title, content), link: link, title: it.Title, content: content})
		if guid != "" {
			if linksOfGUID[guid] == nil {
				linksOfGUID[guid] = map[string]bool{}
			}
			linksOfGUID[guid][link] = true
		}
	}
	// A guid the document gives to items with different links does not
	// identify them: the link is part of their key.
	for i, it := range feed.Items {
		if g := strings.TrimSpace(it.GUID); len(linksOfGUID[g]) > 1 {
			items[i].key = "guid:" + g + "|" + items[i].link
		}
	}
	// Within one document, a repeated key is the same item.
	seen := map[string]bool{}
	var out []servedItem
	for _, it := range items {
		if !seen[it.key] {
			seen[it.key] = true
			out = append(out, it)
		}
	}
	return out
}

type itemLine struct {
	ID        int64    `json:"id"`
	Feed      string   `json:"feed"`
	Title     string   `json:"title"`
	Link      string   `json:"link"`
	Published string   `json:"published"`
	Topics    []string `json:"topics"`
	Sources   []struct {
		Feed string `json:"feed"`
		Link string `json:"link"`
	} `json:"sources"`
	Story int64 `json:"story"`
}

// TestEndToEndCorpus runs the real binary against a local server that
// serves, poll after poll, consecutive snapshots of real news feeds, and
// checks after every poll what a user would: every served item is stored
// exactly once, and the outputs are valid feeds without duplicates.
func TestEndToEndCorpus(t *testing.T) {
	shared := sharedDir(t)
	sources := snapshots(t, shared, "news", "news-2026")
	names := make([]string, 0, len(sources))
	polls := 0
	for name, files := range sources {
		names = append(names, name)
		polls = max(polls, len(files))
	}
	sort.Strings(names)

	var mu sync.Mutex
	poll := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		files, ok := sources[strings.TrimPrefix(r.URL.Path, "/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		p := poll
		mu.Unlock()
		// Like a real server: an ETag per version of the document, so a poll
		// of an unchanged snapshot is a conditional GET answered with 304.
		body, err := os.ReadFile(files[min(p, len(files)-1)])
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("ETag", fmt.Sprintf(`"%x"`, sha256.Sum256(body)))
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
	}))
	defer srv.Close()

	dir := t.TempDir()
	listen := freeAddr(t)
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "database: %s\nlisten: %s\nschedule: \"@every 1000h\"\nconcurrency: 4\nfeeds:\n", filepath.Join(dir, "e2e.db"), listen)
	for _, n := range names {
		fmt.Fprintf(&cfg, "  - name: %s\n    url: %s/%s\n", n, srv.URL, n)
	}
	cfg.WriteString(`topics:
  - name: russia
    match: russia OR russian OR moscow OR kremlin OR putin
  - name: afghanistan
    match: afghanistan OR taliban OR kabul
outputs:
  - name: everything
    limit: 1000
  - name: newest
    limit: 25
  - name: russia
    topics: [russia]
  - name: news-of-asia
    topics: [afghanistan, russia]
    limit: 100
  - name: stories
    one_per_story: true
    limit: 1000
`)
	configPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(configPath, []byte(cfg.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runFeedmill(t, nil, "--config", configPath, "check"); r.code != 0 {
		t.Fatalf("check failed: %s%s", r.stdout, r.stderr)
	}
	d := startDaemon(t, configPath, listen)

	uf := &unionFind{parent: map[string]string{}}
	total := 0
	for p := range polls {
		mu.Lock()
		poll = p
		mu.Unlock()

		// What this poll serves, read independently of feedmill.
		wantFail := map[string]bool{}
		var served []servedItem // this poll's items; older ones may have changed link since
		for _, n := range names {
			files := sources[n]
			body, err := os.ReadFile(files[min(p, len(files)-1)])
			if err != nil {
				t.Fatal(err)
			}
			feed, err := gofeed.NewParser().Parse(bytes.NewReader(body))
			if err != nil {
				wantFail[n] = true // e.g. the LA Times' HTML error pages
				continue
			}
			for _, it := range expectItems(feed, srv.URL+"/"+n) {
				k := "key\x00" + n + "\x00" + it.key
				uf.find(k)
				if it.link != "" {
					uf.union(k, "link\x00"+normalize.DedupLink(it.link))
				}
				// The same title and body (long enough) republished under
				// another guid and link, in any feed.
				if ck := normalize.ContentKey(it.title, it.content); ck != "" {
					uf.union(k, "content\x00"+ck)
				}
				served = append(served, it)
				total++
			}
		}

		r := runFeedmill(t, nil, "--config", configPath, "fetch")
		wantCode := 0
		if len(wantFail) > 0 {
			wantCode = 1
		}
		if r.code != wantCode {
			t.Fatalf("poll %d: fetch exit code %d, want %d\n%s%s", p, r.code, wantCode, r.stdout, r.stderr)
		}
		for _, n := range names {
			line := lineFor(r.stdout, n)
			if wantFail[n] != strings.Contains(line, "error:") {
				t.Errorf("poll %d: feed %s: got %q, want failure=%v", p, n, line, wantFail[n])
			}
			last := len(sources[n]) - 1
			if sameAsBefore := p > 0 && min(p, last) == min(p-1, last); sameAsBefore && !wantFail[n] &&
				!strings.Contains(line, "not modified (HTTP 304)") {
				t.Errorf("poll %d: feed %s served the same version again with the same ETag: got %q, want a 304", p, n, line)
			}
		}
		if !strings.Contains(r.stdout, fmt.Sprintf("total: %d feeds, %d failed,", len(names), len(wantFail))) {
			t.Errorf("poll %d: no correct total line in:\n%s", p, r.stdout)
		}

		r = runFeedmill(t, nil, "--config", configPath, "items", "--json", "--limit", "0")
		if r.code != 0 {
			t.Fatalf("items: %s", r.stderr)
		}
		items := decodeLines[itemLine](t, r.stdout)
		if want := uf.items(); len(items) != want {
			t.Fatalf("poll %d: %d items stored, want %d distinct items served so far", p, len(items), want)
		}
		links := map[string]bool{}
		titles := map[string]bool{}
		for _, it := range items {
			links[it.Link] = true
			titles[it.Title] = true
			for _, s := range it.Sources {
				links[s.Link] = true
			}
			if it.ID == 0 || it.Feed == "" || it.Published == "" || len(it.Sources) == 0 || it.Topics == nil {
				t.Fatalf("poll %d: incomplete item line %+v", p, it)
			}
		}
		for _, s := range served {
			if s.link != "" && !links[s.link] {
				t.Errorf("poll %d: served item %q (%s) missing from items --json", p, s.title, s.link)
			}
			if s.link == "" && !titles[normalize.Title(s.title)] {
				t.Errorf("poll %d: served item without link %q missing from items --json", p, s.title)
			}
		}
		checkOutputs(t, d.base, p, len(items))
		if t.Failed() {
			t.FailNow()
		}
		if p == polls-1 {
			checkStories(t, configPath, d.base, items)
		}
	}
	t.Logf("%d polls of %d feeds: %d distinct items from %d served", polls, len(names), uf.items(), total)
}

// storyLine is a line of `feedmill stories --json`.
type storyLine struct {
	ID    *int64 `json:"id"`
	Title string `json:"title"`
	Items []struct {
		ID        int64  `json:"id"`
		Feed      string `json:"feed"`
		Title     string `json:"title"`
		Link      string `json:"link"`
		Published string `json:"published"`
	} `json:"items"`
}

// checkStories checks the stories of the stored corpus as a user would:
// `stories --json` has the documented shape and agrees with `items --json`,
// stories exist, none joins two items that a person reading them judged to
// be different events (the labelled pairs of the stories package), and the
// one-per-story output shows each story once.
func checkStories(t *testing.T, configPath, base string, items []itemLine) {
	t.Helper()
	r := runFeedmill(t, nil, "--config", configPath, "stories", "--json", "--since", "0", "--limit", "0")
	if r.code != 0 {
		t.Fatalf("stories: %s", r.stderr)
	}
	storyOf := map[int64]int64{} // item id → story, from items --json
	for _, it := range items {
		storyOf[it.ID] = it.Story
		if it.Story == 0 {
			t.Errorf("item %d %q has no story", it.ID, it.Title)
		}
	}
	list := decodeLines[storyLine](t, r.stdout)
	for _, s := range list {
		if s.ID == nil || s.Title == "" || len(s.Items) < 2 {
			t.Fatalf("stories --json line without id, title or two items: %+v", s)
		}
		for _, it := range s.Items {
			if it.ID == 0 || it.Feed == "" || it.Title == "" || it.Published == "" {
				t.Errorf("story %d: incomplete item %+v", *s.ID, it)
			}
			if storyOf[it.ID] != *s.ID {
				t.Errorf("story %d lists item %d, whose story in items --json is %d", *s.ID, it.ID, storyOf[it.ID])
			}
		}
		// A story far larger than any event's coverage is a chain.
		if len(s.Items) > 20 {
			t.Errorf("story %d %q has %d items", *s.ID, s.Title, len(s.Items))
		}
	}
	if len(list) < 20 {
		t.Errorf("%d stories of two items or more in the corpus, want at least 20", len(list))
	}

	// Every link an item was carried under names its item.
	byLink := map[string]int64{}
	for _, it := range items {
		byLink[normalize.DedupLink(it.Link)] = it.ID
		for _, s := range it.Sources {
			byLink[normalize.DedupLink(s.Link)] = it.ID
		}
	}
	pairs, err := os.ReadFile("../../stories/testdata/pairs.tsv")
	if err != nil {
		t.Fatal(err)
	}
	// A pair whose two links link dedup merged into one item says
	// nothing about story grouping: it is counted apart.
	same, wrong, found, merged := 0, 0, 0, 0
	for _, line := range strings.Split(string(pairs), "\n") {
		c := strings.Split(line, "\t")
		if len(c) != 8 || strings.HasPrefix(line, "#") {
			continue
		}
		key := func(link string) string {
			l, err := normalize.CanonicalURL(strings.TrimSpace(link), "")
			if err != nil {
				return ""
			}
			return normalize.DedupLink(l)
		}
		ia, okA := byLink[key(c[2])]
		ib, okB := byLink[key(c[5])]
		if !okA || !okB {
			continue
		}
		found++
		if ia == ib {
			merged++
			if c[6] == "0" {
				t.Logf("link dedup merged two different events (%s) into item %d: %s and %s", c[7], ia, c[2], c[5])
			}
			continue
		}
		a, b := storyOf[ia], storyOf[ib]
		switch {
		case c[6] == "0" && a == b:
			wrong++
			t.Logf("one story holds two different events (%s): %s and %s", c[7], c[2], c[5])
		case c[6] == "1" && a == b:
			same++
		}
	}
	if found-merged < 150 {
		t.Errorf("only %d labelled pairs found among the stored items as two items (%d more as one)", found-merged, merged)
	}
	// The bar of the stories package's quality test, on items grouped as
	// they arrived poll after poll rather than in publication order.
	if precision := float64(same) / float64(max(same+wrong, 1)); precision < 0.95 || same == 0 {
		t.Errorf("labelled pairs: %d same-event pairs in one story, %d different-event pairs in one story: precision %.3f, want at least 0.95",
			same, wrong, precision)
	}
	t.Logf("%d stories; %d labelled pairs stored, %d of them merged into one item by link dedup; of the %d stored as two items, %d same-event and %d different-event pairs in one story",
		len(list), found, merged, found-merged, same, wrong)

	// The one-per-story output lists no story twice.
	resp, err := http.Get(base + "/feeds/stories.json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	feed, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]string{}
	also := 0
	for _, it := range feed.Items {
		s, ok := byLink[normalize.DedupLink(it.Link)]
		if !ok || it.Link == "" {
			continue
		}
		if prev, dup := seen[s]; dup {
			t.Errorf("one_per_story output lists story %d twice: %s and %s", s, prev, it.Link)
		}
		seen[s] = it.Link
		if strings.Contains(it.Content, "Also reported by: <a href=\"http") {
			also++
		}
	}
	if also == 0 {
		t.Error("no entry of the one_per_story output names other sources")
	}
}

// lineFor returns the fetch line of feed name.
func lineFor(out, name string) string {
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == name {
			return l
		}
	}
	return ""
}

// checkOutputs reads every output in every format from the daemon, as a
// feed reader would.
func checkOutputs(t *testing.T, base string, poll, stored int) {
	t.Helper()
	want := map[string]int{"everything": min(stored, 1000), "newest": min(stored, 25)}
	for _, name := range []string{"everything", "newest", "russia", "news-of-asia"} {
		var counts []int
		for _, ext := range []string{"rss", "atom", "json"} {
			url := base + "/feeds/" + name + "." + ext
			resp, err := http.Get(url)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("poll %d: GET %s: %d", poll, url, resp.StatusCode)
			}
			feed, err := gofeed.NewParser().Parse(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("poll %d: %s does not parse: %v", poll, url, err)
			}
			seenLinks := map[string]bool{}
			seenIDs := map[string]bool{}
			for _, it := range feed.Items {
				if it.Link != "" && seenLinks[it.Link] {
					t.Errorf("poll %d: %s: duplicate link %s", poll, url, it.Link)
				}
				if seenIDs[it.GUID] {
					t.Errorf("poll %d: %s: duplicate id %s", poll, url, it.GUID)
				}
				seenLinks[it.Link], seenIDs[it.GUID] = true, true
				if it.Title == "" || it.GUID == "" || it.PublishedParsed == nil {
					t.Errorf("poll %d: %s: entry without title, id or date: %+v", poll, url, it)
				}
			}
			if name == "russia" {
				for _, it := range feed.Items {
					if !slices.Contains(it.Categories, "russia") {
						t.Errorf("poll %d: %s: entry %q lacks its topic category", poll, url, it.Title)
					}
				}
			}
			counts = append(counts, len(feed.Items))
		}
		if counts[0] != counts[1] || counts[1] != counts[2] {
			t.Errorf("poll %d: output %s has %v entries in rss/atom/json", poll, name, counts)
		}
		if w, ok := want[name]; ok && counts[0] != w {
			t.Errorf("poll %d: output %s has %d entries, want %d", poll, name, counts[0], w)
		}
	}
}
