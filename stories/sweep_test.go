package stories

import (
	"fmt"
	"os"
	"testing"
)

func TestSweep(t *testing.T) {
	if os.Getenv("STORIES_SWEEP") == "" {
		t.Skip()
	}
	pairs := readPairs(t)
	for _, hi := range []float64{0.4, 0.5} {
		for _, lo := range []float64{0.05, 0.08, 0.1, 0.12, 0.15} {
			for _, sh := range []int{2, 3} {
				for _, ov := range []float64{0.3, 0.4, 0.5, 0.6} {
					cfg := DefaultConfig()
					cfg.SameText, cfg.MinText, cfg.MinTitleShared, cfg.MinTitleOverlap = hi, lo, sh, ov
					story, _, _, _ := groupCorpus(t, cfg)
					var tp, fp, fn int
					for _, p := range pairs {
						pred := story[p.a] == story[p.b]
						switch {
						case pred && p.same:
							tp++
						case pred:
							fp++
						case p.same:
							fn++
						}
					}
					fmt.Printf("%.2f %.2f %d %.1f  P=%.3f R=%.3f fp=%d\n", hi, lo, sh, ov, float64(tp)/float64(max(tp+fp, 1)), float64(tp)/float64(tp+fn), fp)
				}
			}
		}
	}
}
