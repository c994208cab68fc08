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
// Words are weighted by their rarity among the items of the window
// (inverse document frequency), so that shared names ("Greaves", "Qusra")
// count more than shared topic words ("storm", "election"). An item matches
// a member of a story when either their texts are nearly the same (MinHash
// similarity at least SameText), or the weighted overlap of their title and
// lead words is at least MinText and their titles share at least
// MinTitleShared words making at least MinTitleOverlap of the (weighted)
// lighter title. Titles whose numbers conflict (each has a number the other
// lacks: "September 17" and "September 18") never match. An item joins a
// story when it matches its centre (first item), or matches another of its
// first members and its text overlap with the centre is at least MinCentre.
type Config struct {
	// Window bounds a story in time: an item joins a story only if it was
	// published within Window of the story's first item. Default 48h.
	Window time.Duration
	// SameText is the estimated Jaccard similarity of title-and-lead word
	// features at or above which two items are the same story whatever
	// their titles (a wire story under two headlines). Default 0.4.
	SameText float64
	// MinText is the least weighted overlap (shared weight over the
	// lighter item's weight) of title and lead words for items whose titles
	// also agree. Default 0.35: two reports of one event written separately
	// share names and key words, rarely phrasing.
	MinText float64
	// MinTitleShared is the least number of title words (stopwords aside)
	// that the two titles share. Default 1.
	MinTitleShared int
	// MinTitleOverlap is the least weighted share of the lighter title
	// found in the other. Default 0.3.
	MinTitleOverlap float64
	// MinCentre is the least weighted overlap of texts with the story's
	// centre for an item that matches another member of the story but not
	// the centre. It keeps a story from drifting: every member stays near
	// its first item. Default 0.25.
	MinCentre float64
}

// MaxTitleShared is the largest MinTitleShared: the most title words a
// signature keeps.
const MaxTitleShared = maxTitleTokens

// DefaultConfig returns the default thresholds, chosen conservatively: a
// missed grouping shows a story twice, a wrong one hides a story.
func DefaultConfig() Config {
	return Config{
		Window:          48 * time.Hour,
		SameText:        0.4,
		MinText:         0.35,
		MinTitleShared:  1,
		MinTitleOverlap: 0.3,
		MinCentre:       0.25,
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
	}{{"same_text", c.SameText}, {"min_text", c.MinText}, {"min_title_overlap", c.MinTitleOverlap}, {"min_centre", c.MinCentre}} {
		if f.v < 0 || f.v > 1 {
			errs = append(errs, fmt.Errorf("stories: %s %g is not between 0 and 1", f.name, f.v))
		}
	}
	if c.MinTitleShared < 1 || c.MinTitleShared > MaxTitleShared {
		errs = append(errs, fmt.Errorf("stories: min_title_shared %d is not between 1 and %d", c.MinTitleShared, MaxTitleShared))
	}
	return errors.Join(errs...)
}

// Fingerprint identifies the grouping that c and this release's signatures
// make: stored stories made with another fingerprint must be regrouped.
func (c Config) Fingerprint() string {
	return fmt.Sprintf("v%d window=%s same_text=%g min_text=%g min_title_shared=%d min_title_overlap=%g min_centre=%g",
		signatureVersion, c.Window, c.SameText, c.MinText, c.MinTitleShared, c.MinTitleOverlap, c.MinCentre)
}
