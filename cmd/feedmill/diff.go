package main

import (
	"context"
	"fmt"
	"slices"

	"github.com/feedmill/feedmill/storage"
)

// diffItem is one item in a diff.
type diffItem struct {
	ID    int64  `json:"id"`
	Feed  string `json:"feed"`
	Title string `json:"title"`
}

// diffGroup is what one topic or output gains and loses.
type diffGroup struct {
	Name    string     `json:"name"`
	Added   []diffItem `json:"added"`
	Removed []diffItem `json:"removed"`
}

// topicDiff is the outcome of `feedmill topics diff`: what retag would do.
type topicDiff struct {
	Items   int         `json:"items"`
	Changed int         `json:"changed"`
	Topics  []diffGroup `json:"topics"`
	Outputs []diffGroup `json:"outputs"`
	// Explained counts items whose topics stay but whose recorded terms
	// would change.
	Explained int `json:"explained"`
}

// diffTopics runs a retag without writing and groups its changes by topic
// and by output (outputs with no topics carry every item and never change).
func diffTopics(ctx context.Context, a *app) (*topicDiff, error) {
	d := &topicDiff{}
	topicIdx := map[string]int{}
	group := func(list *[]diffGroup, idx map[string]int, name string) *diffGroup {
		i, ok := idx[name]
		if !ok {
			i = len(*list)
			idx[name] = i
			*list = append(*list, diffGroup{Name: name, Added: []diffItem{}, Removed: []diffItem{}})
		}
		return &(*list)[i]
	}
	// Topics and outputs in configuration order, then stored topics that
	// no longer exist.
	for _, t := range a.cfg.Topics {
		group(&d.Topics, topicIdx, t.Name)
	}
	outputIdx := map[string]int{}
	for _, o := range a.cfg.Outputs {
		if len(o.Topics) > 0 {
			group(&d.Outputs, outputIdx, o.Name)
		}
	}
	res, err := a.db.Retag(ctx, storage.ScanOptions{DryRun: true}, a.tagger.Tag, func(c storage.TopicChange) {
		it := diffItem{ID: c.Item.ID, Feed: c.Item.Feed, Title: c.Item.Title}
		if slices.Equal(c.Before, c.After) {
			d.Explained++
			return
		}
		for _, t := range c.After {
			if !slices.Contains(c.Before, t) {
				g := group(&d.Topics, topicIdx, t)
				g.Added = append(g.Added, it)
			}
		}
		for _, t := range c.Before {
			if !slices.Contains(c.After, t) {
				g := group(&d.Topics, topicIdx, t)
				g.Removed = append(g.Removed, it)
			}
		}
		for _, o := range a.cfg.Outputs {
			if len(o.Topics) == 0 {
				continue
			}
			before, after := carries(o.Topics, c.Before), carries(o.Topics, c.After)
			switch {
			case after && !before:
				g := group(&d.Outputs, outputIdx, o.Name)
				g.Added = append(g.Added, it)
			case before && !after:
				g := group(&d.Outputs, outputIdx, o.Name)
				g.Removed = append(g.Removed, it)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	d.Items, d.Changed = res.Items, res.Changed
	return d, nil
}

// carries reports whether an output of these topics carries an item of
// those.
func carries(outputTopics, itemTopics []string) bool {
	for _, t := range itemTopics {
		if slices.Contains(outputTopics, t) {
			return true
		}
	}
	return false
}

// diffShown is how many titles print lists per group and direction.
const diffShown = 20

func (d *topicDiff) print(e *env) {
	section := func(kind string, groups []diffGroup) {
		for _, g := range groups {
			fmt.Fprintf(e.stdout, "%s %s: +%d -%d\n", kind, g.Name, len(g.Added), len(g.Removed))
			list := func(sign string, items []diffItem) {
				for i, it := range items {
					if i == diffShown {
						fmt.Fprintf(e.stdout, "  %s ... and %d more (--json lists all)\n", sign, len(items)-diffShown)
						break
					}
					fmt.Fprintf(e.stdout, "  %s %6d  %-14s  %s\n", sign, it.ID, trunc(it.Feed, 14), it.Title)
				}
			}
			list("+", g.Added)
			list("-", g.Removed)
		}
	}
	section("topic", d.Topics)
	section("output", d.Outputs)
	fmt.Fprintf(e.stdout, "%d items checked: retag would change the topics of %d and the recorded terms of %d more\n",
		d.Items, d.Changed-d.Explained, d.Explained)
}
