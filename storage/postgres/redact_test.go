package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/feedmill/feedmill/internal/pgtest"
	"github.com/feedmill/feedmill/storage/postgres"
)

// TestRedact checks that no form of password survives in the text used
// for messages and logs.
func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://u:sekrit@h/db", "postgres://u:xxxxx@h/db"},
		{"postgres://u@h/db?password=sekrit", "postgres://u@h/db"},
		{"postgres://u@h/db?sslmode=disable&password=sekrit", "postgres://u@h/db?sslmode=disable"},
		{"postgresql://u:a@h/db?password=b&pool_max_conns=4", "postgresql://u:xxxxx@h/db?pool_max_conns=4"},
	} {
		if got := postgres.Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestPathHidesQueryPassword opens a real database with the password in
// the query string and checks Path, which serve and status print.
func TestPathHidesQueryPassword(t *testing.T) {
	u := pgtest.URL(t) + "&password=sekrit"
	db, err := postgres.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if p := db.Path(); strings.Contains(p, "sekrit") || !strings.Contains(p, "sslmode=disable") {
		t.Errorf("Path() = %q, want no password and the other parameters kept", p)
	}
}
