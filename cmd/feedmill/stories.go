package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/feedmill/feedmill/config"
	"github.com/feedmill/feedmill/storage"
)

// storyJSON is the shape of `feedmill stories --json` lines.
type storyJSON struct {
	ID    int64             `json:"id"`
	Title string            `json:"title"`
	Items []storyMemberJSON `json:"items"`
}

type storyMemberJSON struct {
	ID        int64  `json:"id"`
	Feed      string `json:"feed"`
	Title     string `json:"title"`
	Link      string `json:"link"`
	Published string `json:"published"`
}

func cmdStories(ctx context.Context, e *env, args []string) error {
	fs := newFlags("stories", "Usage: feedmill stories [--topic T] [--since AGE] [--min N] [--limit N] [--json]\n\nList stories (items of several sources about one event), the latest first, with their items.\n\n")
	topic := fs.String("topic", "", "only stories with an item tagged with this `topic`")
	since := fs.String("since", "24h", "only stories with an item published within this `age` (36h, 90m, 7d); 0 for all")
	minItems := fs.Int("min", 2, "only stories of at least `N` items")
	limit := fs.Int("limit", 50, "at most `N` stories; 0 lists all")
	asJSON := fs.Bool("json", false, "one JSON object per line")
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	age, err := config.ParseDuration(*since)
	if err != nil || age < 0 {
		return &usageError{fmt.Sprintf("--since %q: want a duration such as 24h, 90m or 7d", *since)}
	}
	if *minItems < 1 || *limit < 0 {
		return &usageError{"--min must be 1 or more, --limit 0 (all) or more"}
	}
	a, err := e.openApp(ctx, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	if *topic != "" && !a.hasTopic(*topic) {
		return &usageError{fmt.Sprintf("no topic named %q in the configuration", *topic)}
	}
	q := storage.StoryQuery{Topic: *topic, MinItems: *minItems, Limit: *limit}
	if age > 0 {
		q.Since = time.Now().Add(-age)
	}
	list, err := a.db.Stories(ctx, q)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		for _, s := range list {
			out := storyJSON{ID: s.ID, Title: s.Title, Items: []storyMemberJSON{}}
			for _, it := range s.Items {
				out.Items = append(out.Items, storyMemberJSON{ID: it.ID, Feed: it.Feed, Title: it.Title, Link: it.Link,
					Published: it.Published.UTC().Format(time.RFC3339)})
			}
			if err := enc.Encode(out); err != nil {
				return err
			}
		}
		return nil
	}
	for _, s := range list {
		fmt.Fprintf(e.stdout, "story %d: %s (%d items)\n", s.ID, s.Title, len(s.Items))
		for _, it := range s.Items {
			fmt.Fprintf(e.stdout, "  %6d  %s  %-14s  %s\n", it.ID, it.Published.Local().Format("2006-01-02 15:04"), trunc(it.Feed, 14), it.Title)
		}
	}
	if len(list) == 0 {
		fmt.Fprintln(e.stdout, "no stories")
	}
	return nil
}

func cmdRestory(ctx context.Context, e *env, args []string) error {
	fs := newFlags("restory", "Usage: feedmill restory [--json]\n\nGroup every stored item into stories again with the current thresholds (stories: in the configuration).\n\n")
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
	start := time.Now()
	res, err := a.db.Restory(ctx, a.cfg.StoriesConfig())
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]any{"items": res.Items, "changed": res.Changed,
			"signed": res.Signed, "stories": res.Stories, "duration_ms": time.Since(start).Milliseconds()})
	}
	fmt.Fprintf(e.stdout, "regrouped %d items: %d changed story; %d stories of two items or more, in %s\n",
		res.Items, res.Changed, res.Stories, time.Since(start).Round(time.Millisecond))
	return nil
}

// restoryIfRulesChanged groups the stored items again when the story
// thresholds (or the signatures of this release) differ from those the
// stored stories were made with, as serve and fetch do at start: also the
// first time, for items stored before stories existed.
func (a *app) restoryIfRulesChanged(ctx context.Context, log *slog.Logger) error {
	cfg := a.cfg.StoriesConfig()
	stored, err := a.db.Meta(ctx, storage.StoriesRulesMeta)
	if err != nil || stored == cfg.Fingerprint() {
		return err
	}
	start := time.Now()
	res, err := a.db.Restory(ctx, cfg)
	if err != nil {
		return err
	}
	if log != nil {
		log.Info("story thresholds changed: regrouped stored items", "items", res.Items, "changed", res.Changed,
			"stories", res.Stories, "duration", time.Since(start).Round(time.Millisecond).String())
	}
	return nil
}
