package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// TableReader is a database to import from: the SQLite backend.
type TableReader interface {
	HasTable(ctx context.Context, table string) (bool, error)
	CountRows(ctx context.Context, table string) (int64, error)
	ReadTable(ctx context.Context, table string, fn func(cols []string, vals []any) error) error
}

// importTable is a table that Import copies, in an order that satisfies
// the foreign keys, with its primary key.
type importTable struct {
	name string
	key  []string
	// identity is set for tables whose id column the copy fills, so the
	// sequence behind it moves past the copied ids.
	identity bool
}

var importTables = []importTable{
	{"feeds", []string{"id"}, true},
	{"items", []string{"id"}, true},
	{"links", []string{"link_key"}, false},
	{"sources", []string{"feed_id", "key"}, false},
	{"item_topics", []string{"topic", "item_id"}, false},
	{"meta", []string{"name"}, false},
	{"fetch_log", []string{"id"}, true},
	{"raw_bodies", []string{"id"}, true},
	{"stories", []string{"id"}, false},
	{"websub_subscriptions", []string{"topic", "callback"}, false},
	{"websub_topics", []string{"topic"}, false},
	{"tombstones", []string{"feed_id", "key"}, false},
	{"link_tombstones", []string{"link_key"}, false},
	{"readers", []string{"output", "service", "feed_id"}, false},
}

// TableCount is one table's rows in the source and in the database after
// an import.
type TableCount struct {
	Table          string
	Source, Target int64
}

// importBatch is the rows per INSERT statement and transaction.
const importBatch = 500

// Import copies every table of src into the database, keeping ids (so
// output entry ids do not change), with upserts: running it again copies
// the source again without duplicating anything. progress, when not nil,
// is called as rows are copied. It returns the row counts of every table
// in both databases; a difference is an error too. Lease columns are not
// copied: a migrated feed is due as it was and claimed by no one.
func (db *DB) Import(ctx context.Context, src TableReader, progress func(table string, done, total int64)) ([]TableCount, error) {
	var counts []TableCount
	for _, t := range importTables {
		if ok, err := src.HasTable(ctx, t.name); err != nil {
			return counts, err
		} else if !ok {
			continue
		}
		total, err := src.CountRows(ctx, t.name)
		if err != nil {
			return counts, err
		}
		targetCols, err := db.columns(ctx, t.name)
		if err != nil {
			return counts, err
		}
		var batch [][]any
		var cols []string // the source's columns the target has
		var idx []int
		var done int64
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			if err := db.upsert(ctx, t, cols, batch); err != nil {
				return fmt.Errorf("postgres: import %s: %w", t.name, err)
			}
			done += int64(len(batch))
			batch = batch[:0]
			if progress != nil {
				progress(t.name, done, total)
			}
			return nil
		}
		err = src.ReadTable(ctx, t.name, func(srcCols []string, vals []any) error {
			if cols == nil {
				for i, c := range srcCols {
					if _, ok := targetCols[c]; ok && !strings.HasPrefix(c, "lease_") && c != "claimed_at" {
						cols, idx = append(cols, c), append(idx, i)
					}
				}
			}
			row := make([]any, len(idx))
			for j, i := range idx {
				row[j] = convert(vals[i], targetCols[cols[j]])
			}
			batch = append(batch, row)
			if len(batch) == importBatch {
				return flush()
			}
			return nil
		})
		if err == nil {
			err = flush()
		}
		if err != nil {
			return counts, err
		}
		if progress != nil && done == 0 {
			progress(t.name, 0, total)
		}
		if t.identity {
			if _, err := db.pool.Exec(ctx, `SELECT setval(pg_get_serial_sequence('`+t.name+`', 'id'),
				greatest((SELECT max(id) FROM `+t.name+`), 1))`); err != nil {
				return counts, fmt.Errorf("postgres: import %s: sequence: %w", t.name, err)
			}
		}
		var n int64
		if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM `+t.name).Scan(&n); err != nil {
			return counts, err
		}
		counts = append(counts, TableCount{Table: t.name, Source: total, Target: n})
	}
	// Every process's output caches rebuild.
	if _, err := db.pool.Exec(ctx, `UPDATE counters SET value = value + 1 WHERE name = 'items_version'`); err != nil {
		return counts, err
	}
	var bad []string
	for _, c := range counts {
		if c.Source != c.Target {
			bad = append(bad, fmt.Sprintf("%s: %d rows in the source, %d in PostgreSQL", c.Table, c.Source, c.Target))
		}
	}
	if len(bad) > 0 {
		return counts, fmt.Errorf("postgres: import: counts differ (was the target used by a daemon, or the source changed?): %s",
			strings.Join(bad, "; "))
	}
	return counts, nil
}

// columns maps the columns of a table to their types.
func (db *DB) columns(ctx context.Context, table string) (map[string]string, error) {
	rows, err := db.pool.Query(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1`, table)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for rows.Next() {
		var c, t string
		if err := rows.Scan(&c, &t); err != nil {
			return nil, err
		}
		m[c] = t
	}
	return m, rows.Err()
}

// convert adapts a SQLite value to the target column type: SQLite may
// hand back an integral REAL as an integer, and text as bytes.
func convert(v any, typ string) any {
	switch typ {
	case "double precision":
		if n, ok := v.(int64); ok {
			return float64(n)
		}
	case "text":
		if b, ok := v.([]byte); ok {
			return string(b)
		}
	}
	return v
}

// upsert writes rows in one statement: new keys are inserted, existing
// ones get the source's values.
func (db *DB) upsert(ctx context.Context, t importTable, cols []string, rows [][]any) error {
	var q strings.Builder
	q.WriteString("INSERT INTO " + t.name + " (" + strings.Join(cols, ", ") + ") OVERRIDING SYSTEM VALUE VALUES ")
	args := make([]any, 0, len(rows)*len(cols))
	for i, r := range rows {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteByte('(')
		for j := range r {
			if j > 0 {
				q.WriteString(", ")
			}
			args = append(args, r[j])
			q.WriteString("$" + strconv.Itoa(len(args)))
		}
		q.WriteByte(')')
	}
	q.WriteString(" ON CONFLICT (" + strings.Join(t.key, ", ") + ") DO UPDATE SET ")
	first := true
	for _, c := range cols {
		if contains(t.key, c) {
			continue
		}
		if !first {
			q.WriteString(", ")
		}
		first = false
		q.WriteString(c + " = excluded." + c)
	}
	if first { // every column is in the key
		q.Reset()
		return db.upsertKeysOnly(ctx, t, cols, rows)
	}
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, q.String(), args...)
		return err
	})
}

func (db *DB) upsertKeysOnly(ctx context.Context, t importTable, cols []string, rows [][]any) error {
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		for _, r := range rows {
			ph := make([]string, len(r))
			for i := range r {
				ph[i] = "$" + strconv.Itoa(i+1)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO "+t.name+" ("+strings.Join(cols, ", ")+") VALUES ("+
				strings.Join(ph, ", ")+") ON CONFLICT DO NOTHING", r...); err != nil {
				return err
			}
		}
		return nil
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
