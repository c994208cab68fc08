package storage_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/config"
	"github.com/feedmill/feedmill/poller"
	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/topics"
)

// benchRows is the number of stored items BenchmarkRetag works on;
// FEEDMILL_BENCH_ROWS overrides it (the scale is 1000000).
func benchRows(b *testing.B) int {
	if s := os.Getenv("FEEDMILL_BENCH_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			b.Fatalf("FEEDMILL_BENCH_ROWS=%q", s)
		}
		return n
	}
	return 100_000
}

// newsWords make some generated items match the shipped topics.
var newsWords = strings.Fields(`ukraine kyiv russia russian moscow kremlin putin zelensky lavrov talks ceasefire
	peace envoy sanctions drone missile strike troops front economy inflation rouble election court protest
	EU Brussels commission gaza israel hamas iran lebanon syria trump washington tariffs nato summit football`)

// fillerWords are the rest of the vocabulary.
var fillerWords = func() []string {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]string, 3000)
	for i := range out {
		w := make([]byte, 3+r.IntN(8))
		for j := range w {
			w[j] = byte('a' + r.IntN(26))
		}
		out[i] = string(w)
	}
	return out
}()

// sentence writes n words, about one in forty a news word.
func sentence(r *rand.Rand, b *strings.Builder, n int) {
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		if r.IntN(40) == 0 {
			b.WriteString(newsWords[r.IntN(len(newsWords))])
		} else {
			b.WriteString(fillerWords[r.IntN(len(fillerWords))])
		}
	}
}

// shippedTagger compiles the topics of the shipped config.yaml.
func shippedTagger(b *testing.B) *poller.Tagger {
	cfg, err := config.Load("../config.yaml")
	if err != nil {
		b.Fatal(err)
	}
	defs := make([]topics.Def, len(cfg.Topics))
	for i, t := range cfg.Topics {
		defs[i] = topics.Def{Name: t.Name, Match: t.Match}
	}
	set, err := topics.Compile(defs)
	if err != nil {
		b.Fatal(err)
	}
	return &poller.Tagger{Set: set, Tags: map[string][]string{"bench": {"world"}}}
}

// BenchmarkRetag compares, on the same stored rows, a bare read of the
// columns tagging needs with a retag under the shipped config's topics:
// "unchanged" re-applies the rules the tags were stored with (every item
// read and matched, nothing to write), "changed" alternates two rule sets
// so each pass also rewrites the items whose topics differ.
func BenchmarkRetag(b *testing.B) {
	ctx := context.Background()
	n := benchRows(b)
	db, err := storage.Open(ctx, filepath.Join(b.TempDir(), "retag.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	r := rand.New(rand.NewPCG(3, 4))
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var sb strings.Builder
	err = db.InsertBenchItems(ctx, "bench", n, func(i int, it *feedmill.Item) {
		sb.Reset()
		sentence(r, &sb, 8+r.IntN(6))
		it.Title = sb.String()
		sb.Reset()
		sentence(r, &sb, 40+r.IntN(40))
		it.Text = sb.String()
		it.Link = fmt.Sprintf("https://news%d.example/story/%d", i%50, i)
		it.Lang = "en"
		if i%4 == 0 {
			it.Categories = append(it.Categories, "World")
		}
		it.Published = base.Add(time.Duration(i) * time.Minute)
	})
	if err != nil {
		b.Fatal(err)
	}
	tagger := shippedTagger(b)
	first, err := db.Retag(ctx, storage.ScanOptions{}, tagger.Tag, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d rows generated and tagged in %s; %d items have topics", n, time.Since(start).Round(time.Millisecond), first.Changed)

	perRow := map[string]float64{}
	record := func(b *testing.B, name string) {
		perRow[name] = float64(b.Elapsed().Nanoseconds()) / float64(b.N) / float64(n)
		b.ReportMetric(perRow[name], "ns/row")
	}
	b.Run("bare-read", func(b *testing.B) {
		for b.Loop() {
			if got, err := db.BareRead(ctx); err != nil || got != n {
				b.Fatalf("read %d rows, %v", got, err)
			}
		}
		record(b, "bare-read")
	})
	b.Run("retag-unchanged", func(b *testing.B) {
		for b.Loop() {
			res, err := db.Retag(ctx, storage.ScanOptions{}, tagger.Tag, nil)
			if err != nil || res.Items != n || res.Changed != 0 {
				b.Fatalf("%+v %v", res, err)
			}
		}
		record(b, "retag-unchanged")
	})
	// The other rule set drops the economy words of russia-politics.
	other := shippedTagger(b)
	alt, err := topics.Compile([]topics.Def{{Name: "russia-politics", Match: "(russia OR moscow) AND (election OR court)"}})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("retag-changed", func(b *testing.B) {
		var changed int
		i := 0
		for b.Loop() {
			tag := other.Tag
			if i%2 == 0 {
				tag = (&poller.Tagger{Set: alt}).Tag
			}
			i++
			res, err := db.Retag(ctx, storage.ScanOptions{Topics: []string{"russia-politics"}}, tag, nil)
			if err != nil {
				b.Fatal(err)
			}
			changed += res.Changed
		}
		b.ReportMetric(float64(changed)/float64(b.N), "changed/op")
		record(b, "retag-changed")
	})
	// On a shared machine one run of each says little: alternate them and
	// compare the fastest of each.
	var minBare, minRetag time.Duration
	for range 3 {
		t0 := time.Now()
		if _, err := db.BareRead(ctx); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := db.Retag(ctx, storage.ScanOptions{}, tagger.Tag, nil); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		if d := t1.Sub(t0); minBare == 0 || d < minBare {
			minBare = d
		}
		if d := t2.Sub(t1); minRetag == 0 || d < minRetag {
			minRetag = d
		}
	}
	b.Logf("rows=%d fastest of 3 alternated runs: bare read %s, retag %s = %.2fx",
		n, minBare.Round(time.Millisecond), minRetag.Round(time.Millisecond), float64(minRetag)/float64(minBare))
	if bare := perRow["bare-read"]; bare > 0 {
		b.Logf("rows=%d bare read %.0f ns/row; retag unchanged %.0f ns/row = %.2fx; retag changed %.0f ns/row = %.2fx",
			n, bare, perRow["retag-unchanged"], perRow["retag-unchanged"]/bare, perRow["retag-changed"], perRow["retag-changed"]/bare)
	}
}
