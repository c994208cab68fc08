package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/feedmill/feedmill"
)

// explainJSON is the shape of `feedmill explain --json`.
type explainJSON struct {
	ID        int64                 `json:"id"`
	Feed      string                `json:"feed"`
	Title     string                `json:"title"`
	Link      string                `json:"link"`
	Published string                `json:"published"`
	Topics    []feedmill.TopicMatch `json:"topics"`
}

func cmdExplain(ctx context.Context, e *env, args []string) error {
	fs := newFlags("explain", "Usage: feedmill explain [--json] ITEM_ID\n\nShow the item's topics and, for each, the terms that matched and where.\n\n")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return &usageError{"want one ITEM_ID"}
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil || id <= 0 {
		return &usageError{fmt.Sprintf("ITEM_ID %q: want a positive number (see feedmill items)", fs.Arg(0))}
	}
	a, err := e.openApp(ctx, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	it, err := a.db.Explain(ctx, id)
	if errors.Is(err, feedmill.ErrNotFound) {
		return fmt.Errorf("no item %d", id)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(explainJSON{ID: it.ID, Feed: it.Feed, Title: it.Title, Link: it.Link,
			Published: it.Published.UTC().Format(time.RFC3339), Topics: nonNil(it.Matches)})
	}
	fmt.Fprintf(e.stdout, "%d  %s  %s\n  %s\n", it.ID, it.Feed, it.Title, it.Link)
	if len(it.Matches) == 0 {
		fmt.Fprintln(e.stdout, "no topics")
		return nil
	}
	for _, m := range it.Matches {
		fmt.Fprintf(e.stdout, "%s\n", m.Topic)
		if len(m.Hits) == 0 {
			fmt.Fprintln(e.stdout, "  (no terms recorded: run feedmill retag)")
		}
		for _, h := range m.Hits {
			fmt.Fprintf(e.stdout, "  %-30s in %s\n", h.Term, h.Field)
		}
	}
	return nil
}
