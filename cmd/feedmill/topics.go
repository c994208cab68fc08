package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/poller"
	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/storage/backend"
	"github.com/feedmill/feedmill/topics"
)

func cmdTopics(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return &usageError{"want a subcommand: test 'QUERY' or diff"}
	}
	switch args[0] {
	case "test":
		return cmdTopicsTest(ctx, e, args[1:])
	case "diff":
		return cmdTopicsDiff(ctx, e, args[1:])
	}
	return &usageError{fmt.Sprintf("unknown subcommand %q: want test or diff", args[0])}
}

// queryTopic names the previewed query among the configured topics; the
// space keeps it from clashing with (or being referenced as) a topic.
const queryTopic = " query"

// testJSON is the shape of `feedmill topics test --json` lines.
type testJSON struct {
	ID        int64          `json:"id"`
	Feed      string         `json:"feed"`
	Title     string         `json:"title"`
	Published string         `json:"published"`
	Hits      []feedmill.Hit `json:"hits"`
}

func cmdTopicsTest(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("topics test", flag.ContinueOnError)
	since := fs.String("since", "", "only items published in the last `AGE` (such as 36h or 7d)")
	limit := fs.Int("limit", 20, "show at most `N` matches, newest first; 0 shows all")
	asJSON := fs.Bool("json", false, "one JSON object per matching item")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: feedmill topics test 'QUERY' [--since AGE] [--limit N] [--json]\n\nShow the stored items QUERY matches, with the terms that matched. Nothing is saved.\nQUERY may refer to the configured topics with topic:NAME.\n\n")
		fs.PrintDefaults()
	}
	query, rest := "", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		query, rest = args[0], args[1:]
	}
	if err := e.parseFlags(fs, rest); err != nil {
		return err
	}
	if query == "" && fs.NArg() == 1 {
		query = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return &usageError{fmt.Sprintf("unexpected argument %q (quote the query)", fs.Arg(0))}
	}
	if strings.TrimSpace(query) == "" {
		return &usageError{"want a QUERY"}
	}
	if *limit < 0 {
		return &usageError{"--limit must be 0 (all) or more"}
	}
	var from time.Time
	if *since != "" {
		age, err := parseAge(*since)
		if err != nil {
			return &usageError{err.Error()}
		}
		from = time.Now().Add(-age)
	}
	a, err := e.openApp(ctx, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	set, err := topics.Compile(append(topicDefs(a.cfg), topics.Def{Name: queryTopic, Match: query}))
	if err != nil {
		if se, ok := errors.AsType[*topics.SyntaxError](err); ok && se.Topic == queryTopic {
			return &usageError{fmt.Sprintf("query: column %d: %s\n  %s\n  %*s", se.Pos, se.Msg, query, se.Pos, "^")}
		}
		return &configError{err}
	}
	tagger := &poller.Tagger{Set: set, Tags: a.tagger.Tags}

	type found struct {
		item feedmill.Item
		hits []feedmill.Hit
	}
	var matches []found
	total := 0
	err = a.db.EachItem(ctx, storage.ScanOptions{Since: from}, func(it *feedmill.Item) error {
		total++
		for _, m := range tagger.Tag(it) {
			if m.Topic == queryTopic {
				matches = append(matches, found{feedmill.Item{ID: it.ID, Feed: it.Feed, Title: it.Title,
					Published: it.Published}, m.Hits})
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(matches, func(x, y found) int {
		return cmp.Or(y.item.Published.Compare(x.item.Published), cmp.Compare(y.item.ID, x.item.ID))
	})
	shown := matches
	if *limit > 0 && len(shown) > *limit {
		shown = shown[:*limit]
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		for _, f := range shown {
			if err := enc.Encode(testJSON{ID: f.item.ID, Feed: f.item.Feed, Title: f.item.Title,
				Published: f.item.Published.UTC().Format(time.RFC3339), Hits: f.hits}); err != nil {
				return err
			}
		}
		return nil
	}
	for _, f := range shown {
		fmt.Fprintf(e.stdout, "%6d  %s  %-14s  %s\n        %s\n", f.item.ID, f.item.Published.Local().Format("2006-01-02 15:04"),
			trunc(f.item.Feed, 14), f.item.Title, describeHits(f.hits))
	}
	fmt.Fprintf(e.stdout, "%d of %d items match", len(matches), total)
	if len(shown) < len(matches) {
		fmt.Fprintf(e.stdout, " (newest %d shown)", len(shown))
	}
	fmt.Fprintln(e.stdout)
	return nil
}

// describeHits is "term (title), term (text)".
func describeHits(hits []feedmill.Hit) string {
	parts := make([]string, len(hits))
	for i, h := range hits {
		parts[i] = h.Term + " (" + h.Field + ")"
	}
	return strings.Join(parts, ", ")
}

// parseAge reads a duration that also accepts days: 7d, 36h, 90m.
func parseAge(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		d, err := strconv.Atoi(n)
		if err == nil && d > 0 {
			return time.Duration(d) * 24 * time.Hour, nil
		}
	} else if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	return 0, fmt.Errorf("--since %q: want an age such as 7d, 36h or 90m", s)
}

func cmdTopicsDiff(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("topics diff", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the changes as one JSON object")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: feedmill topics diff [--config NEW.yaml] [--json]\n\nShow, per topic and per output, which stored items would be added and removed\nif the topic rules of NEW.yaml (default: the current config file) replaced the\nrules the stored topics were computed with. `feedmill --config NEW.yaml retag`\napplies exactly that. The database is the one NEW.yaml names.\n\n")
		fs.PrintDefaults()
	}
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	// A diff against an empty database created by mistake would say
	// "nothing changes": refuse instead.
	if db := cfg.Database; !strings.HasPrefix(db, "file:") && !backend.IsPostgres(db) && !exists(db) {
		return fmt.Errorf("database %s does not exist (the database setting of %s is relative to its directory)", db, e.resolveConfigPath())
	}
	a, err := e.openApp(ctx, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	d, err := diffTopics(ctx, a)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(d)
	}
	d.print(e)
	return nil
}

// exists reports whether a file exists.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
