package opml

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		file string
		want []Feed
	}{
		{"feedly.opml", []Feed{
			{Title: "BBC World", URL: "https://feeds.bbci.co.uk/news/world/rss.xml", HTMLURL: "https://www.bbc.co.uk/news", Tags: []string{"World", "Tech"}},
			{Title: "Kyiv Independent", URL: "https://kyivindependent.com/feed/", HTMLURL: "https://kyivindependent.com", Tags: []string{"World"}},
			{Title: "Go blog", URL: "https://go.dev/blog/feed.atom", Tags: []string{"Tech", "Go"}},
			{Title: "LWN", URL: "https://lwn.net/headlines/rss", Tags: []string{"linux", "kernel", "news"}},
		}},
		{"netnewswire.opml", []Feed{
			{Title: "Daring Fireball", URL: "https://daringfireball.net/feeds/main", HTMLURL: "https://daringfireball.net/"},
			{Title: "Guardian World", URL: "https://www.theguardian.com/world/rss", HTMLURL: "https://www.theguardian.com/world", Tags: []string{"News"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := Parse(f)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestParseBad(t *testing.T) {
	deep := strings.Repeat(`<outline text="x">`, 100) + strings.Repeat(`</outline>`, 100)
	for name, doc := range map[string]string{
		"not xml":  "hello",
		"not opml": `<rss version="2.0"><channel></channel></rss>`,
		"too deep": `<opml version="2.0"><body>` + deep + `</body></opml>`,
	} {
		if _, err := Parse(strings.NewReader(doc)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestRoundTrip: what Write writes, Parse reads back.
func TestRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	err := Write(&buf, "feeds", []Outline{
		{Text: "World", Outlines: []Outline{{Text: "A & B", Type: "rss", XMLURL: "https://a.example/rss?x=1&y=2"}}},
		{Text: "C", Type: "rss", XMLURL: "https://c.example/feed"},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	want := []Feed{{Title: "A & B", URL: "https://a.example/rss?x=1&y=2", Tags: []string{"World"}}, {Title: "C", URL: "https://c.example/feed"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// FuzzParse: any input either fails or gives feeds with absolute http(s)
// URLs, each once, with no empty tags; and what Write makes of them parses
// back to the same URLs.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.opml")
	for _, name := range files {
		b, _ := os.ReadFile(name)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		feeds, err := Parse(bytes.NewReader(data))
		if err != nil {
			return
		}
		seen := map[string]bool{}
		var outlines []Outline
		for _, fd := range feeds {
			if !strings.HasPrefix(fd.URL, "http://") && !strings.HasPrefix(fd.URL, "https://") {
				t.Errorf("URL %q", fd.URL)
			}
			if seen[fd.URL] {
				t.Errorf("URL %q twice", fd.URL)
			}
			seen[fd.URL] = true
			for _, tag := range fd.Tags {
				if strings.TrimSpace(tag) == "" {
					t.Errorf("empty tag in %+v", fd)
				}
			}
			outlines = append(outlines, Outline{Text: fd.Title, Type: "rss", XMLURL: fd.URL})
		}
		var buf bytes.Buffer
		if err := Write(&buf, "t", outlines); err != nil {
			return // text that XML cannot carry
		}
		again, err := Parse(&buf)
		if err != nil {
			t.Fatalf("re-parse: %v\n%s", err, buf.Bytes())
		}
		if len(again) != len(feeds) {
			t.Errorf("round trip: %d feeds, want %d", len(again), len(feeds))
		}
	})
}
