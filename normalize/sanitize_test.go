package normalize

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html"
)

const testBase = "https://news.example.com/2026/03/port-volumes"

func TestSanitizerHTML(t *testing.T) {
	s := NewSanitizer()
	rel := ` rel="` + linkRel + `"`
	tests := []struct{ name, in, base, want string }{
		{"plain text", "Cargo volumes rose.", testBase, "Cargo volumes rose."},
		{"plain text entities", "Fish &amp; chips & peas", testBase, "Fish &amp; chips &amp; peas"},
		{"formatting kept", "<p>A <strong>b</strong> <em>c</em></p>", testBase, "<p>A <strong>b</strong> <em>c</em></p>"},
		{"script removed", "<p>a</p><script>alert(1)</script><p>b</p>", testBase, "<p>a</p><p>b</p>"},
		{"style removed", "<style>p{}</style><p style=\"color:red\">b</p>", testBase, "<p>b</p>"},
		{"onclick removed", `<p onclick="steal()">x</p>`, testBase, "<p>x</p>"},
		{"iframe removed", `<iframe src="https://ads.example.net/"></iframe>x`, testBase, "x"},
		{"form removed", `<form action="/x"><input name="q"><button>Go</button></form>`, testBase, "Go"},
		{"javascript href removed", `<a href="javascript:alert(1)">x</a>`, testBase, "x"},
		{"javascript href obfuscated", `<a href="jav&#x09;ascript:alert(1)">x</a>`, testBase, "x"},
		{"data img removed", `<img src="data:image/png;base64,iVBORw0KGgo=" alt="x">`, testBase, `<img alt="x">`},
		{"absolute link gets rel", `<a href="https://example.org/x">x</a>`, testBase, `<a href="https://example.org/x"` + rel + `>x</a>`},
		{"relative link resolved", `<a href="../report.pdf" title="R">r</a>`, testBase, `<a href="https://news.example.com/2026/report.pdf" title="R"` + rel + `>r</a>`},
		{"root link resolved", `<a href="/about">a</a>`, testBase, `<a href="https://news.example.com/about"` + rel + `>a</a>`},
		{"fragment link", `<a href="#notes">n</a>`, testBase, `<a href="https://news.example.com/2026/03/port-volumes#notes"` + rel + `>n</a>`},
		{"protocol relative link", `<a href="//cdn.example.com/x">x</a>`, testBase, `<a href="https://cdn.example.com/x"` + rel + `>x</a>`},
		{"relative img resolved", `<img src="/media/crane.jpg" alt="Crane">`, testBase, `<img src="https://news.example.com/media/crane.jpg" alt="Crane">`},
		{"relative img no base", `<img src="/media/crane.jpg" alt="Crane">`, "", `<img alt="Crane">`},
		{"protocol relative img no base", `<img src="//cdn.example.com/a.jpg">`, "", `<img src="https://cdn.example.com/a.jpg">`},
		{"query escaped", `<a href="/s?a=1&amp;b=2">s</a>`, testBase, `<a href="https://news.example.com/s?a=1&amp;b=2"` + rel + `>s</a>`},
		{"mailto kept", `<a href="mailto:desk@example.com">m</a>`, testBase, `<a href="mailto:desk@example.com"` + rel + `>m</a>`},
		{"own rel replaced", `<a href="https://example.org/" rel="author" target="_blank">x</a>`, testBase, `<a href="https://example.org/"` + rel + `>x</a>`},
		{"figure", `<figure><img src="a.jpg" width="800" height="450"><figcaption>Cap</figcaption></figure>`, testBase, `<figure><img src="https://news.example.com/2026/03/a.jpg" width="800" height="450"><figcaption>Cap</figcaption></figure>`},
		{"bad width dropped", `<img src="https://e.com/a.jpg" width="100;x">`, testBase, `<img src="https://e.com/a.jpg">`},
		{"table and code", `<table><tr><td colspan="2"><code>x</code></td></tr></table>`, testBase, `<table><tr><td colspan="2"><code>x</code></td></tr></table>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.HTML(tt.in, tt.base); got != tt.want {
				t.Errorf("HTML(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// unsafeElement matches elements sanitized HTML must never contain. Text
// cannot contain a raw '<', so this holds for the whole output.
var unsafeElement = regexp.MustCompile(`(?i)<(script|style|iframe|object|embed|form|svg|math)`)

// checkSafe tokenizes sanitized HTML as a browser would and fails on event
// handler or style attributes and on URLs that are not absolute http(s) or
// mailto (so no javascript:, vbscript: or data:).
func checkSafe(t *testing.T, in, out string) {
	t.Helper()
	if m := unsafeElement.FindString(out); m != "" {
		t.Fatalf("HTML(%q) = %q contains %q", in, out, m)
	}
	z := html.NewTokenizer(strings.NewReader(out))
	for z.Next() != html.ErrorToken {
		tok := z.Token()
		for _, a := range tok.Attr {
			key := strings.ToLower(a.Key)
			if strings.HasPrefix(key, "on") || key == "style" {
				t.Fatalf("HTML(%q) = %q: <%s> has attribute %s", in, out, tok.Data, a.Key)
			}
			if key != "href" && key != "src" {
				continue
			}
			v := strings.ToLower(a.Val)
			if !strings.HasPrefix(v, "https://") && !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "mailto:") {
				t.Fatalf("HTML(%q) = %q: %s=%q is not an absolute http(s) URL", in, out, a.Key, a.Val)
			}
		}
	}
}

// FuzzSanitize checks that no input smuggles script, event handlers or
// script URLs through the Sanitizer, that all URLs come out absolute, and
// that Text copes with raw and sanitized HTML.
func FuzzSanitize(f *testing.F) {
	for _, s := range readSeeds(f, "testdata/html.txt") {
		f.Add(s)
	}
	if b, err := os.ReadFile("testdata/article.html"); err == nil {
		f.Add(string(b))
	}
	s := NewSanitizer()
	f.Fuzz(func(t *testing.T, in string) {
		out := s.HTML(in, testBase)
		checkSafe(t, in, out)
		_ = Text(in)
		if text := Text(out); strings.ContainsRune(text, '\x00') {
			t.Errorf("Text(%q) = %q holds a NUL", out, text)
		}
	})
}

func BenchmarkSanitizerHTML(b *testing.B) {
	src, err := os.ReadFile("testdata/article.html")
	if err != nil {
		b.Fatal(err)
	}
	s := NewSanitizer()
	in := string(src)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		s.HTML(in, testBase)
	}
}

func BenchmarkSanitizerPlainText(b *testing.B) {
	in := strings.Repeat("Cargo volumes rose for the third month in a row. ", 40)
	s := NewSanitizer()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		s.HTML(in, testBase)
	}
}

func BenchmarkText(b *testing.B) {
	src, err := os.ReadFile("testdata/article.html")
	if err != nil {
		b.Fatal(err)
	}
	in := string(src)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		Text(in)
	}
}

// corpusItems returns the items of one real feed document from the shared
// corpus, or skips when the corpus is absent.
func corpusItems(b *testing.B) (*gofeed.Feed, string) {
	files, _ := filepath.Glob("../../shared/corpus/news/npr-news/*.xml")
	if len(files) == 0 {
		b.Skip("corpus ../../shared/corpus/news/npr-news not present")
	}
	f, err := os.Open(files[len(files)-1])
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	feed, err := gofeed.NewParser().Parse(f)
	if err != nil {
		b.Fatal(err)
	}
	return feed, "https://feeds.npr.org/1001/rss.xml"
}

func BenchmarkSanitizerHTMLCorpus(b *testing.B) {
	feed, _ := corpusItems(b)
	s := NewSanitizer()
	var n int64
	for _, it := range feed.Items {
		n += int64(len(rawContent(it)))
	}
	b.SetBytes(n)
	b.ReportMetric(float64(len(feed.Items)), "items")
	for b.Loop() {
		for _, it := range feed.Items {
			s.HTML(rawContent(it), it.Link)
		}
	}
}

func BenchmarkTextCorpus(b *testing.B) {
	feed, _ := corpusItems(b)
	for b.Loop() {
		for _, it := range feed.Items {
			Text(rawContent(it))
		}
	}
}
