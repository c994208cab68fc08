package stories

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"
)

// FuzzSign feeds arbitrary titles and contents (HTML or not, any script)
// through the tokenizer and the signature, and checks their invariants.
// Seeds: testdata/fuzz-seeds.txt, one title<TAB>content per line.
func FuzzSign(f *testing.F) {
	fh, err := os.Open("testdata/fuzz-seeds.txt")
	if err != nil {
		f.Fatal(err)
	}
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		title, content, _ := strings.Cut(sc.Text(), "\t")
		f.Add(title, content)
	}
	fh.Close()
	f.Fuzz(func(t *testing.T, title, content string) {
		toks := Tokenize(title, content)
		for _, w := range toks.Text {
			// A stem may equal a stopword ("therea" → "there"); a stopword
			// itself never comes through whole, and no token is longer
			// than the stem in Latin letters.
			if w == "" || len(w) > stemLen && strings.Trim(w, "abcdefghijklmnopqrstuvwxyz") == "" {
				t.Fatalf("token %q: empty or not stemmed", w)
			}
		}
		if len(toks.Text) < len(toks.Title) {
			t.Fatalf("text has fewer tokens (%d) than the title (%d)", len(toks.Text), len(toks.Title))
		}
		s := Sign(title, content)
		if again := Sign(title, content); again.Min != s.Min || !slices.Equal(again.Title, s.Title) {
			t.Fatal("Sign is not deterministic")
		}
		if len(s.Title) > maxTitleTokens || !slices.IsSorted(s.Title) || len(slices.Compact(slices.Clone(s.Title))) != len(s.Title) {
			t.Fatalf("title set %v: not sorted, repeated or too long", s.Title)
		}
		if len(s.Terms) > maxTerms || !slices.IsSorted(s.Terms) || len(slices.Compact(slices.Clone(s.Terms))) != len(s.Terms) {
			t.Fatalf("term set %v: not sorted, repeated or too long", s.Terms)
		}
		for _, w := range s.Title {
			if _, found := slices.BinarySearch(s.Terms, w); !found {
				t.Fatalf("title word %x is not among the terms", w)
			}
		}
		sim := Similarity(&s, &s)
		if len(toks.Text) > 0 && sim != 1 || len(toks.Text) == 0 && sim != 0 {
			t.Fatalf("self-similarity %v with %d tokens", sim, len(toks.Text))
		}
		other := Sign("Earthquake in Colombia", "Rescuers search the rubble in Cali.")
		if a, b := Similarity(&s, &other), Similarity(&other, &s); a != b || a < 0 || a > 1 {
			t.Fatalf("similarity %v / %v: not symmetric or out of range", a, b)
		}
		got, err := DecodeSignature(s.Encode())
		if err != nil || got.Min != s.Min || !slices.Equal(got.Title, s.Title) || !slices.Equal(got.Terms, s.Terms) {
			t.Fatalf("encoding round trip: %v", err)
		}
		// An item always joins the story of an identical item, unless it has
		// no words at all.
		ix := NewIndex(DefaultConfig())
		ix.Add(Doc{ID: 1, Published: t0, Sig: s})
		if _, joined := ix.Add(Doc{ID: 2, Published: t0, Sig: s}); joined != (len(toks.Text) > 0 && len(s.Title) > 0 || sim >= DefaultConfig().SameText) {
			t.Fatalf("identical item joined = %v (tokens %d, title words %d)", joined, len(toks.Text), len(s.Title))
		}
	})
}
