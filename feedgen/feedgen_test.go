package feedgen

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/mmcdole/gofeed"
)

func testItems() []feedmill.Item {
	base := time.Date(2026, 2, 5, 12, 0, 0, 0, time.UTC)
	return []feedmill.Item{
		{ID: 42, Feed: "kyiv", Link: "https://news.example/a?x=1&y=2", Title: `Lavrov mocks "pathetic" <diplomacy> & more`,
			Content: `<p>Talks <b>resume</b> in <a href="https://news.example/x">Abu Dhabi</a></p>`,
			Topics:  []string{"ukraine-diplomacy", "russia-politics"}, Published: base, Updated: base.Add(time.Hour)},
		{ID: 7, Feed: "wire", Author: "Jane Roe", Link: "https://wire.example/b", Title: "Второй материал",
			Content: "plain text", Published: base.Add(-time.Hour)},
		{ID: 3, Feed: "wire", Title: "No link at all", Content: "", Published: base.Add(-2 * time.Hour)},
	}
}

func testOutput() Output {
	return Output{Name: "ukraine", Title: "Ukraine", BaseURL: "http://127.0.0.1:8080",
		Sources: map[string]SourceFeed{"kyiv": {Title: "Kyiv Daily", URL: "https://kyiv.example/rss"}}}
}

// TestRenderParses checks what a reader sees: every format parses with
// gofeed and shows every entry with its id, title, link, date and topics.
func TestRenderParses(t *testing.T) {
	items := testItems()
	for _, f := range Formats {
		t.Run(string(f), func(t *testing.T) {
			b, err := Render(testOutput(), items, f)
			if err != nil {
				t.Fatal(err)
			}
			feed, err := gofeed.NewParser().Parse(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("gofeed cannot parse our %s: %v\n%s", f, err, b)
			}
			if feed.Title != "Ukraine" {
				t.Errorf("feed title = %q", feed.Title)
			}
			if len(feed.Items) != len(items) {
				t.Fatalf("%d entries, want %d", len(feed.Items), len(items))
			}
			for i, got := range feed.Items {
				want := items[i]
				if got.GUID != ItemID(want) {
					t.Errorf("entry %d id = %q, want %q", i, got.GUID, ItemID(want))
				}
				if got.Title != want.Title {
					t.Errorf("entry %d title = %q, want %q", i, got.Title, want.Title)
				}
				if got.Link != want.Link {
					t.Errorf("entry %d link = %q, want %q", i, got.Link, want.Link)
				}
				if got.PublishedParsed == nil || !got.PublishedParsed.Equal(want.Published) {
					t.Errorf("entry %d published = %v, want %v", i, got.PublishedParsed, want.Published)
				}
				if !slices.Equal(nonNil(got.Categories), nonNil(want.Topics)) {
					t.Errorf("entry %d categories = %q, want %q", i, got.Categories, want.Topics)
				}
			}
			if a := feed.Items[0]; len(a.Authors) == 0 || a.Authors[0].Name != "Kyiv Daily" {
				t.Errorf("first entry should name its source feed as author, got %+v", a.Authors)
			}
			if a := feed.Items[1]; len(a.Authors) == 0 || a.Authors[0].Name != "Jane Roe" {
				t.Errorf("second entry should keep its own author, got %+v", a.Authors)
			}
			if !strings.Contains(string(b), testOutput().URL(f)) {
				t.Errorf("%s output does not carry its own URL %s", f, testOutput().URL(f))
			}
		})
	}
}

// TestRenderDeterministic: the same items give the same bytes, so every
// process serving an output gives it the same ETag.
func TestRenderDeterministic(t *testing.T) {
	for _, f := range Formats {
		a, _ := Render(testOutput(), testItems(), f)
		b, _ := Render(testOutput(), testItems(), f)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two renders of the same items differ", f)
		}
		empty, err := Render(testOutput(), nil, f)
		if err != nil {
			t.Fatalf("%s: empty output: %v", f, err)
		}
		if _, err := gofeed.NewParser().Parse(bytes.NewReader(empty)); err != nil {
			t.Errorf("%s: empty output does not parse: %v", f, err)
		}
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func BenchmarkRender(b *testing.B) {
	var items []feedmill.Item
	for i := range 50 {
		it := testItems()[0]
		it.ID = int64(i + 1)
		it.Content = strings.Repeat(it.Content, 20)
		items = append(items, it)
	}
	for _, f := range Formats {
		b.Run(fmt.Sprint(f), func(b *testing.B) {
			for b.Loop() {
				if _, err := Render(testOutput(), items, f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
