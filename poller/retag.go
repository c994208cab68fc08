package poller

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/normalize"
	"github.com/feedmill/feedmill/topics"
)

// Tagger matches stored items again, as retagging does: the item's feed
// tags come from the configuration, the rest from the stored item.
type Tagger struct {
	Set *topics.Set
	// Tags are the static tags of each configured feed, by name.
	Tags map[string][]string
}

// Tag returns the topics it matches now. An item stored before its plain
// text was kept has its Text derived from Content first.
func (t *Tagger) Tag(it *feedmill.Item) []feedmill.TopicMatch {
	if it.Text == "" && it.Content != "" {
		it.Text = normalize.Text(it.Content)
	}
	if t.Set == nil {
		return nil
	}
	return Tag(t.Set, it, t.Tags[it.Feed])
}

// rulesVersion changes when the way items are matched changes, so that a
// new release retags stored items as a rule change would.
const rulesVersion = "1"

// Fingerprint identifies the rules items are tagged with: every topic's
// name and query, and the feeds' static tags (which tag: matches). Stored
// tags computed under another fingerprint are out of date.
func Fingerprint(defs []topics.Def, tags map[string][]string) string {
	h := sha256.New()
	w := func(s string) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	w("feedmill-rules-" + rulesVersion)
	for _, d := range defs {
		w(d.Name)
		w(d.Match)
	}
	feeds := make([]string, 0, len(tags))
	for f, t := range tags {
		if len(t) > 0 {
			feeds = append(feeds, f)
		}
	}
	slices.Sort(feeds)
	for _, f := range feeds {
		w(f)
		w(strings.Join(tags[f], "\x01"))
	}
	return hex.EncodeToString(h.Sum(nil))
}
