package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/feedmill/feedmill/poller"
)

func cmdFetch(ctx context.Context, e *env, args []string) error {
	fs := newFlags("fetch", "Usage: feedmill fetch [--json] [--progress MODE] [NAME...]\n\nFetch all feeds, or the named ones, once, now. On a terminal: a progress bar, then\na summary table; otherwise one line per feed, then a total.\nExit status: 0 all succeeded, 1 some failed, 2 usage or configuration error.\n\n")
	asJSON := fs.Bool("json", false, "print one JSON object per feed, then a total")
	progress := fs.String("progress", "auto", "`mode`: always, never, or auto (a progress bar and a summary table on a terminal)")
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
	if err := a.restoryIfRulesChanged(ctx, log); err != nil {
		return err
	}
	feeds, err := a.selectFeeds(fs.Args())
	if err != nil {
		return err
	}

	interactive := false
	switch *progress {
	case "always":
		interactive = !*asJSON
	case "never":
	case "auto":
		interactive = !*asJSON && isTerminal(e.stdout)
	default:
		return &usageError{fmt.Sprintf("--progress %q: want always, never or auto", *progress)}
	}

	start := time.Now()
	var reports []poller.Report
	width := 0
	for _, f := range feeds {
		width = max(width, len(f.Name))
	}
	var bar *progressbar.ProgressBar
	if interactive {
		bar = progressbar.NewOptions(len(feeds), progressbar.OptionSetWriter(e.stdout),
			progressbar.OptionSetDescription("fetching"), progressbar.OptionShowCount(),
			progressbar.OptionSetElapsedTime(true), progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(100*time.Millisecond))
	}
	a.pipeline.PollAll(ctx, feeds, a.cfg.Concurrency, func(r poller.Report) {
		reports = append(reports, r)
		switch {
		case *asJSON:
			writeJSONReport(e, r)
		case bar != nil:
			bar.Describe(trunc(r.Feed, 24))
			bar.Add(1)
		default:
			fmt.Fprintf(e.stdout, "%-*s  %s\n", width, r.Feed, describeReport(r))
		}
	})
	if bar != nil {
		bar.Finish()
		printSummaryTable(e, reports)
	}
	var total struct {
		Feeds, Failed, New, Merged, Updated, Seen, NotModified int
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
		if r.NotModified {
			total.NotModified++
		}
	}
	interrupted := len(reports) < len(feeds)
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.Encode(map[string]any{"total": true, "feeds": total.Feeds, "failed": total.Failed, "new": total.New,
			"merged": total.Merged, "updated": total.Updated, "seen": total.Seen, "not_modified": total.NotModified,
			"duration_ms": time.Since(start).Milliseconds(), "interrupted": interrupted})
	} else {
		fmt.Fprintf(e.stdout, "total: %d feeds, %d failed, %d unchanged; %d new, %d merged, %d updated, %d already seen in %s\n",
			total.Feeds, total.Failed, total.NotModified, total.New, total.Merged, total.Updated, total.Seen, time.Since(start).Round(time.Millisecond))
	}
	if total.Failed > 0 || interrupted {
		return &exitError{code: exitFailed}
	}
	return nil
}

// printSummaryTable prints, after the progress bar, one row per feed:
// failures first, then by name.
func printSummaryTable(e *env, reports []poller.Report) {
	sort.Slice(reports, func(i, j int) bool {
		if (reports[i].Err != nil) != (reports[j].Err != nil) {
			return reports[i].Err != nil
		}
		return reports[i].Feed < reports[j].Feed
	})
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FEED\tNEW\tMERGED\tUPDATED\tSEEN\tTIME\tRESULT")
	for _, r := range reports {
		result := "ok"
		switch {
		case r.Err != nil:
			result = "error: " + trunc(r.Err.Error(), 70)
		case r.NotModified:
			result = "not modified"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%s\n", r.Feed, r.Result.New, r.Result.Merged, r.Result.Updated,
			r.Result.Seen, r.Duration.Round(time.Millisecond), result)
	}
	tw.Flush()
}

// describeReport is the one-line outcome of a feed for people.
func describeReport(r poller.Report) string {
	if r.Err != nil {
		return "error: " + r.Err.Error()
	}
	if r.NotModified {
		what := "unchanged since the last poll"
		if r.Status == 304 {
			what = "not modified (HTTP 304)"
		}
		return what + fmt.Sprintf(" (%s)", r.Duration.Round(time.Millisecond))
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
		"updated": r.Result.Updated, "seen": r.Result.Seen, "not_modified": r.NotModified, "bytes": r.Bytes, "http_status": r.Status,
		"duration_ms": r.Duration.Milliseconds()}
	if errMsg != "" {
		obj["error"] = errMsg
	}
	json.NewEncoder(e.stdout).Encode(obj)
}
