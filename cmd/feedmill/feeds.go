package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/feedmill/feedmill"
)

func cmdFeeds(ctx context.Context, e *env, args []string) error {
	fs := newFlags("feeds", "Usage: feedmill feeds [--json] [--log NAME]\n\nList configured feeds with their status, last and next fetch, HTTP status and items,\nor the recent fetches of one feed.\n\n")
	asJSON := fs.Bool("json", false, "one JSON object per line")
	logOf := fs.String("log", "", "show the recent fetches of feed `NAME`")
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	a, err := e.openApp(ctx, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	if *logOf != "" {
		return printFetchLog(ctx, e, a, *logOf, *asJSON)
	}
	stored, err := a.db.Feeds(ctx)
	if err != nil {
		return err
	}
	byName := map[string]feedmill.FeedState{}
	for _, f := range stored {
		byName[f.Name] = f
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	if !*asJSON {
		fmt.Fprintln(tw, "NAME\tSTATUS\tLAST FETCH\tNEXT CHECK\tHTTP\tITEMS\tNEW/DAY\tERROR")
	}
	for _, f := range a.cfg.Feeds {
		st := byName[f.Name]
		if st.URL != f.URL {
			// Stored under another URL: the operator changed it.
			st = feedmill.FeedState{Name: f.Name, URL: f.URL}
		}
		status := st.Status
		if status == "" {
			status = "new"
		}
		if *asJSON {
			obj := map[string]any{"name": f.Name, "url": f.URL, "title": st.Title, "status": status,
				"last_error": st.LastError, "last_fetch": rfc3339(st.LastFetch), "last_success": rfc3339(st.LastSuccess),
				"next_check": rfc3339(st.NextCheck), "failing_since": rfc3339(st.FailingSince),
				"http_status": st.HTTPStatus, "items": st.Items, "new_per_day": round2(st.NewPerDay)}
			if st.MovedTo != "" {
				obj["moved_to"] = st.MovedTo
			}
			if err := json.NewEncoder(e.stdout).Encode(obj); err != nil {
				return err
			}
			continue
		}
		if status == feedmill.StatusFailing && !st.FailingSince.IsZero() {
			status = "failing since " + localTime(st.FailingSince)
		}
		errText := st.LastError
		if st.MovedTo != "" {
			errText = "moved to " + st.MovedTo + " " + errText
		}
		next := localTime(st.NextCheck)
		if st.NextCheck.IsZero() || st.NextCheck.Before(time.Now()) {
			next = "next tick"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%.1f\t%s\n", f.Name, status, localTime(st.LastFetch), next,
			httpStatus(st.HTTPStatus), st.Items, st.NewPerDay, trunc(errText, 80))
	}
	return tw.Flush()
}

func printFetchLog(ctx context.Context, e *env, a *app, name string, asJSON bool) error {
	if _, err := a.selectFeeds([]string{name}); err != nil {
		return err
	}
	entries, err := a.db.FetchLog(ctx, name, 0)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		for _, l := range entries {
			if err := enc.Encode(l); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AT\tOUTCOME\tHTTP\tDURATION\tBYTES\tNEW\tUPDATED\tSEEN\tERROR")
	for _, l := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%dms\t%d\t%d\t%d\t%d\t%s\n", localTime(l.At), l.Outcome, httpStatus(l.HTTPStatus),
			l.Duration, l.Bytes, l.New, l.Updated, l.Seen, trunc(l.Error, 80))
	}
	return tw.Flush()
}

func localTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

func httpStatus(code int) string {
	if code == 0 {
		return "-"
	}
	return fmt.Sprint(code)
}

func round2(f float64) float64 { return float64(int(f*100+0.5)) / 100 }

// rfc3339 formats t, or returns nil for the zero time (JSON null).
func rfc3339(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}
