package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/feedmill/feedmill/poller"
)

func cmdFetch(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("fetch", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print one JSON object per feed, then a total")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: feedmill fetch [--json] [NAME...]\n\nFetch all feeds, or the named ones, once, now.\nExit status: 0 all succeeded, 1 some failed, 2 usage or configuration error.\n\n")
		fs.PrintDefaults()
	}
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	log, err := e.logger(e.stderr)
	if err != nil {
		return err
	}
	// The per-feed lines on stdout are the report; logs are for debugging.
	if e.logLevel == "" {
		log = nil
	}
	a, err := e.openApp(ctx, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.retagIfRulesChanged(ctx, log); err != nil {
		return err
	}
	feeds, err := a.selectFeeds(fs.Args())
	if err != nil {
		return err
	}

	start := time.Now()
	var reports []poller.Report
	width := 0
	for _, f := range feeds {
		width = max(width, len(f.Name))
	}
	a.pipeline.PollAll(ctx, feeds, a.cfg.Concurrency, func(r poller.Report) {
		reports = append(reports, r)
		if *asJSON {
			writeJSONReport(e, r)
		} else {
			fmt.Fprintf(e.stdout, "%-*s  %s\n", width, r.Feed, describeReport(r))
		}
	})
	var total struct {
		Feeds, Failed, New, Merged, Updated, Seen int
	}
	for _, r := range reports {
		total.Feeds++
		if r.Err != nil {
			total.Failed++
		}
		total.New += r.Result.New
		total.Merged += r.Result.Merged
		total.Updated += r.Result.Updated
		total.Seen += r.Result.Seen
	}
	interrupted := len(reports) < len(feeds)
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.Encode(map[string]any{"total": true, "feeds": total.Feeds, "failed": total.Failed, "new": total.New,
			"merged": total.Merged, "updated": total.Updated, "seen": total.Seen,
			"duration_ms": time.Since(start).Milliseconds(), "interrupted": interrupted})
	} else {
		fmt.Fprintf(e.stdout, "total: %d feeds, %d failed; %d new, %d merged, %d updated, %d already seen in %s\n",
			total.Feeds, total.Failed, total.New, total.Merged, total.Updated, total.Seen, time.Since(start).Round(time.Millisecond))
	}
	if total.Failed > 0 || interrupted {
		return &exitError{code: exitFailed}
	}
	return nil
}

// describeReport is the one-line outcome of a feed for people.
func describeReport(r poller.Report) string {
	if r.Err != nil {
		return "error: " + r.Err.Error()
	}
	res := r.Result
	var parts []string
	if res.New > 0 {
		parts = append(parts, fmt.Sprintf("%d new", res.New))
	}
	if res.Merged > 0 {
		parts = append(parts, fmt.Sprintf("%d already stored from another feed", res.Merged))
	}
	if res.Updated > 0 {
		parts = append(parts, fmt.Sprintf("%d updated", res.Updated))
	}
	if res.Seen > 0 {
		parts = append(parts, fmt.Sprintf("%d already seen", res.Seen))
	}
	if len(parts) == 0 {
		parts = append(parts, "no items")
	}
	return strings.Join(parts, ", ") + fmt.Sprintf(" (%s)", r.Duration.Round(time.Millisecond))
}

func writeJSONReport(e *env, r poller.Report) {
	status := "ok"
	errMsg := ""
	if r.Err != nil {
		status, errMsg = "error", r.Err.Error()
	}
	obj := map[string]any{"feed": r.Feed, "status": status, "new": r.Result.New, "merged": r.Result.Merged,
		"updated": r.Result.Updated, "seen": r.Result.Seen, "bytes": r.Bytes, "http_status": r.Status,
		"duration_ms": r.Duration.Milliseconds()}
	if errMsg != "" {
		obj["error"] = errMsg
	}
	json.NewEncoder(e.stdout).Encode(obj)
}
