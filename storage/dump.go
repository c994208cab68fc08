package storage

import (
	"context"
	"fmt"
)

// HasTable reports whether the database has the named table (migrations
// of other releases may not have created it).
func (db *DB) HasTable(ctx context.Context, table string) (bool, error) {
	var n int
	err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&n)
	return n > 0, err
}

// CountRows returns the number of rows of a table.
func (db *DB) CountRows(ctx context.Context, table string) (int64, error) {
	if ok, err := db.HasTable(ctx, table); err != nil || !ok {
		return 0, fmt.Errorf("storage: no table %q: %v", table, err)
	}
	var n int64
	err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM "`+table+`"`).Scan(&n)
	return n, err
}

// ReadTable calls fn with every row of a table, in one snapshot, with
// the table's column names: what `feedmill migrate` copies into another
// database. Values are int64, float64, string or []byte.
func (db *DB) ReadTable(ctx context.Context, table string, fn func(cols []string, vals []any) error) error {
	if ok, err := db.HasTable(ctx, table); err != nil || !ok {
		return fmt.Errorf("storage: no table %q: %v", table, err)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT * FROM "`+table+`"`)
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
