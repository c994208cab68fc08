// Package postgres keeps feedmill's items, sources, topics and feed state
// in PostgreSQL (jackc/pgx/v5), with the same methods and behaviour as the
// SQLite backend in package storage, so that several daemons on several
// machines can share one database: they split the polling with leases on
// feeds (Claim) and see each other's items through the shared items
// version. Every fetched batch is stored in one transaction.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the advisory lock key held while migrations run, so
// daemons started at once apply each migration once ("feedmill" in ASCII).
const migrationLock = 0x666565646d696c6c

// DB is an open feedmill database on PostgreSQL. It is safe for concurrent
// use.
type DB struct {
	url  string
	pool *pgxpool.Pool
	now  func() time.Time
	// group assigns new items to stories, once SetStories turned it on.
	group grouper
}

// IsURL reports whether dsn names a PostgreSQL database
// (postgres:// or postgresql://).
func IsURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open connects to the database at url (postgres://user:pass@host/db?...;
// pool settings such as pool_max_conns are accepted) and applies every
// pending migration.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %s: %w", Redact(url), err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %s: %w", Redact(url), err)
	}
	db := &DB{url: url, pool: pool, now: time.Now}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %s: %w", Redact(url), err)
	}
	return db, nil
}

// Redact returns url without its password, for messages and logs: the
// userinfo password is masked and a password query parameter (libpq
// accepts ?password=...) is dropped.
func Redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "postgres://…"
	}
	if q := u.Query(); q.Has("password") {
		q.Del("password")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// Path returns the database URL without its password.
func (db *DB) Path() string { return Redact(db.url) }

// Close closes every connection.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	return db.pool.Ping(ctx)
}

// migrate applies the embedded migrations in name order, each in its own
// transaction, under an advisory lock held on one connection.
func (db *DB) migrate(ctx context.Context) error {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLock)); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrationLock))
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("migrations table: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		if err := db.migrateFile(ctx, conn.Conn(), name); err != nil {
			return fmt.Errorf("migration %s: %w", path.Base(name), err)
		}
	}
	return nil
}

func (db *DB) migrateFile(ctx context.Context, conn *pgx.Conn, name string) error {
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE name = $1`, path.Base(name)).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		// The simple protocol runs a file of several statements at once.
		if _, err := tx.Exec(ctx, string(body), pgx.QueryExecModeSimpleProtocol); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)`,
			path.Base(name), db.now().UnixNano())
		return err
	})
}

// write runs fn in a transaction and commits it, retrying the whole
// transaction when PostgreSQL aborted it for a conflict with another
// process: a deadlock, a serialization failure, a unique key another
// transaction committed first (the same article stored by two daemons at
// once), or an item another transaction merged away meanwhile (a foreign
// key violation). A cancelled write never half-commits.
func (db *DB) write(ctx context.Context, fn func(pgx.Tx) error) error {
	var err error
	for attempt := 0; attempt < 10; attempt++ {
		err = pgx.BeginFunc(ctx, db.pool, fn)
		if !retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt+1) * 5 * time.Millisecond):
		}
	}
	return err
}

// errKeyMoved is a link or content key that changed hands between two
// statements of a transaction; running it again sees the new owner.
var errKeyMoved = errors.New("postgres: a key moved to another item meanwhile")

// retryable reports whether err is a conflict that running the
// transaction again resolves.
func retryable(err error) bool {
	if errors.Is(err, errKeyMoved) {
		return true
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "40001", "40P01", "23505", "23503":
		return true
	}
	return false
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
