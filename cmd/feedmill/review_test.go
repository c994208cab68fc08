package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/config"
	"github.com/feedmill/feedmill/fetcher"
	"github.com/feedmill/feedmill/normalize"
	"github.com/feedmill/feedmill/poller"
)

// corpusItems parses every snapshot of the shared news corpora with gofeed
// and normalizes the items as ingest does, one per link (or title).
func corpusItems(t *testing.T) []feedmill.Item {
	t.Helper()
	root := filepath.Join(sharedDir(t), "corpus")
	var files []string
	for _, dir := range []string{"news", "news-2026", "news-ru-ua"} {
		m, _ := filepath.Glob(filepath.Join(root, dir, "*", "*"))
		files = append(files, m...)
	}
	sort.Strings(files)
	n := normalize.New(nil)
	seen := map[string]bool{}
	var items []feedmill.Item
	now := time.Now()
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := fetcher.Parse(body)
		if err != nil {
			continue // error pages kept in the corpus on purpose
		}
		feed := filepath.Base(filepath.Dir(f))
		for _, it := range n.Identify(feed, doc, "https://"+feed+".example/").Items(now, nil) {
			key := it.LinkKey
			if key == "" {
				key = it.Title
			}
			if seen[key] {
				continue
			}
			seen[key] = true
			it.Text = normalize.Text(it.Content)
			it.Lang = doc.Language
			items = append(items, it)
		}
	}
	return items
}

// TestReviewShippedTopics prints, for every topic of the shipped
// config.yaml, how many corpus items it matches and some of their titles,
// to read false positives and misses. It runs with FEEDMILL_REVIEW=1
// (FEEDMILL_REVIEW=all prints every title, =dump every item with its topics, =miss:TOPIC:WORD prints the
// items with WORD in the title that TOPIC does not match).
func TestReviewShippedTopics(t *testing.T) {
	mode := os.Getenv("FEEDMILL_REVIEW")
	if mode == "" {
		t.Skip("set FEEDMILL_REVIEW=1 to print the review")
	}
	cfg, err := config.Load("../../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tagger, _, err := rules(cfg)
	if err != nil {
		t.Fatal(err)
	}
	items := corpusItems(t)
	byTopic := map[string][]string{}
	matched := map[string][]string{}
	for i := range items {
		it := &items[i]
		for _, m := range poller.Tag(tagger.Set, it, nil) {
			byTopic[m.Topic] = append(byTopic[m.Topic], fmt.Sprintf("[%s] %s  {%s}", it.Feed, it.Title, describeHits(m.Hits)))
			matched[it.Title] = append(matched[it.Title], m.Topic)
		}
	}
	fmt.Printf("%d distinct corpus items\n", len(items))
	if mode == "dump" {
		for _, it := range items {
			fmt.Printf("DUMP %v [%s] %s | %.300s\n", matched[it.Title], it.Feed, it.Title, it.Text)
		}
		return
	}
	if topic, word, ok := strings.Cut(strings.TrimPrefix(mode, "miss:"), ":"); ok && strings.HasPrefix(mode, "miss:") {
		for _, it := range items {
			if strings.Contains(strings.ToLower(it.Title+" "+it.Text), word) && !slices.Contains(matched[it.Title], topic) {
				fmt.Printf("MISS [%s] %s | %.200s\n", it.Feed, it.Title, it.Text)
			}
		}
		return
	}
	for _, tp := range cfg.Topics {
		list := byTopic[tp.Name]
		fmt.Printf("\n== %s: %d items\n", tp.Name, len(list))
		shown := list
		if mode != "all" && len(shown) > 5 {
			// Spread the sample over the corpus rather than its first feed.
			step := len(list) / 5
			shown = []string{list[0], list[step], list[2*step], list[3*step], list[4*step]}
		}
		for _, s := range shown {
			fmt.Println("  " + s)
		}
	}
}
