package storage_test

import (
	"path/filepath"
	"testing"

	"github.com/feedmill/feedmill/storage/storetest"
)

// TestConformance runs the storage suite shared with PostgreSQL on a
// SQLite file.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) string { return filepath.Join(t.TempDir(), "suite.db") })
}
