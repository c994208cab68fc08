package storage

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
)

// wordTagger tags an item with topic w when its title has the word w.
func wordTagger(words ...string) func(*feedmill.Item) []feedmill.TopicMatch {
	return func(it *feedmill.Item) []feedmill.TopicMatch {
		var out []feedmill.TopicMatch
		for _, w := range words {
			if slices.Contains(strings.Fields(it.Title), w) {
				out = append(out, feedmill.TopicMatch{Topic: w, Hits: []feedmill.Hit{{Term: w, Field: "title"}}})
			}
		}
		return out
	}
}

func TestRetag(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	at := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	its := []feedmill.Item{item("guid:1", "https://x/1", "red apple"), item("guid:2", "https://x/2", "green apple"),
		item("guid:3", "https://x/3", "red car")}
	its[0].Matches = []feedmill.TopicMatch{{Topic: "red", Hits: []feedmill.Hit{{Term: "red", Field: "title"}}}}
	its[0].Text = "stored text"
	if _, err := db.Ingest(ctx, feedmill.Batch{Feed: "a", URL: "http://a/", FetchedAt: at, Items: its}); err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		name    string
		opt     ScanOptions
		tag     func(*feedmill.Item) []feedmill.TopicMatch
		want    RetagResult
		changes int
		topics  map[int64][]string // stored topics after the step
		bumped  bool
	}{
		{"dry run writes nothing", ScanOptions{DryRun: true, BatchSize: 2}, wordTagger("red", "apple"),
			RetagResult{Items: 3, Changed: 3, Added: 3}, 3, map[int64][]string{1: {"red"}, 2: nil, 3: nil}, false},
		{"one topic only", ScanOptions{Topics: []string{"apple"}, BatchSize: 2}, wordTagger("red", "apple"),
			RetagResult{Items: 3, Changed: 2, Added: 2}, 2, map[int64][]string{1: {"apple", "red"}, 2: {"apple"}, 3: nil}, true},
		{"all topics", ScanOptions{}, wordTagger("red", "apple"),
			RetagResult{Items: 3, Changed: 1, Added: 1}, 1, map[int64][]string{1: {"apple", "red"}, 2: {"apple"}, 3: {"red"}}, true},
		{"unchanged rules change nothing", ScanOptions{BatchSize: 1}, wordTagger("apple", "red"),
			RetagResult{Items: 3}, 0, map[int64][]string{1: {"apple", "red"}, 2: {"apple"}, 3: {"red"}}, false},
		{"a removed topic goes", ScanOptions{}, wordTagger("car"),
			RetagResult{Items: 3, Changed: 3, Added: 1, Removed: 4}, 3, map[int64][]string{1: nil, 2: nil, 3: {"car"}}, true},
		{"since keeps newer items", ScanOptions{Since: its[0].Published}, wordTagger("apple"),
			RetagResult{Items: 2, Changed: 2, Added: 2}, 2, map[int64][]string{1: {"apple"}, 2: {"apple"}, 3: {"car"}}, true},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			before, _ := db.ItemsVersion(ctx)
			changes := 0
			got, err := db.Retag(ctx, st.opt, st.tag, func(TopicChange) { changes++ })
			if err != nil {
				t.Fatal(err)
			}
			if got != st.want || changes != st.changes {
				t.Errorf("result %+v with %d changes, want %+v with %d", got, changes, st.want, st.changes)
			}
			for id, want := range st.topics {
				it, err := db.Explain(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(it.Topics, want) {
					t.Errorf("item %d topics %v, want %v", id, it.Topics, want)
				}
			}
			after, _ := db.ItemsVersion(ctx)
			if (after > before) != st.bumped {
				t.Errorf("items version %d -> %d, bumped want %v", before, after, st.bumped)
			}
		})
	}
}

func TestEachItemAndExplain(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	it := item("guid:1", "https://x/1", "red apple")
	it.Text, it.Lang, it.Categories = "plain", "en", []string{"Food"}
	it.Matches = []feedmill.TopicMatch{{Topic: "fruit", Hits: []feedmill.Hit{{Term: "apple", Field: "title"}, {Term: "food", Field: "category"}}}}
	old := item("guid:2", "", "old item")
	if _, err := db.Ingest(ctx, feedmill.Batch{Feed: "a", URL: "http://a/", Items: []feedmill.Item{it, old}}); err != nil {
		t.Fatal(err)
	}
	var got []feedmill.Item
	if err := db.EachItem(ctx, ScanOptions{}, func(it *feedmill.Item) error { got = append(got, *it); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Text != "plain" || got[0].Content != "" || got[0].Lang != "en" || got[0].Feed != "a" ||
		!slices.Equal(got[0].Categories, []string{"Food"}) || !slices.Equal(got[0].Topics, []string{"fruit"}) {
		t.Errorf("first item %+v", got[0])
	}
	if got[1].Text != "" || got[1].Content != "<p>old item</p>" {
		t.Errorf("an item without stored text must come with its content: %+v", got[1])
	}
	ex, err := db.Explain(ctx, got[0].ID)
	if err != nil || !slices.EqualFunc(ex.Matches, it.Matches, func(a, b feedmill.TopicMatch) bool {
		return a.Topic == b.Topic && slices.Equal(a.Hits, b.Hits)
	}) {
		t.Errorf("explain = %+v, %v", ex.Matches, err)
	}
	if v, err := db.Meta(ctx, "k"); v != "" || err != nil {
		t.Errorf("meta before set: %q %v", v, err)
	}
	for _, v := range []string{"one", "two"} {
		if err := db.SetMeta(ctx, "k", v); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.Meta(ctx, "k"); got != v {
			t.Errorf("meta = %q, want %q", got, v)
		}
	}
}
