package storage

import (
	"context"
	"database/sql"
	"fmt"
)

// HasTable reports whether the database has the named table (migrations
// of other releases may not have created it).
func (db *DB) HasTable(ctx context.Context, table string) (bool, error) {
	return hasTable(ctx, db.r, table)
}

// CountRows returns the number of rows of a table.
func (db *DB) CountRows(ctx context.Context, table string) (int64, error) {
	return countRows(ctx, db.r, table)
}

// ReadTable calls fn with every row of a table, with the table's column
// names. Each call reads in its own snapshot: to read several tables as
// of one moment, use Snapshot.
func (db *DB) ReadTable(ctx context.Context, table string, fn func(cols []string, vals []any) error) error {
	return readTable(ctx, db.r, table, fn)
}

// Snapshot is one read transaction: every table read through it shows the
// database as of one moment, whatever a daemon writes meanwhile (WAL
// readers do not block the writer, nor see its later commits). It is what
// `feedmill migrate` copies from, so the foreign keys hold in the copy.
type Snapshot struct {
	tx *sql.Tx
}

// Snapshot calls fn with a read transaction that stays open until fn
// returns.
func (db *DB) Snapshot(ctx context.Context, fn func(s *Snapshot) error) error {
	tx, err := db.r.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storage: snapshot: %w", err)
	}
	defer tx.Rollback()
	// The snapshot starts with the first read: take it now, so that
	// everything fn reads is as of this moment.
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master`).Scan(&n); err != nil {
		return fmt.Errorf("storage: snapshot: %w", err)
	}
	return fn(&Snapshot{tx: tx})
}

// HasTable reports whether the snapshot has the named table.
func (s *Snapshot) HasTable(ctx context.Context, table string) (bool, error) {
	return hasTable(ctx, s.tx, table)
}

// CountRows returns the number of rows of a table in the snapshot.
func (s *Snapshot) CountRows(ctx context.Context, table string) (int64, error) {
	return countRows(ctx, s.tx, table)
}

// ReadTable calls fn with every row of a table in the snapshot, with the
// table's column names: what `feedmill migrate` copies into another
// database. Values are int64, float64, string or []byte.
func (s *Snapshot) ReadTable(ctx context.Context, table string, fn func(cols []string, vals []any) error) error {
	return readTable(ctx, s.tx, table, fn)
}

// querier is what reads need: the reader pool or a read transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func hasTable(ctx context.Context, q querier, table string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&n)
	return n > 0, err
}

func countRows(ctx context.Context, q querier, table string) (int64, error) {
	if ok, err := hasTable(ctx, q, table); err != nil || !ok {
		return 0, fmt.Errorf("storage: no table %q: %v", table, err)
	}
	var n int64
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM "`+table+`"`).Scan(&n)
	return n, err
}

func readTable(ctx context.Context, q querier, table string, fn func(cols []string, vals []any) error) error {
	if ok, err := hasTable(ctx, q, table); err != nil || !ok {
		return fmt.Errorf("storage: no table %q: %v", table, err)
	}
	rows, err := q.QueryContext(ctx, `SELECT * FROM "`+table+`"`)
	if err != nil {
		return fmt.Errorf("storage: read %s: %w", table, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("storage: read %s: %w", table, err)
		}
		if err := fn(cols, vals); err != nil {
			return err
		}
	}
	return rows.Err()
}
