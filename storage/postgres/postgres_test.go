package postgres_test

import (
	"os"
	"testing"

	"github.com/feedmill/feedmill/internal/pgtest"
	"github.com/feedmill/feedmill/storage/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestConformance runs the storage suite shared with SQLite on a database
// of a throwaway PostgreSQL cluster.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) string { return pgtest.URL(t) })
}
