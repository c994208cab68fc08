package stories

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/feedmill/feedmill/normalize"
)

// corpusDir is the shared corpus of real feed snapshots, relative to this
// package. It lives outside the repository (its text belongs to the
// publishers), so tests that need it skip when it is absent.
const corpusDir = "../../shared/corpus"

// corpusFeeds are the feed directories whose snapshots cover the same events
// in the same hours: the 2021 set and the Aug 2026 set.
var corpusFeeds = []string{
	"news/aljazeera-english-youtube", "news/bbc-news-home", "news/cnn-top-stories",
	"news/dailymail-home", "news/foxnews-latest", "news/latimes", "news/nytimes-homepage",
	"news/nzherald", "news/rnz-headlines", "news/smh-top-news",
	"news-2026/aljazeera-all", "news-2026/amarbangla-bn", "news-2026/bbc-world",
	"news-2026/indiatoday-home", "news-2026/mehr-english", "news-2026/nytimes-homepage",
	"news-2026/nytimes-world",
}

// corpusItem is one item of the corpus, first seen in Feed's File.
type corpusItem struct {
	Feed, File string
	Link       string
	Key        string // normalize.DedupLink of the canonical link
	Title      string
	Content    string
	Published  time.Time
}

// corpusCache keeps the parsed corpus for the tests of one process.
var corpusCache []*corpusItem

// loadCorpus parses every snapshot of corpusFeeds and returns each distinct
// item (by feed and link) once, in publication order.
func loadCorpus(tb testing.TB) (items []*corpusItem) {
	tb.Helper()
	if corpusCache != nil {
		return corpusCache
	}
	defer func() { corpusCache = items }()
	if _, err := os.Stat(corpusDir); err != nil {
		tb.Skipf("corpus not available: %v", err)
	}
	seen := map[string]bool{}
	p := gofeed.NewParser()
	for _, dir := range corpusFeeds {
		files, _ := filepath.Glob(filepath.Join(corpusDir, dir, "*.xml"))
		sort.Strings(files)
		for _, f := range files {
			fh, err := os.Open(f)
			if err != nil {
				tb.Fatal(err)
			}
			feed, err := p.Parse(fh)
			fh.Close()
			if err != nil {
				continue // the LA Times 403 pages
			}
			snap, _ := time.Parse("20060102T150405Z", strings.TrimSuffix(filepath.Base(f), ".xml"))
			for _, it := range feed.Items {
				link, err := normalize.CanonicalURL(it.Link, feed.Link)
				if err != nil || link == "" {
					continue
				}
				key := normalize.DedupLink(link)
				if seen[dir+"\t"+key] {
					continue
				}
				seen[dir+"\t"+key] = true
				content := it.Content
				if content == "" {
					content = it.Description
				}
				pub := snap
				if it.PublishedParsed != nil {
					pub = *it.PublishedParsed
				} else if it.UpdatedParsed != nil {
					pub = *it.UpdatedParsed
				}
				if pub.After(snap) {
					pub = snap
				}
				items = append(items, &corpusItem{
					Feed: dir, File: filepath.Base(f), Link: it.Link, Key: key,
					Title: normalize.Title(it.Title), Content: content, Published: pub,
				})
			}
		}
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].Published.Before(items[j].Published) })
	return items
}
