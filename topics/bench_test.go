package topics

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// benchTopics reads testdata/bench-topics.txt: name<TAB>query per line.
func benchTopics(tb testing.TB) []Def {
	f, err := os.Open("testdata/bench-topics.txt")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var defs []Def
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, q, ok := strings.Cut(line, "\t")
		if !ok {
			tb.Fatalf("bad line %q", line)
		}
		defs = append(defs, Def{Name: name, Match: q})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return defs
}

// benchDoc is a ~2 KB news item, as the poller would hand it over.
func benchDoc(tb testing.TB) *Doc {
	raw, err := os.ReadFile("testdata/bench-article.txt")
	if err != nil {
		tb.Fatal(err)
	}
	title, text, _ := strings.Cut(string(raw), "\n")
	return &Doc{
		Title:      title,
		Text:       text,
		Feed:       "Example Wire",
		Author:     "Staff reporter",
		Link:       "https://www.example.com/world/europe/eu-energy-summit",
		Lang:       "en",
		Categories: []string{"World", "Europe"},
		Tags:       []string{"europe", "news"},
	}
}

func TestBenchTopics(t *testing.T) {
	defs := benchTopics(t)
	if len(defs) != 200 {
		t.Fatalf("%d topics, want 200", len(defs))
	}
	s, err := Compile(defs)
	if err != nil {
		t.Fatal(err)
	}
	got := topicNames(s.Match(benchDoc(t)))
	for _, want := range []string{"country-ukraine", "frozen-assets", "eu-summit", "energy-prices", "lng", "europe-tag", "ref-energy"} {
		if !strings.Contains(strings.Join(got, " "), want) {
			t.Errorf("bench article does not match %s; matched %q", want, got)
		}
	}
	for _, notWant := range []string{"football", "country-japan", "company-apple", "russian-lang"} {
		if strings.Contains(" "+strings.Join(got, " ")+" ", " "+notWant+" ") {
			t.Errorf("bench article matches %s", notWant)
		}
	}
}

func BenchmarkMatch(b *testing.B) {
	defs := benchTopics(b)
	s, err := Compile(defs)
	if err != nil {
		b.Fatal(err)
	}
	d := benchDoc(b)
	b.SetBytes(int64(len(d.Title) + len(d.Text)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		s.Match(d)
		n++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*len(defs)), "ns/item-topic")
}

func BenchmarkTokenize(b *testing.B) {
	d := benchDoc(b)
	text := d.Title + "\n" + d.Text
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		sc := newScanner(text, buf)
		for {
			tok, _, _, ok := sc.next()
			if !ok {
				break
			}
			englishFold(tok)
		}
		buf = sc.buf
	}
}

func BenchmarkCompile(b *testing.B) {
	defs := benchTopics(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(defs); err != nil {
			b.Fatal(err)
		}
	}
}
