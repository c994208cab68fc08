package server

import (
	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/normalize"
	"github.com/feedmill/feedmill/topics"
)

// QueryFilter is an ItemQuery.Filter that keeps the stored items matching
// topic name of set (an output's query compiled as a topic). The query sees
// what is stored: title, content, first feed, author, link, categories and
// that feed's tags from tags; the feed's language is not stored, so lang:
// matches nothing. It runs when an output is rendered, once per change.
func QueryFilter(set *topics.Set, name string, tags map[string][]string) func(*feedmill.Item) bool {
	return func(it *feedmill.Item) bool {
		doc := &topics.Doc{
			Title:      it.Title,
			Text:       normalize.Text(it.Content),
			Feed:       it.Feed,
			Author:     it.Author,
			Link:       it.Link,
			Categories: it.Categories,
			Tags:       tags[it.Feed],
		}
		for _, m := range set.Match(doc) {
			if m.Topic == name {
				return true
			}
		}
		return false
	}
}
