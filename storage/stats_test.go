package storage

import (
	"database/sql"
	"strings"
	"testing"
	"time"
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
