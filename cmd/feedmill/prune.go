package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/feedmill/feedmill/storage"
)

func cmdPrune(ctx context.Context, e *env, args []string) error {
	fs := newFlags("prune", "Usage: feedmill prune [--dry-run] [--json]\n\nApply the configuration's retention now: delete the items older than retention.max_age\nand those beyond retention.max_items_per_feed, except the items on an output's current page.\nThe keys of deleted items are kept so that polls do not store them again. Safe while serve runs.\n\n")
	dry := fs.Bool("dry-run", false, "count what would be deleted, delete nothing")
	asJSON := fs.Bool("json", false, "print the counts as one JSON object")
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return &usageError{"prune takes no arguments"}
	}
	log, err := e.logger(e.stderr)
	if err != nil {
		return err
	}
	a, err := e.openApp(ctx, log)
	if err != nil {
		return err
	}
	defer a.Close()
	r := a.cfg.Retention
	if !r.Enabled() && !*asJSON {
		fmt.Fprintln(e.stdout, "retention is off (set retention.max_age or retention.max_items_per_feed): no item is deleted")
	}
	res, err := a.prune(ctx, log, *dry)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]any{
			"dry_run": *dry, "deleted": res.Deleted(), "expired": res.Expired, "over_cap": res.OverCap,
			"protected": res.Protected, "by_feed": res.ByFeed, "tombstones": res.Tombstones,
			"tombstones_pruned": res.TombstonesPruned, "batches": res.Batches,
		})
	}
	verb := "deleted"
	if *dry {
		verb = "would delete"
	}
	fmt.Fprintf(e.stdout, "%s %d items: %d older than %s, %d beyond %d per feed; %d kept on an output's current page\n",
		verb, res.Deleted(), res.Expired, r.MaxAge, res.OverCap, r.MaxItemsPerFeed, res.Protected)
	for _, f := range slices.Sorted(maps.Keys(res.ByFeed)) {
		fmt.Fprintf(e.stdout, "  %-24s %d\n", f, res.ByFeed[f])
	}
	if !*dry {
		fmt.Fprintf(e.stdout, "kept %d keys of deleted items, dropped %d that their feeds no longer carry\n", res.Tombstones, res.TombstonesPruned)
	}
	return nil
}

// prune applies the configuration's retention once, keeping the items of
// every output's current page, and logs what it did.
func (a *app) prune(ctx context.Context, log *slog.Logger, dry bool) (storage.PruneResult, error) {
	start := time.Now()
	sc, err := a.serverConfig(log)
	if err != nil {
		return storage.PruneResult{}, err
	}
	window, err := sc.Window(ctx, a.db, start)
	if err != nil {
		return storage.PruneResult{}, fmt.Errorf("retention: the outputs' pages: %w", err)
	}
	r := a.cfg.Retention
	res, err := a.db.Prune(ctx, storage.Retention{MaxAge: time.Duration(r.MaxAge), MaxItemsPerFeed: r.MaxItemsPerFeed,
		KeepKeys: time.Duration(r.KeepDeletedKeys), Protected: window, DryRun: dry})
	if err != nil {
		return res, err
	}
	log.Info("retention", "dry_run", dry, "deleted", res.Deleted(), "expired", res.Expired, "over_cap", res.OverCap,
		"protected", res.Protected, "by_feed", res.ByFeed, "tombstones", res.Tombstones,
		"tombstones_pruned", res.TombstonesPruned, "batches", res.Batches,
		"duration", time.Since(start).Round(time.Millisecond).String())
	return res, nil
}

// startRetention applies retention every retention.interval until ctx
// ends, first one interval after the last prune the database recorded
// (at once when there was none), and closes the returned channel when it
// has stopped. It does nothing when retention is off. The app's
// configuration must not change until then.
func (a *app) startRetention(ctx context.Context, log *slog.Logger) <-chan struct{} {
	done := make(chan struct{})
	if !a.cfg.Retention.Enabled() {
		close(done)
		return done
	}
	every := time.Duration(a.cfg.Retention.Interval)
	go func() {
		defer close(done)
		wait := time.Duration(0)
		if st, err := a.db.PruneStats(ctx); err == nil && !st.LastPrune.IsZero() {
			wait = max(0, time.Until(st.LastPrune.Add(every)))
		}
		t := time.NewTimer(wait)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if _, err := a.prune(ctx, log, false); err != nil && ctx.Err() == nil {
				log.Error("retention", "err", err)
			}
			t.Reset(every)
		}
	}()
	return done
}
