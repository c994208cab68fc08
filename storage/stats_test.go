package storage

import (
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
)

// queryPlan returns the detail lines of EXPLAIN QUERY PLAN for query.
func queryPlan(t *testing.T, db *DB, query string, args ...any) string {
	t.Helper()
	rows, err := db.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused sql.NullInt64
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return strings.Join(plan, "\n")
}

func TestDailyCounts(t *testing.T) {
	db := openTest(t)
	now := time.Date(2026, 3, 31, 15, 0, 0, 0, time.UTC)
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC) // 30 days ending with now's
	day := func(ago int, hour int) time.Time {
		return time.Date(2026, 3, 31-ago, hour, 30, 0, 0, time.UTC)
	}
	n := 0
	poll := func(feed string, at time.Time, links ...string) {
		t.Helper()
		var items []feedmill.Item
		for _, l := range links {
			n++
			it := item(fmt.Sprintf("guid:%s-%d", feed, n), "https://x/"+l, "story "+l, "t-"+l[:1])
			items = append(items, it)
		}
		if _, err := db.Ingest(t.Context(), feedmill.Batch{Feed: feed, URL: "http://" + feed + "/", FetchedAt: at, Items: items}); err != nil {
			t.Fatal(err)
		}
	}
	poll("a", day(40, 10), "old1", "old2") // before the window: not counted
	poll("a", day(29, 0), "a1")            // first day of the window, at 00:30
	poll("a", day(3, 23), "a2", "a3")
	poll("a", day(0, 1), "a4")
	poll("b", day(3, 12), "a2", "b1") // a2 again, from b: counts for b that day, not again for topic t-a
	poll("b", now.Add(48*time.Hour), "b2")

	feeds, err := db.FeedDaily(t.Context(), start, 30)
	if err != nil {
		t.Fatal(err)
	}
	topics, err := db.TopicDaily(t.Context(), start, 30)
	if err != nil {
		t.Fatal(err)
	}
	at := func(pairs ...int) []int {
		c := make([]int, 30)
		for i := 0; i+1 < len(pairs); i += 2 {
			c[29-pairs[i]] = pairs[i+1]
		}
		return c
	}
	tests := []struct {
		name string
		got  map[string][]int
		key  string
		want []int
	}{
		{"feed a", feeds, "a", at(29, 1, 3, 2, 0, 1)},
		{"feed b (the future counts today)", feeds, "b", at(3, 2, 0, 1)},
		{"topic t-a (a2 once)", topics, "t-a", at(29, 1, 3, 2, 0, 1)},
		{"topic t-b", topics, "t-b", at(3, 1, 0, 1)},
		{"topic of old items only", topics, "t-o", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.got[tt.key]; !slices.Equal(got, tt.want) {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
	counts, err := db.TopicCounts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{"t-o": 2, "t-a": 4, "t-b": 2}; fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("topic counts %v, want %v", counts, want)
	}
	if _, err := db.FeedDaily(t.Context(), start, 0); err == nil {
		t.Error("FeedDaily(0): no error")
	}
}

// TestDailyQueryPlans: the daily counts range-scan their first_seen index
// rather than every stored row.
func TestDailyQueryPlans(t *testing.T) {
	db := openTest(t)
	tests := []struct {
		query, want string
	}{
		{feedDailyQuery, "SEARCH s USING COVERING INDEX sources_first_seen (first_seen>?)"},
		{topicDailyQuery, "SEARCH i USING COVERING INDEX items_first_seen (first_seen>?)"},
		{`SELECT topic, count(*) FROM item_topics GROUP BY topic`, "SCAN item_topics"},
	}
	for _, tt := range tests {
		plan := queryPlan(t, db, tt.query, time.Now().UnixNano(), dayNanos)
		if !strings.Contains(plan, tt.want) {
			t.Errorf("plan of %s:\n%s\nwant a line %q", tt.query, plan, tt.want)
		}
	}
}
