package feedgen

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/normalize"
	"github.com/gorilla/feeds"
)

func renderJSON(o Output, feed *feeds.Feed, items []feedmill.Item) ([]byte, error) {
	jf := (&feeds.JSON{Feed: feed}).JSONFeed()
	jf.Version = "https://jsonfeed.org/version/1.1"
	jf.FeedUrl = o.URL(JSON)
	jf.NextUrl = o.nextURL(JSON)
	if o.Hub != "" {
		jf.Hubs = []*feeds.JSONHub{{Type: "WebSub", Url: o.Hub}}
	}
	for i, ji := range jf.Items {
		it := items[i]
		ji.Tags = it.Topics
		ji.Summary = ""
		if sum := summary(it); sum != "" {
			ji.Summary = normalize.Text(sum)
		}
		ji.ExternalUrl = ""
		// JSON Feed 1.1 deprecates the single author.
		ji.Author = nil
		if it.Published.IsZero() {
			ji.PublishedDate = nil
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(jf); err != nil {
		return nil, fmt.Errorf("feedgen: %w", err)
	}
	return buf.Bytes(), nil
}
