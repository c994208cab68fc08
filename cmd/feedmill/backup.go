package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/storage/backend"
)

func cmdBackup(ctx context.Context, e *env, args []string) error {
	fs := newFlags("backup", "Usage: feedmill backup FILE\n\nWrite a consistent, compacted copy of the database to FILE, while the daemon runs.\nThe copy is checked before the command succeeds.\n\n")
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return &usageError{"want exactly one FILE to write the backup to"}
	}
	target := fs.Arg(0)
	if _, err := os.Stat(target); err == nil {
		return fmt.Errorf("%s already exists; choose a new file", target)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	if backend.IsPostgres(cfg.Database) {
		return fmt.Errorf("backup copies a SQLite database; back up PostgreSQL with its own tools (pg_dump, or continuous archiving)")
	}
	db, err := storage.Open(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Backup(ctx, target); err != nil {
		return err
	}
	copyDB, err := storage.Open(ctx, target)
	if err != nil {
		return fmt.Errorf("the backup does not open: %w", err)
	}
	defer copyDB.Close()
	if err := copyDB.Verify(ctx); err != nil {
		return fmt.Errorf("the backup fails its check: %w", err)
	}
	st, _ := os.Stat(target)
	fmt.Fprintf(e.stdout, "backup of %s written to %s (%d bytes), integrity ok\n", cfg.Database, target, st.Size())
	return nil
}
