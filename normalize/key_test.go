package normalize

import (
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"
)

func TestContentKey(t *testing.T) {
	const (
		title = "Parliament passes the budget after a night of talks"
		body  = "<p>The parliament passed the budget for next year on Tuesday morning after negotiators talked through the night.</p>"
	)
	base := ContentKey(title, body)
	if !strings.HasPrefix(base, "content:") || len(base) != len("content:")+32 {
		t.Fatalf("ContentKey = %q, want content: and 32 hex digits", base)
	}
	tests := []struct {
		name, title, content string
		same                 bool // the key equals base
		none                 bool // no key at all
	}{
		{"identical", title, body, true, false},
		{"title case and spacing", "  PARLIAMENT passes   the budget\tafter a night of talks ", body, true, false},
		{"title markup and entities", "<b>Parliament</b> passes the budget after a night of&#32;talks", body, true, false},
		{"body markup, case and spacing", title,
			"<div><h2>The   Parliament</h2> passed the <a href=\"/x\">budget</a> for next year\n on Tuesday morning after negotiators talked through the night.</div>", true, false},
		{"escaped markup is one word", title,
			"&lt;p&gt;ignored&lt;/p&gt;", false, true},
		{"a script is no text", title, body + "<script>track()</script>", true, false},
		{"different title", "Parliament rejects the budget after a night of talks", body, false, false},
		{"different body", title, "<p>The parliament rejected the budget for next year on Tuesday morning after negotiators failed to agree.</p>", false, false},
		{"no title", "", body, false, true},
		{"markup-only title", "<br/>", body, false, true},
		{"empty body", "Live updates", "", false, true},
		{"short body", "Live updates", "<p>Follow the latest developments here as they happen.</p>", false, true},
		{"eleven words", title, "<p>one two three four five six seven eight nine ten eleven</p>", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ContentKey(tt.title, tt.content)
			switch {
			case tt.none && got != "":
				t.Errorf("ContentKey = %q, want none", got)
			case !tt.none && got == "":
				t.Error("ContentKey is empty")
			case tt.same && got != base:
				t.Errorf("ContentKey = %q, want %q", got, base)
			case !tt.same && got == base:
				t.Errorf("ContentKey = %q, the same as another article's", got)
			}
		})
	}
	if ContentKey("Short", "<p>one two three four five six seven eight nine ten eleven twelve</p>") == "" {
		t.Error("twelve words: no key")
	}
}

// TestItemContentKey checks that normalization gives an article republished
// with a new guid and a new link the key of the first, and no key to an
// item whose title was derived from a short body.
func TestItemContentKey(t *testing.T) {
	n := New(nil)
	feed := &gofeed.Feed{Link: "https://news.example/"}
	body := "<p>The parliament passed the budget for next year on Tuesday morning after negotiators talked through the night.</p>"
	first := n.Item("a", feed, &gofeed.Item{GUID: "1", Link: "/2026/budget", Title: "Budget passes", Description: body}, "", testNow)
	again := n.Item("b", feed, &gofeed.Item{GUID: "x-9", Link: "https://other.example/b?id=9", Title: "Budget  passes",
		Content: "<div>" + strings.ToUpper(body[3:10]) + body[10:] + "</div>"}, "", testNow)
	if first.ContentKey == "" || first.ContentKey != again.ContentKey {
		t.Errorf("republished article: keys %q and %q, want one", first.ContentKey, again.ContentKey)
	}
	if first.Key == again.Key || first.LinkKey == again.LinkKey {
		t.Errorf("the items should differ in key and link: %+v %+v", first, again)
	}
	untitled := n.Item("a", feed, &gofeed.Item{GUID: "3", Description: body}, "", testNow)
	if untitled.Title == "" || untitled.ContentKey != "" {
		t.Errorf("untitled item: title %q, content key %q; want a derived title and no key", untitled.Title, untitled.ContentKey)
	}
}
