package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/feedmill/feedmill"
)

func cmdFeeds(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("feeds", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "one JSON object per line")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: feedmill feeds [--json]\n\nList configured feeds with their last fetch, status and item count.\n\n")
		fs.PrintDefaults()
	}
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	a, err := e.openApp(ctx, nil)
	if err != nil {
		return err
	}
	defer a.Close()
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
		fmt.Fprintln(tw, "NAME\tSTATUS\tLAST FETCH\tITEMS\tERROR")
	}
	for _, f := range a.cfg.Feeds {
		st := byName[f.Name]
		status := st.Status
		if status == "" {
			status = "new"
		}
		if *asJSON {
			obj := map[string]any{"name": f.Name, "url": f.URL, "title": st.Title, "status": status,
				"last_error": st.LastError, "last_fetch": rfc3339(st.LastFetch), "last_success": rfc3339(st.LastSuccess),
				"items": st.Items}
			if err := json.NewEncoder(e.stdout).Encode(obj); err != nil {
				return err
			}
			continue
		}
		last := "never"
		if !st.LastFetch.IsZero() {
			last = st.LastFetch.Local().Format("2006-01-02 15:04:05")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", f.Name, status, last, st.Items, trunc(st.LastError, 80))
	}
	return tw.Flush()
}

// rfc3339 formats t, or returns nil for the zero time (JSON null).
func rfc3339(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}
