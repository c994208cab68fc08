package main

import (
	"context"
	"fmt"
	"time"

	"github.com/feedmill/feedmill"
)

func cmdReplay(ctx context.Context, e *env, args []string) error {
	fs := newFlags("replay", "Usage: feedmill replay [--since 48h] [--feed NAME]\n\nRe-run normalization, de-duplication and topics over the kept raw bodies of past\nfetches (see keep_raw), oldest first, so a fix in any of them reaches what was\nalready stored.\n\n")
	since := fs.Duration("since", 48*time.Hour, "replay the fetches of the last `DURATION`")
	feed := fs.String("feed", "", "only the fetches of feed `NAME`")
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	a, err := e.openApp(ctx, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	feeds := map[string]int{}
	for i, f := range a.feeds {
		feeds[f.Name] = i
	}
	if *feed != "" {
		if _, ok := feeds[*feed]; !ok {
			return &usageError{fmt.Sprintf("no feed named %q in the configuration", *feed)}
		}
	}
	var bodies, failed int
	var total feedmill.IngestResult
	err = a.db.RawBodies(ctx, time.Now().Add(-*since), *feed, func(raw feedmill.RawBody) error {
		i, ok := feeds[raw.Feed]
		if !ok {
			return nil // a feed no longer configured
		}
		bodies++
		res, err := a.pipeline.Replay(ctx, a.feeds[i], raw)
		if err != nil {
			failed++
			fmt.Fprintf(e.stdout, "%s %s: error: %v\n", raw.At.Local().Format(time.DateTime), raw.Feed, err)
			return ctx.Err()
		}
		total.New += res.New
		total.Merged += res.Merged
		total.Updated += res.Updated
		return ctx.Err()
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "replayed %d fetches (%d failed): %d new, %d merged, %d rewritten\n",
		bodies, failed, total.New, total.Merged, total.Updated)
	if failed > 0 {
		return &exitError{code: exitFailed}
	}
	return nil
}
