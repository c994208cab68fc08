package stories

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// labelledPair is one line of testdata/pairs.tsv: two corpus items and
// whether a person reading them judged them the same event.
type labelledPair struct {
	a, b   string // feed, snapshot file and link, tab-separated
	same   bool
	reason string
}

func readPairs(t *testing.T) []labelledPair {
	t.Helper()
	f, err := os.Open("testdata/pairs.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ps []labelledPair
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) != 8 || c[6] != "0" && c[6] != "1" {
			t.Fatalf("pairs.tsv:%d: want 8 columns and a 0/1 label", n)
		}
		ps = append(ps, labelledPair{
			a: strings.Join(c[0:3], "\t"), b: strings.Join(c[3:6], "\t"),
			same: c[6] == "1", reason: c[7],
		})
	}
	return ps
}

// sigCache holds the signatures of loadCorpus, which is the same for a process.
var sigCache []Signature

// groupCorpus feeds every corpus item through an Index in publication order,
// as storage would: items with the same de-duplication link are one item.
// It returns the story of each item, by feed, file and link.
func groupCorpus(t *testing.T, cfg Config) (story map[string]int64, titles map[string]string, nStories, nItems int) {
	items := loadCorpus(t)
	if sigCache == nil {
		for _, it := range items {
			sigCache = append(sigCache, Sign(it.Title, it.Content))
		}
	}
	ix := NewIndex(cfg)
	byKey := map[string]int64{}
	story = map[string]int64{}
	titles = map[string]string{}
	stories := map[int64]bool{}
	for i, it := range items {
		ref := it.Feed + "\t" + it.File + "\t" + it.Link
		titles[ref] = it.Feed + ": " + it.Title
		if s, ok := byKey[it.Key]; ok {
			story[ref] = s
			continue
		}
		s, _ := ix.Add(Doc{ID: int64(i + 1), Published: it.Published, Sig: sigCache[i]})
		byKey[it.Key] = s
		story[ref] = s
		stories[s] = true
		nItems++
	}
	return story, titles, len(stories), nItems
}

// TestGroupingQuality measures the grouping on pairs of real items labelled
// by reading them (testdata/pairs.tsv): precision is the share of pairs put
// in one story that are the same event, recall the share of same-event pairs
// put in one story.
func TestGroupingQuality(t *testing.T) {
	pairs := readPairs(t)
	story, titles, nStories, nItems := groupCorpus(t, DefaultConfig())
	var tp, fp, fn, tn int
	for _, p := range pairs {
		sa, oka := story[p.a]
		sb, okb := story[p.b]
		if !oka || !okb {
			t.Fatalf("pair %q: item not found in the corpus (%v, %v)", p.reason, oka, okb)
		}
		pred := sa == sb
		switch {
		case pred && p.same:
			tp++
		case pred && !p.same:
			fp++
			t.Logf("false positive (%s):\n\t%s\n\t%s", p.reason, titles[p.a], titles[p.b])
		case !pred && p.same:
			fn++
			t.Logf("missed (%s):\n\t%s\n\t%s", p.reason, titles[p.a], titles[p.b])
		default:
			tn++
		}
	}
	precision := float64(tp) / float64(max(tp+fp, 1))
	recall := float64(tp) / float64(max(tp+fn, 1))
	t.Logf("%d items in %d stories; %d pairs: tp=%d fp=%d fn=%d tn=%d; precision %.3f, recall %.3f",
		nItems, nStories, len(pairs), tp, fp, fn, tn, precision, recall)
	if precision < 0.95 || recall < 0.8 {
		t.Errorf("precision %.3f (want ≥ 0.95), recall %.3f (want ≥ 0.8)", precision, recall)
	}
}
