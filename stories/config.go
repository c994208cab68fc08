package stories

import (
	"errors"
	"fmt"
	"time"
)

// Config holds the thresholds of the grouping. Changing them changes which
// items share a story; stored signatures let `feedmill restory` apply new
// ones to items already stored.
//
// An item joins a story when, compared with the story's centre (its first
// item), either their texts are nearly the same (Similarity at least
// SameText), or their texts are alike (at least MinText) and their titles
// share at least MinTitleShared words making at least MinTitleOverlap of the
// (weighted) shorter title. In both cases titles whose numbers conflict (each has a
// number the other lacks: "September 17" and "September 18") never join.
type Config struct {
	// Window bounds a story in time: an item joins a story only if it was
	// published within Window of the story's first item. Default 48h.
	Window time.Duration
	// SameText is the estimated Jaccard similarity of title-and-lead word
	// features at or above which two items are the same story whatever
	// their titles (a wire story under two headlines). Default 0.4.
	SameText float64
	// MinText is the least similarity of title and lead for items whose
	// titles also agree. Default 0.15: two reports of one event written
	// separately share names and key words, rarely phrasing.
	MinText float64
	// MinTitleShared is the least number of title words (stopwords aside)
	// that the two titles share. Default 2.
	MinTitleShared int
	// MinTitleOverlap is the least share of the shorter title found in the
	// other, each word weighted by its rarity among the titles of the
	// window (inverse document frequency), so that shared names count more
	// than shared topic words ("storm", "election"). Default 0.4.
	MinTitleOverlap float64
}

// DefaultConfig returns the default thresholds, chosen conservatively: a
// missed grouping shows a story twice, a wrong one hides a story.
func DefaultConfig() Config {
	return Config{
		Window:          48 * time.Hour,
		SameText:        0.4,
		MinText:         0.15,
		MinTitleShared:  2,
		MinTitleOverlap: 0.4,
	}
}

// Validate reports every threshold out of its range.
func (c Config) Validate() error {
	var errs []error
	if c.Window < time.Minute {
		errs = append(errs, fmt.Errorf("stories: window %s is shorter than a minute", c.Window))
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"same_text", c.SameText}, {"min_text", c.MinText}, {"min_title_overlap", c.MinTitleOverlap}} {
		if f.v < 0 || f.v > 1 {
			errs = append(errs, fmt.Errorf("stories: %s %g is not between 0 and 1", f.name, f.v))
		}
	}
	if c.MinText > c.SameText {
		errs = append(errs, fmt.Errorf("stories: min_text %g is above same_text %g", c.MinText, c.SameText))
	}
	if c.MinTitleShared < 1 || c.MinTitleShared > maxTitleTokens {
		errs = append(errs, fmt.Errorf("stories: min_title_shared %d is not between 1 and %d", c.MinTitleShared, maxTitleTokens))
	}
	return errors.Join(errs...)
}
