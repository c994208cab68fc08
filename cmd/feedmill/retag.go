package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/feedmill/feedmill/storage"
)

// fingerprintKey names the stored fingerprint of the rules the stored
// topics were computed with.
const fingerprintKey = "topics_fingerprint"

func cmdRetag(ctx context.Context, e *env, args []string) error {
	fs := newFlags("retag", "Usage: feedmill retag [--topic T]... [--json]\n\nApply the current topic rules to every stored item, writing only what changed.\n`feedmill topics diff` shows what this would change.\n\n")
	var only stringList
	fs.Var(&only, "topic", "retag only this `topic` (repeatable); others are left as stored")
	asJSON := fs.Bool("json", false, "print the result as one JSON object")
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	a, err := e.openApp(ctx, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	for _, t := range only {
		if !a.hasTopic(t) {
			return &usageError{fmt.Sprintf("no topic named %q in the configuration", t)}
		}
	}
	start := time.Now()
	res, err := a.retag(ctx, only)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]any{"items": res.Items, "changed": res.Changed,
			"added": res.Added, "removed": res.Removed, "duration_ms": time.Since(start).Milliseconds()})
	}
	fmt.Fprintf(e.stdout, "retagged %d items: %d changed (%d topics added, %d removed) in %s\n",
		res.Items, res.Changed, res.Added, res.Removed, time.Since(start).Round(time.Millisecond))
	return nil
}

// retag applies the current rules to the stored items (only topics in only,
// when given). A full retag records the rules' fingerprint.
func (a *app) retag(ctx context.Context, only []string) (storage.RetagResult, error) {
	res, err := a.db.Retag(ctx, storage.ScanOptions{Topics: only}, a.tagger.Tag, nil)
	if err != nil {
		return res, err
	}
	if len(only) == 0 {
		err = a.db.SetMeta(ctx, fingerprintKey, a.fingerprint)
	}
	return res, err
}

// retagIfRulesChanged retags every stored item when the rules differ from
// those the stored topics were computed with, as serve and fetch do at start.
func (a *app) retagIfRulesChanged(ctx context.Context, log *slog.Logger) error {
	stored, err := a.db.Meta(ctx, fingerprintKey)
	if err != nil || stored == a.fingerprint {
		return err
	}
	start := time.Now()
	res, err := a.retag(ctx, nil)
	if err != nil {
		return err
	}
	if log != nil {
		log.Info("topic rules changed: retagged stored items", "items", res.Items, "changed", res.Changed,
			"added", res.Added, "removed", res.Removed, "duration", time.Since(start).Round(time.Millisecond).String())
	}
	return nil
}

func (a *app) hasTopic(name string) bool {
	for _, t := range a.cfg.Topics {
		if t.Name == name {
			return true
		}
	}
	return false
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return fmt.Sprint(*l) }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }
