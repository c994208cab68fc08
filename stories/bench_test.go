package stories

import (
	"fmt"
	"testing"
	"time"
)

// benchIndex returns an Index holding n items of the synthetic stream, all
// inside one window, and further items to add.
func benchIndex(b *testing.B, n, more int) (*Index, []Doc) {
	b.Helper()
	docs := synthetic(n+more, 42)
	// n items over 24 hours: all of them within the window of the next.
	step := 24 * time.Hour / time.Duration(n+more)
	for i := range docs {
		docs[i].Published = t0.Add(time.Duration(i) * step)
	}
	ix := NewIndex(DefaultConfig())
	for _, d := range docs[:n] {
		ix.Add(d)
	}
	return ix, docs[n:]
}

// BenchmarkAdd is the cost of grouping one item, its signature computed,
// with 100,000 items already in the index (and in its window).
func BenchmarkAdd(b *testing.B) {
	const more = 50000
	ix, docs := benchIndex(b, 100_000, more)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		ix.Add(docs[i%more])
		i++
	}
	b.ReportMetric(float64(ix.Len()), "stories")
}

// BenchmarkSign is the cost of an item's signature from its title and
// HTML content: what grouping adds to ingest besides Add.
func BenchmarkSign(b *testing.B) {
	title := "Search efforts in Colombia enter ‘final phase’ as quake toll reaches 265"
	content := "<p>President de La Espriella promises to set up an emergency fund as rescuers search the rubble of collapsed buildings in Cali, where the magnitude 7.4 earthquake struck on Monday night.</p>" +
		"<p>" + fmt.Sprint(words(0, 80)) + "</p>"
	b.ReportAllocs()
	for b.Loop() {
		Sign(title, content)
	}
}

// BenchmarkSignCorpus is Sign over the real items of the corpus, one item
// per iteration (skipped without the corpus).
func BenchmarkSignCorpus(b *testing.B) {
	items := loadCorpus(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		it := items[i%len(items)]
		Sign(it.Title, it.Content)
		i++
	}
}
