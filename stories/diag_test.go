package stories

import (
	"fmt"
	"os"
	"sort"
	"testing"
)

func TestDiagPairs(t *testing.T) {
	if os.Getenv("STORIES_DIAG") == "" {
		t.Skip()
	}
	items := loadCorpus(t)
	by := map[string]*corpusItem{}
	for _, it := range items {
		by[it.Feed+"\t"+it.File+"\t"+it.Link] = it
	}
	var lines []string
	for _, p := range readPairs(t) {
		a, b := by[p.a], by[p.b]
		sa, sb := Sign(a.Title, a.Content), Sign(b.Title, b.Content)
		sh, ov, cf := titleMatch(sa.Title, sb.Title)
		lab := 0
		if p.same {
			lab = 1
		}
		lines = append(lines, fmt.Sprintf("%d sim=%.2f sh=%d ov=%.2f cf=%v nt=%d/%d | %.50s | %.50s", lab, Similarity(&sa, &sb), sh, ov, cf, len(sa.Title), len(sb.Title), a.Title, b.Title))
	}
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Println(l)
	}
}
