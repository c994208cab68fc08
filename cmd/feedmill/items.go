package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/feedmill/feedmill"
)

// itemJSON is the shape of `feedmill items --json` lines.
type itemJSON struct {
	ID        int64             `json:"id"`
	Feed      string            `json:"feed"`
	Title     string            `json:"title"`
	Link      string            `json:"link"`
	Published string            `json:"published"`
	Author    string            `json:"author,omitempty"`
	Topics    []string          `json:"topics"`
	Sources   []feedmill.Source `json:"sources"`
	// Story is the item's story id, 0 while it is not grouped.
	Story int64 `json:"story"`
}

func cmdItems(ctx context.Context, e *env, args []string) error {
	fs := newFlags("items", "Usage: feedmill items [--topic T] [--feed F] [--limit N] [--json]\n\nList stored items, newest first.\n\n")
	topic := fs.String("topic", "", "only items tagged with this `topic`")
	feed := fs.String("feed", "", "only items this `feed` carried")
	limit := fs.Int("limit", 20, "at most `N` items; 0 lists all")
	asJSON := fs.Bool("json", false, "one JSON object per line")
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if *limit < 0 {
		return &usageError{"--limit must be 0 (all) or more"}
	}
	a, err := e.openApp(ctx, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	q := feedmill.ItemQuery{Feed: *feed, Limit: *limit}
	if *topic != "" {
		q.Topics = []string{*topic}
	}
	items, err := a.db.Items(ctx, q)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		for _, it := range items {
			if err := enc.Encode(itemJSON{ID: it.ID, Feed: it.Feed, Title: it.Title, Link: it.Link,
				Published: it.Published.UTC().Format(time.RFC3339), Author: it.Author,
				Topics: nonNil(it.Topics), Sources: it.Sources, Story: it.Story}); err != nil {
				return err
			}
		}
		return nil
	}
	for _, it := range items {
		fmt.Fprintf(e.stdout, "%6d  %s  %-14s  %s\n", it.ID, it.Published.Local().Format("2006-01-02 15:04"), trunc(it.Feed, 14), it.Title)
		if len(it.Topics) > 0 {
			fmt.Fprintf(e.stdout, "        topics: %s\n", strings.Join(it.Topics, ", "))
		}
	}
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func trunc(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
