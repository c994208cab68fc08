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

// Import makes the database's copied tables equal to src, keeping ids (so
// output entry ids do not change): in one transaction it empties every
// table of importTables, copies each table src has, checks the row counts
// and commits, so running it again (after the source deleted rows, too)
// gives the same result and a failed run leaves the database as it was.
// src should be one snapshot (storage.DB.Snapshot), or the foreign keys
// may not hold in the copy. progress, when not nil, is called as rows are
// copied. It returns the row counts of every table in both databases; a
// difference is an error too. Lease columns are not copied: a migrated
// feed is due as it was and claimed by no one.
func (db *DB) Import(ctx context.Context, src TableReader, progress func(table string, done, total int64)) ([]TableCount, error) {
	var counts []TableCount
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		counts = counts[:0]
		names := make([]string, len(importTables))
		for i, t := range importTables {
			names[i] = t.name
		}
		// One statement, so the foreign keys between them do not matter.
		if _, err := tx.Exec(ctx, `TRUNCATE `+strings.Join(names, ", ")); err != nil {
			return fmt.Errorf("postgres: import: empty the tables: %w", err)
		}
		for _, t := range importTables {
			c, ok, err := importTable1(ctx, tx, src, t, progress)
			if err != nil {
				return err
			}
			if ok {
				counts = append(counts, c)
			}
		}
		var bad []string
		for _, c := range counts {
			if c.Source != c.Target {
				bad = append(bad, fmt.Sprintf("%s: %d rows in the source, %d in PostgreSQL", c.Table, c.Source, c.Target))
			}
		}
		if len(bad) > 0 {
			return fmt.Errorf("postgres: import: counts differ (did the source change during the copy?): %s",
				strings.Join(bad, "; "))
		}
		// Every process's output caches rebuild.
		_, err := tx.Exec(ctx, `UPDATE counters SET value = value + 1 WHERE name = 'items_version'`)
		return err
	})
	return counts, err
}

// importTable1 copies one table of src, if src has it, into the emptied
// table of tx.
func importTable1(ctx context.Context, tx pgx.Tx, src TableReader, t importTable, progress func(table string, done, total int64)) (TableCount, bool, error) {
	if ok, err := src.HasTable(ctx, t.name); err != nil || !ok {
		return TableCount{}, false, err
	}
	total, err := src.CountRows(ctx, t.name)
	if err != nil {
		return TableCount{}, false, err
	}
	targetCols, err := columns(ctx, tx, t.name)
	if err != nil {
		return TableCount{}, false, err
	}
	var batch [][]any
	var cols []string // the source's columns the target has
	var idx []int
	var done int64
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := upsert(ctx, tx, t, cols, batch); err != nil {
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
		return TableCount{}, false, err
	}
	if progress != nil && done == 0 {
		progress(t.name, 0, total)
	}
	if t.identity {
		if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence('`+t.name+`', 'id'),
			greatest((SELECT max(id) FROM `+t.name+`), 1))`); err != nil {
			return TableCount{}, false, fmt.Errorf("postgres: import %s: sequence: %w", t.name, err)
		}
	}
	var n int64
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+t.name).Scan(&n); err != nil {
		return TableCount{}, false, err
	}
	return TableCount{Table: t.name, Source: total, Target: n}, true, nil
}

// columns maps the columns of a table to their types.
func columns(ctx context.Context, tx pgx.Tx, table string) (map[string]string, error) {
	rows, err := tx.Query(ctx, `SELECT column_name, data_type FROM information_schema.columns
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
// ones (a key repeated in the source) get the last values.
func upsert(ctx context.Context, tx pgx.Tx, t importTable, cols []string, rows [][]any) error {
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
		return upsertKeysOnly(ctx, tx, t, cols, rows)
	}
	_, err := tx.Exec(ctx, q.String(), args...)
	return err
}

func upsertKeysOnly(ctx context.Context, tx pgx.Tx, t importTable, cols []string, rows [][]any) error {
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
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
