package stories

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 8, 13, 6, 0, 0, 0, time.UTC)

func doc(id int64, at time.Duration, title, content string) Doc {
	return Doc{ID: id, Published: t0.Add(at), Sig: Sign(title, content)}
}

func TestTokenizeScripts(t *testing.T) {
	tests := []struct {
		name, title, content string
		want                 []string // among the text tokens
		not                  []string // stopwords that must be gone
	}{
		{"english", "The Minister's talks in Paris", "<p>Officials <b>said</b> the talks were over.</p>", []string{"minis", "talk", "paris", "offic"}, []string{"the", "in", "said"}},
		{"cyrillic", "Зеленский и Путин: переговоры в Стамбуле", "Ёлка и ещё", []string{"зеленский", "путин", "переговоры", "стамбуле", "елка"}, []string{"и", "в"}},
		{"devanagari", "दिल्ली में भारी बारिश से जलभराव", "", []string{"दिल्ली", "भारी", "बारिश", "जलभराव"}, []string{"में", "से"}},
		{"bengali", "ঢাকায় ভারী বৃষ্টি এবং জলাবদ্ধতা", "", []string{"ঢাকায়", "ভারী", "বৃষ্টি", "জলাবদ্ধতা"}, []string{"এবং"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Tokenize(tt.title, tt.content)
			for _, w := range tt.want {
				if !slices.Contains(got.Text, w) {
					t.Errorf("Tokenize(%q).Text = %q, missing %q", tt.title, got.Text, w)
				}
			}
			for _, w := range tt.not {
				if slices.Contains(got.Text, w) {
					t.Errorf("Tokenize(%q).Text = %q, has stopword %q", tt.title, got.Text, w)
				}
			}
		})
	}
}

// TestScriptsGroup checks that reports of one event in Russian, Hindi or
// Bengali group among themselves, and not with another event in the same
// script.
func TestScriptsGroup(t *testing.T) {
	tests := []struct {
		name        string
		a, b, other [2]string // title, content
	}{
		{"russian",
			[2]string{"Землетрясение магнитудой 7,4 произошло в Колумбии", "Сильное землетрясение в Колумбии разрушило здания в Кали, спасатели ищут выживших под завалами."},
			[2]string{"В Колумбии произошло мощное землетрясение: разрушены здания в Кали", "Спасатели в Кали ищут выживших после землетрясения, разрушены десятки зданий."},
			[2]string{"Парламент Франции одобрил новый бюджет на следующий год", "Депутаты проголосовали за бюджет после долгих дебатов в парламенте."}},
		{"hindi",
			[2]string{"कोलंबिया में भूकंप से भारी तबाही, कैली में इमारतें ढहीं", "कोलंबिया के कैली शहर में शक्तिशाली भूकंप के बाद बचावकर्मी मलबे में जीवित लोगों को खोज रहे हैं।"},
			[2]string{"कोलंबिया भूकंप: कैली में ढही इमारतों के मलबे में बचाव अभियान", "शक्तिशाली भूकंप के बाद कैली में बचावकर्मी जीवित लोगों की तलाश कर रहे हैं।"},
			[2]string{"दिल्ली में भारी बारिश से कई इलाकों में जलभराव", "राजधानी दिल्ली में लगातार बारिश के बाद सड़कों पर पानी भर गया।"}},
		{"bengali",
			[2]string{"কলম্বিয়ায় ভূমিকম্পে কালিতে ভবন ধস, উদ্ধারকাজ চলছে", "কলম্বিয়ার কালি শহরে শক্তিশালী ভূমিকম্পে ভবন ধসে পড়েছে, উদ্ধারকর্মীরা ধ্বংসস্তূপে জীবিতদের খুঁজছেন।"},
			[2]string{"কলম্বিয়ার কালিতে ভূমিকম্প: ধসে পড়া ভবনে উদ্ধারকাজ", "শক্তিশালী ভূমিকম্পের পর কালি শহরে ধ্বংসস্তূপে জীবিতদের খুঁজছেন উদ্ধারকর্মীরা।"},
			[2]string{"ঢাকায় ভারী বৃষ্টিতে জলাবদ্ধতা, দুর্ভোগে নগরবাসী", "টানা বৃষ্টিতে রাজধানীর বিভিন্ন সড়কে পানি জমে গেছে।"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix := NewIndex(DefaultConfig())
			sa, _ := ix.Add(doc(1, 0, tt.a[0], tt.a[1]))
			so, joinedO := ix.Add(doc(2, time.Hour, tt.other[0], tt.other[1]))
			sb, joinedB := ix.Add(doc(3, 2*time.Hour, tt.b[0], tt.b[1]))
			if !joinedB || sb != sa {
				t.Errorf("same event: story %d (joined %v), want %d", sb, joinedB, sa)
			}
			if joinedO || so == sa {
				t.Errorf("other event joined story %d", so)
			}
		})
	}
}

// tok returns a made-up word for n: n in base 26, as letters. Words of
// different n differ within the first five letters for n below 26^5.
func tok(n int) string {
	b := []byte{byte('a' + n%26)}
	for n /= 26; n > 0; n /= 26 {
		b = append(b, byte('a'+n%26))
	}
	return string(b)
}

// words returns n made-up words, tok(from) to tok(from+n-1).
func words(from, n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(tok(1000 + from + i))
		b.WriteByte(' ')
	}
	return b.String()
}

// TestNoChaining: B is like A and C is like B, but C shares nothing with
// A. C must not join A's story through B.
func TestNoChaining(t *testing.T) {
	a := doc(1, 0, words(0, 6), words(100, 10))
	b := doc(2, time.Hour, words(0, 3)+words(3000, 3), words(100, 5)+words(200, 5))
	c := doc(3, 2*time.Hour, words(3000, 6), words(200, 10))

	ix := NewIndex(DefaultConfig())
	if s, joined := ix.Add(a); s != 1 || joined {
		t.Fatalf("A: story %d joined %v", s, joined)
	}
	if s, joined := ix.Add(b); s != 1 || !joined {
		t.Fatalf("B did not join A: story %d", s)
	}
	if s, joined := ix.Add(c); s == 1 || joined {
		t.Errorf("C chained into A's story through B: story %d", s)
	}

	// C is like B: without A, it joins B's story.
	ix = NewIndex(DefaultConfig())
	ix.Add(b)
	if s, joined := ix.Add(c); s != 2 || !joined {
		t.Errorf("C did not join B alone: story %d", s)
	}
}

func TestWindow(t *testing.T) {
	title, lead := "Volcano erupts near Reykjavik airport", "Lava reached the road to the airport on Tuesday, officials in Iceland said."
	tests := []struct {
		at     time.Duration
		joined bool
	}{
		{47 * time.Hour, true},
		{-47 * time.Hour, true},
		{49 * time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.at.String(), func(t *testing.T) {
			ix := NewIndex(DefaultConfig())
			ix.Add(doc(1, 0, title, lead))
			if _, joined := ix.Add(doc(2, tt.at, title, lead)); joined != tt.joined {
				t.Errorf("joined = %v, want %v", joined, tt.joined)
			}
		})
	}

	t.Run("expiry", func(t *testing.T) {
		ix := NewIndex(DefaultConfig())
		for i := range 100 {
			ix.Add(doc(int64(i+1), time.Duration(i)*time.Minute, words(i*10, 6), ""))
		}
		if ix.Len() != 100 {
			t.Fatalf("Len = %d, want 100", ix.Len())
		}
		// Items of a later period: the first period stays open while
		// fewer than staleAdds have come since its last item.
		ix.Add(doc(1000, 100*time.Hour, "something else entirely", ""))
		if s, joined := ix.Add(doc(1001, time.Minute, words(10, 6), "")); !joined || s != 2 {
			t.Errorf("item of a period still open: story %d joined %v, want story 2", s, joined)
		}
		for i := range staleAdds + 1 {
			ix.Add(doc(int64(2000+i), 100*time.Hour+time.Duration(i)*time.Second, words(100000+i*10, 6), ""))
		}
		if ix.Len() != staleAdds+2 {
			t.Errorf("after %d items of a later period, Len = %d, want %d", staleAdds+1, ix.Len(), staleAdds+2)
		}
		// The first period was dropped: its item opens a story of its own.
		if s, joined := ix.Add(doc(9001, 2*time.Minute, words(10, 6), "")); joined || s != 9001 {
			t.Errorf("item of a dropped period: story %d joined %v", s, joined)
		}
	})
}

// synthetic returns n items of a made-up news stream: events reported by
// several sources in different words, in publication order.
func synthetic(n int, seed uint64) []Doc {
	r := rand.New(rand.NewPCG(seed, 1))
	docs := make([]Doc, n)
	for i := range docs {
		event := r.IntN(n/4 + 1)
		var title, lead strings.Builder
		for range 8 {
			if r.IntN(3) > 0 {
				fmt.Fprintf(&title, "%s ", tok(1_000_000+event*32+r.IntN(8)))
			} else {
				fmt.Fprintf(&title, "%s ", tok(zipf(r)))
			}
		}
		for range 50 {
			if r.IntN(4) == 0 {
				fmt.Fprintf(&lead, "%s ", tok(1_000_000+event*32+r.IntN(20)))
			} else {
				fmt.Fprintf(&lead, "%s ", tok(zipf(r)))
			}
		}
		docs[i] = Doc{ID: int64(i + 1), Published: t0.Add(time.Duration(i) * time.Second), Sig: Sign(title.String(), lead.String())}
	}
	return docs
}

// zipf draws a word of a 50,000-word vocabulary by Zipf's law (a word's
// frequency inversely proportional to its rank), as content words are.
func zipf(r *rand.Rand) int {
	return int(math.Exp(r.Float64()*math.Log(50000))) - 1
}

func TestDeterminism(t *testing.T) {
	docs := synthetic(3000, 7)
	run := func() []int64 {
		ix := NewIndex(DefaultConfig())
		out := make([]int64, len(docs))
		for i, d := range docs {
			// Signatures are recomputed from their encoding, as after a restart.
			sig, err := DecodeSignature(d.Sig.Encode())
			if err != nil {
				t.Fatal(err)
			}
			d.Sig = sig
			out[i], _ = ix.Add(d)
		}
		return out
	}
	first, second := run(), run()
	if !slices.Equal(first, second) {
		t.Fatal("two runs over the same items made different stories")
	}
	joined := 0
	for i, s := range first {
		if s != docs[i].ID {
			joined++
		}
	}
	if joined == 0 || joined == len(docs) {
		t.Errorf("%d of %d items joined a story: the synthetic stream should have some of both", joined, len(docs))
	}
}

// TestRestore rebuilds an Index from stored assignments and checks that it
// goes on deciding as the original would.
func TestRestore(t *testing.T) {
	docs := synthetic(2000, 11)
	orig := NewIndex(DefaultConfig())
	stored := make([]int64, 1500)
	for i, d := range docs[:1500] {
		stored[i], _ = orig.Add(d)
	}
	restored := NewIndex(DefaultConfig())
	for i, d := range docs[:1500] {
		sig, err := DecodeSignature(d.Sig.Encode())
		if err != nil {
			t.Fatal(err)
		}
		restored.Restore(stored[i], Doc{ID: d.ID, Published: d.Published, Sig: sig})
	}
	if orig.Len() != restored.Len() {
		t.Errorf("Len: restored %d, original %d", restored.Len(), orig.Len())
	}
	for _, d := range docs[1500:] {
		s1, j1 := orig.Add(d)
		s2, j2 := restored.Add(d)
		if s1 != s2 || j1 != j2 {
			t.Fatalf("item %d: restored index says story %d (%v), original %d (%v)", d.ID, s2, j2, s1, j1)
		}
	}
}

// TestRestoreOrder checks that a restored story's centre is the item
// whose id is the story's, whatever the order items come in: storage
// restores in id order, but the centre is not always the least id (a
// restory adds items in publication order), nor the earliest published
// (live ingest adds them as they arrive).
func TestRestoreOrder(t *testing.T) {
	tests := []struct {
		name string
		// arrange returns the items in the order Add saw them.
		arrange func(docs []Doc) []Doc
	}{
		{"ingest out of publication order", func(docs []Doc) []Doc {
			r := rand.New(rand.NewPCG(5, 1))
			for i := range docs {
				docs[i].Published = docs[i].Published.Add(time.Duration(r.IntN(12*60)-6*60) * time.Minute)
			}
			return docs
		}},
		{"restory: publication order, ids out of it", func(docs []Doc) []Doc {
			r := rand.New(rand.NewPCG(6, 1))
			for i, j := range r.Perm(len(docs)) {
				docs[i].ID = int64(j + 1)
			}
			return docs
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs := tt.arrange(synthetic(2000, 13))
			orig := NewIndex(DefaultConfig())
			stored := map[int64]int64{} // item id → story
			for _, d := range docs[:1500] {
				stored[d.ID], _ = orig.Add(d)
			}
			byID := slices.Clone(docs[:1500])
			slices.SortFunc(byID, func(a, b Doc) int { return cmpInt64(a.ID, b.ID) })
			byTime := slices.Clone(docs[:1500])
			slices.SortStableFunc(byTime, func(a, b Doc) int { return a.Published.Compare(b.Published) })
			for _, order := range []struct {
				name string
				docs []Doc
			}{{"id order", byID}, {"publication order", byTime}} {
				restored := NewIndex(DefaultConfig())
				for _, d := range order.docs {
					restored.Restore(stored[d.ID], d)
				}
				moved := 0
				for id, st := range orig.stories {
					rs := restored.stories[id]
					if rs == nil {
						t.Fatalf("%s: story %d not restored", order.name, id)
					}
					if rs.start != st.start || rs.gen != st.gen || !slices.Equal(rs.reps[0].Terms, st.reps[0].Terms) {
						t.Fatalf("%s: story %d restored with another centre", order.name, id)
					}
					if len(st.reps) > 1 {
						moved++
					}
				}
				if moved == 0 {
					t.Fatal("no story of two items: the test checks nothing")
				}
				if len(orig.stories) != len(restored.stories) {
					t.Errorf("%s: %d stories restored, %d open", order.name, len(restored.stories), len(orig.stories))
				}
			}
			// Restored as storage does, the index goes on deciding as the
			// original would.
			restored := NewIndex(DefaultConfig())
			for _, d := range byID {
				restored.Restore(stored[d.ID], d)
			}
			for _, d := range docs[1500:] {
				s1, j1 := orig.Add(d)
				s2, j2 := restored.Add(d)
				if s1 != s2 || j1 != j2 {
					t.Fatalf("item %d: restored index says story %d (%v), original %d (%v)", d.ID, s2, j2, s1, j1)
				}
			}
		})
	}
}

func TestSignatureEncoding(t *testing.T) {
	tests := []struct{ title, content string }{
		{"", ""},
		{"Only a title", ""},
		{"Best of cartoons, September 17, 2021", "<p>The news of the day as interpreted by our artists.</p>"},
		{"Путин и Зеленский", "Переговоры в Стамбуле"},
		{"কলম্বিয়ায় ভূমিকম্প", "ঢাকায় ভারী বৃষ্টি"},
		{strings.Repeat("many words in a very long title ", 20), ""},
	}
	for _, tt := range tests {
		t.Run(tt.title, func(t *testing.T) {
			s := Sign(tt.title, tt.content)
			b := s.Encode()
			got, err := DecodeSignature(b)
			if err != nil {
				t.Fatalf("DecodeSignature: %v", err)
			}
			if got.Min != s.Min || !slices.Equal(got.Title, s.Title) || !slices.Equal(got.Terms, s.Terms) {
				t.Errorf("round trip changed the signature")
			}
			if len(b) > MaxEncodedLen {
				t.Errorf("encoding is %d bytes", len(b))
			}
		})
	}
	gs := Sign("A title", "")
	good := gs.Encode()
	for name, b := range map[string][]byte{
		"empty":     nil,
		"version":   append([]byte{9}, good[1:]...),
		"truncated": good[:len(good)-1],
		"trailing":  append(slices.Clone(good), 0),
	} {
		if _, err := DecodeSignature(b); err == nil {
			t.Errorf("%s: DecodeSignature accepted %d bytes", name, len(b))
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	bad := Config{Window: time.Second, SameText: 2, MinText: -1, MinTitleShared: 0, MinTitleOverlap: 1.5, MinCentre: -0.5}
	err := bad.Validate()
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{"window", "same_text", "min_text", "min_title_shared", "min_title_overlap", "min_centre"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestHTMLPrefix(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"abcdef", 3, "abc"},
		{"aé", 2, "a"}, // é is 2 bytes: never cut inside a rune
		{"<p>ঢাকা</p>", 5, "<p>"},
	}
	for _, tt := range tests {
		if got := htmlPrefix(tt.in, tt.n); got != tt.want {
			t.Errorf("htmlPrefix(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
	long := "<p>" + strings.Repeat("word ", 10000) + "</p>"
	if got := Tokenize("", long); len(got.Text) == 0 || len(got.Text) > LeadWords {
		t.Errorf("long content: %d lead tokens", len(got.Text))
	}
}

func TestStripDateline(t *testing.T) {
	tests := []struct{ in, want string }{
		{"TEHRAN, Aug. 12 (MNA) – Iran has offered condolences.", "Iran has offered condolences."},
		{"LONDON (Reuters) - Britain's economy grew.", "Britain's economy grew."},
		{"NEW DELHI: The monsoon arrived early.", "The monsoon arrived early."},
		{"WASHINGTON — The Senate voted on Tuesday.", "The Senate voted on Tuesday."},
		{"Rescuers in Cali search the rubble - officials say.", "Rescuers in Cali search the rubble - officials say."},
		{"NATO allies met in Brussels on Monday.", "NATO allies met in Brussels on Monday."},
		{"US admits drone strike killed civilians", "US admits drone strike killed civilians"},
	}
	for _, tt := range tests {
		if got := stripDateline(tt.in); got != tt.want {
			t.Errorf("stripDateline(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestMatchScoreExact checks that the score ranking the stories an item
// matches uses the exact text overlap, also when a lower bound of it was
// enough to pass the thresholds: otherwise which story wins would depend on
// which comparisons took the shortcut.
func TestMatchScoreExact(t *testing.T) {
	docs := synthetic(800, 3)
	ix := NewIndex(DefaultConfig())
	// overlap returns the exact text overlap of a and b, and whether its
	// lower bound (shared weight over b's) passes the thresholds while
	// being less.
	overlap := func(a, b *Signature) (exact float64, boundDiffers bool) {
		var shared, wa, wb float64
		for _, w := range a.Terms {
			wa += ix.weight(w)
			if _, ok := slices.BinarySearch(b.Terms, w); ok {
				shared += ix.weight(w)
			}
		}
		for _, w := range b.Terms {
			wb += ix.weight(w)
		}
		if shared == 0 {
			return 0, false
		}
		exact, lower := shared/min(wa, wb), shared/wb
		return exact, lower >= max(ix.cfg.MinText, ix.cfg.MinCentre) && lower < exact-1e-9
	}
	bounded := 0
	for _, d := range docs {
		ix.best(&d.Sig, d.Published.UnixNano()) // weighs d's terms
		for _, st := range ix.stories {
			for i := range st.reps {
				m := &st.reps[i]
				score, ok, _ := ix.match(m, &d.Sig)
				if !ok {
					continue
				}
				text, differs := overlap(m, &d.Sig)
				if differs {
					bounded++
				}
				want := Similarity(m, &d.Sig) + text + ix.weightedOverlap(m.Title, d.Sig.Title, d.Sig.Terms, ix.docW)
				if math.Abs(score-want) > 1e-9 {
					t.Fatalf("item %d: score %.6f, want %.6f (exact text overlap %.6f)", d.ID, score, want, text)
				}
			}
		}
		ix.Add(d)
	}
	if bounded == 0 {
		t.Fatal("no match passed on a lower bound less than the overlap: the test checks nothing")
	}
	t.Logf("%d matches passed on a lower bound less than the overlap", bounded)
}
