package main

import (
	"context"
	"fmt"

	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/storage/postgres"
)

func cmdMigrate(ctx context.Context, e *env, args []string) error {
	fs := newFlags("migrate", "Usage: feedmill migrate --from FILE.db --to postgres://USER:PASS@HOST/DB\n\n"+
		"Copy a SQLite database (items, sources, links, topics, feed state, fetch log, raw bodies, meta)\n"+
		"into PostgreSQL, keeping item ids, and check that every table has as many rows on both sides.\n"+
		"The source is read in one snapshot; the copied tables of the target are replaced in one\n"+
		"transaction, so a run again makes them equal to the source again (deletions included)\n"+
		"and a failed run changes nothing. No daemon may use the target meanwhile.\n\n")
	from := fs.String("from", "", "the SQLite database file to copy")
	to := fs.String("to", "", "the PostgreSQL database URL to copy into (created tables are migrated first)")
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	if *from == "" || *to == "" || fs.NArg() > 0 {
		return &usageError{"want --from FILE.db and --to postgres://..."}
	}
	if !postgres.IsURL(*to) {
		return &usageError{fmt.Sprintf("--to %q is not a postgres:// or postgresql:// URL", *to)}
	}
	if !exists(*from) {
		return fmt.Errorf("%s: no such SQLite database", *from)
	}
	src, err := storage.Open(ctx, *from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := postgres.Open(ctx, *to)
	if err != nil {
		return err
	}
	defer dst.Close()
	fmt.Fprintf(e.stdout, "copying %s into %s\n", *from, dst.Path())
	last := ""
	var counts []postgres.TableCount
	err = src.Snapshot(ctx, func(snap *storage.Snapshot) error {
		var err error
		counts, err = dst.Import(ctx, snap, func(table string, done, total int64) {
			if table != last || done == total || done%10000 == 0 {
				fmt.Fprintf(e.stdout, "  %-12s %d/%d rows\n", table, done, total)
			}
			last = table
		})
		return err
	})
	for _, c := range counts {
		status := "ok"
		if c.Source != c.Target {
			status = "DIFFERENT"
		}
		fmt.Fprintf(e.stdout, "%-12s sqlite %8d  postgres %8d  %s\n", c.Table, c.Source, c.Target, status)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "done: every table has the same rows in both; point database: (or FEEDMILL_DATABASE_URL) at the PostgreSQL URL\n")
	return nil
}
