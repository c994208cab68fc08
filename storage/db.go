// Package storage keeps feedmill's items, their sources and topics, and the
// state of every feed in an embedded SQLite database (modernc.org/sqlite, no
// cgo). It is the only package that imports database/sql.
//
// The database runs in WAL mode so that readers (the HTTP server, a CLI
// listing) never block the writer, and several processes (the daemon and a
// manual `feedmill fetch`) can share one file: writes take the lock up front
// (BEGIN IMMEDIATE) and wait up to the busy timeout instead of failing with
// "database is locked". Every fetched feed is stored in one transaction, so
// a crash or kill -9 leaves either all of a feed's batch or none of it.
package storage

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// busyTimeout is how long a writer waits for another process's transaction.
const busyTimeout = 10 * time.Second

// DB is an open feedmill database. It is safe for concurrent use.
type DB struct {
	path string
	// w is the single writer connection; SQLite allows one writer at a time,
	// so queueing in Go is cheaper than queueing on the file lock.
	w *sql.DB
	// r is a pool of read-only connections.
	r *sql.DB
	// now is the clock, replaceable in tests.
	now func() time.Time
	// knownStmt is KnownHashes' query, run on every poll.
	knownStmt *sql.Stmt
	// stmts are the writer's prepared statements.
	stmts stmtCache
	// pruneHook, set by tests, runs inside each prune batch's transaction
	// ("in batch") and after its commit ("after batch").
	pruneHook func(stage string)
	// group assigns new items to stories, once SetStories turned it on.
	group grouper
}

// Open opens (creating if needed) the SQLite database at path and applies
// every pending migration. path is a file name or a "file:" URI.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("storage: empty database path")
	}
	name := strings.TrimPrefix(path, "file:")
	if i := strings.IndexByte(name, '?'); i >= 0 {
		name = name[:i]
	}
	if dir := filepath.Dir(name); dir != "." {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("storage: database directory: %w", err)
		}
	}
	db := &DB{path: name, now: time.Now}
	var err error
	if db.w, err = sql.Open("sqlite", dsn(name, false)); err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", name, err)
	}
	db.w.SetMaxOpenConns(1)
	db.stmts.db = db.w
	db.w.SetConnMaxIdleTime(0)
	db.w.SetConnMaxLifetime(0)
	if err := db.migrate(ctx); err != nil {
		db.w.Close()
		return nil, fmt.Errorf("storage: %s: %w", name, err)
	}
	if db.r, err = sql.Open("sqlite", dsn(name, true)); err != nil {
		db.w.Close()
		return nil, fmt.Errorf("storage: open %s: %w", name, err)
	}
	db.r.SetMaxOpenConns(4)
	db.r.SetMaxIdleConns(4)
	db.knownStmt, err = db.r.PrepareContext(ctx, knownQuery)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("storage: %s: %w", name, err)
	}
	return db, nil
}

// walSizeLimit is the size the WAL file is truncated to after a checkpoint
// resets it.
const walSizeLimit = 32 << 20

// dsn builds the connection string. Pragmas go in the DSN because
// busy_timeout, foreign_keys and synchronous are per connection.
func dsn(name string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+fmt.Sprint(busyTimeout.Milliseconds())+")")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	// NORMAL is safe in WAL mode against process crashes (kill -9): only a
	// power loss can roll back the last transactions, never corrupt.
	q.Add("_pragma", "synchronous(NORMAL)")
	// A checkpoint that resets the WAL truncates it to this size, so a
	// burst of writes (or readers that held checkpoints back) does not
	// leave a large WAL file behind for good.
	q.Add("_pragma", fmt.Sprintf("journal_size_limit(%d)", walSizeLimit))
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	return "file:" + name + "?" + q.Encode()
}

// Path returns the database file name.
func (db *DB) Path() string { return db.path }

// Close closes the database. Pending transactions are rolled back by SQLite.
func (db *DB) Close() error {
	var errs []error
	if db.knownStmt != nil {
		errs = append(errs, db.knownStmt.Close())
	}
	db.stmts.close()
	if db.r != nil {
		errs = append(errs, db.r.Close())
	}
	if db.w != nil {
		errs = append(errs, db.w.Close())
	}
	return errors.Join(errs...)
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.r.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// migrate applies embedded migrations in name order, each in its own
// transaction, recording the applied names.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrations table: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		if err := db.migrateFile(ctx, name); err != nil {
			return fmt.Errorf("migration %s: %w", filepath.Base(name), err)
		}
	}
	return nil
}

func (db *DB) migrateFile(ctx context.Context, name string) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE name = ?`, filepath.Base(name)).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	body, err := migrations.ReadFile(name)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`,
		filepath.Base(name), db.now().UnixNano()); err != nil {
		return err
	}
	return tx.Commit()
}

// nanos converts a time to the stored form: unix nanoseconds, 0 for zero.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromNanos is the inverse of nanos, in UTC.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
