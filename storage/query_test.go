package storage

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
)

// TestItemsQuery: each curation filter alone and together, and pages that
// continue where the previous one stopped.
func TestItemsQuery(t *testing.T) {
	db := openTest(t)
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	add := func(feed string, n int, title string, topics ...string) {
		t.Helper()
		it := item(fmt.Sprintf("guid:%s%d", feed, n), fmt.Sprintf("https://%s/%d", feed, n), title, topics...)
		it.Published = base.Add(time.Duration(n) * time.Hour)
		if _, err := db.Ingest(t.Context(), feedmill.Batch{Feed: feed, URL: "http://" + feed + "/", FetchedAt: base,
			Items: []feedmill.Item{it}}); err != nil {
			t.Fatal(err)
		}
	}
	add("a", 1, "a1", "war")
	add("a", 2, "a2", "war", "peace")
	add("b", 3, "b3", "peace")
	add("b", 4, "b4", "sport")
	add("c", 5, "c5", "war", "sport")
	add("c", 6, "c6")

	tests := []struct {
		name string
		q    feedmill.ItemQuery
		want string
	}{
		{"all", feedmill.ItemQuery{}, "c6 c5 b4 b3 a2 a1"},
		{"any topic", feedmill.ItemQuery{Topics: []string{"peace", "sport"}}, "c5 b4 b3 a2"},
		{"all topics", feedmill.ItemQuery{AllTopics: []string{"war", "peace"}}, "a2"},
		{"exclude", feedmill.ItemQuery{ExcludeTopics: []string{"war"}}, "c6 b4 b3"},
		{"feeds", feedmill.ItemQuery{Feeds: []string{"a", "c"}}, "c6 c5 a2 a1"},
		{"since", feedmill.ItemQuery{Since: base.Add(4 * time.Hour)}, "c6 c5 b4"},
		{"limit", feedmill.ItemQuery{Limit: 2}, "c6 c5"},
		{"before", feedmill.ItemQuery{Before: feedmill.Cursor{Published: base.Add(4 * time.Hour), ID: 4}, Limit: 2}, "b3 a2"},
		{"filter", feedmill.ItemQuery{Filter: func(it *feedmill.Item) bool { return strings.HasSuffix(it.Title, "1") || it.Title == "b4" }, Limit: 5}, "b4 a1"},
		{"together", feedmill.ItemQuery{Topics: []string{"war", "sport"}, ExcludeTopics: []string{"peace"}, Feeds: []string{"a", "c"}, Limit: 1}, "c5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := db.Items(t.Context(), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := titles(items); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}

	// Paging with a selective filter walks the whole listing in chunks.
	var all []string
	q := feedmill.ItemQuery{Limit: 1, Filter: func(it *feedmill.Item) bool { return it.Feed != "b" }}
	for range 10 {
		items, err := db.Items(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) == 0 {
			break
		}
		all = append(all, items[0].Title)
		q.Before = feedmill.CursorOf(items[0])
	}
	if got := strings.Join(all, " "); got != "c6 c5 a2 a1" {
		t.Errorf("pages: %q", got)
	}
}

func titles(items []feedmill.Item) string {
	var s []string
	for _, it := range items {
		s = append(s, it.Title)
	}
	return strings.Join(s, " ")
}

func TestCursorRoundTrip(t *testing.T) {
	for _, c := range []feedmill.Cursor{{Published: time.Unix(0, 1738756800000000001).UTC(), ID: 42}, {Published: time.Unix(-5, 0).UTC(), ID: 1}} {
		got, err := feedmill.ParseCursor(c.String())
		if err != nil || !got.Published.Equal(c.Published) || got.ID != c.ID {
			t.Errorf("%v → %q → %v, %v", c, c.String(), got, err)
		}
	}
	for _, bad := range []string{"", "x", "1", "1.x", "1.0", "1.-3"} {
		if _, err := feedmill.ParseCursor(bad); err == nil {
			t.Errorf("ParseCursor(%q) accepted", bad)
		}
	}
}
