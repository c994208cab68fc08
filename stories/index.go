package stories

import (
	"math"
	"slices"
	"time"

	feedmill "github.com/feedmill/feedmill"
)

// Doc is one item as the grouping sees it.
type Doc struct {
	// ID is the item's storage id: non-zero and unique. A story's id is the
	// id of its first item.
	ID int64
	// Published places the item in time (feedmill.Item.Published).
	Published time.Time
	// Sig is the item's Signature.
	Sig Signature
}

// NewDoc returns the Doc of a stored item.
func NewDoc(it *feedmill.Item) Doc {
	return Doc{ID: it.ID, Published: it.Published, Sig: Sign(it.Title, it.Content)}
}

// LSH bands over the first bands*rows MinHash values: items whose texts are
// nearly the same (similarity 0.5 and more) share a band with probability
// 0.74 to 1, unrelated ones almost never. Rare shared words find the rest.
const (
	bands = 10
	rows  = 3
)

// maxPosting bounds the stories remembered per term in a generation. A
// word found in that many items ("trump", "covid") is too common to find
// candidates with: Add skips its postings, and the rarer words of the same
// item find the story. The bound keeps Add constant-time; the word still
// counts, with a low weight, when items are compared.
const maxPosting = 32

// maxCompare bounds the candidate stories compared in full with a new
// item: those sharing the most terms with it.
const maxCompare = 12

// maxReps bounds the members of a story that new items are compared with:
// its centre and the next members to join.
const maxReps = 8

// story is an open story: its first members and when it started.
type story struct {
	// reps are the story's first members; reps[0] is its centre, the
	// first item. A new item joins when it matches the centre, or matches
	// another member and is still near the centre (Config.MinCentre): so
	// every member stays close to one item, and unrelated stories never
	// chain through a member in between.
	reps  []Signature
	start int64 // unix nanoseconds of the centre's publication
	gen   int64
	// early is set while reps[0] is a member that Restore met before
	// the centre.
	early bool
}

// generation holds the lookup tables of the items published in one half
// window. The five generations around an item's cover every story it can
// join, and expiring a generation drops whole maps instead of single
// entries.
//
// The maps hold no pointers, so that a full window costs the garbage
// collector nothing to scan: postings are linked lists in one slice.
type generation struct {
	num     int64
	terms   map[uint32]posting // term hash → its stories
	entries []entry            // the postings' cells
	df      map[uint32]int32   // term hash → items of this generation with it
	bands   map[uint64]int64   // band key → the latest story with it
	stories []int64            // stories whose centre falls in this generation
	items   int                // items added in this generation
	used    int64              // Index.adds when an item was last added
}

// posting is the list of stories with one term: its newest cell and its
// length.
type posting struct{ head, n int32 }

// entry is one cell of a posting; next is -1 at the end.
type entry struct {
	story int64
	next  int32
}

// add prepends story s to term w's posting unless it is already first or
// the posting is full: a full posting only says that the word is common
// (see maxPosting).
func (g *generation) add(w uint32, s int64) {
	p, ok := g.terms[w]
	if !ok {
		p.head = -1
	}
	if p.n >= maxPosting || p.n > 0 && g.entries[p.head].story == s {
		return
	}
	g.entries = append(g.entries, entry{story: s, next: p.head})
	g.terms[w] = posting{head: int32(len(g.entries) - 1), n: p.n + 1}
}

// Index groups items into stories incrementally. Add costs a few map
// look-ups and at most a bounded number of signature comparisons, however
// many items it holds. An Index is not safe for concurrent use.
type Index struct {
	cfg     Config
	half    int64 // generation width, nanoseconds
	hi      int64 // newest generation number
	started bool
	gens    map[int64]*generation // by number: floor(published / half)
	adds    int64                 // items added or restored, for staleAdds
	stories map[int64]*story
	df      map[uint32]int32 // term → items with it, all generations
	items   int              // items in all generations
	docW    []float64        // scratch: weights of the new item's terms
	docWSum float64          // the sum of docW
	cands   []int64          // scratch: candidate stories, once per shared term
	banded  []int64          // scratch: candidate stories sharing a band
	counted []candidate      // scratch: candidate stories with their shared terms
	rare    []rareTerm       // scratch: the new item's rarest terms
}

// rareTerm is a term of a new item with its document frequency.
type rareTerm struct {
	w  uint32
	df int32
}

// lookupTerms is how many of a new item's rarest terms find candidate
// stories.
const lookupTerms = 10

// maxTraverse bounds the stories read from one term's posting (the newest
// ones) when finding candidates.
const maxTraverse = 16

// candidate is a story sharing terms with a new item.
type candidate struct {
	story  int64
	shared int
}

// NewIndex returns an empty Index with the thresholds of cfg, which must be
// valid (see Config.Validate).
func NewIndex(cfg Config) *Index {
	return &Index{
		cfg:     cfg,
		half:    max(int64(cfg.Window/2), 1),
		stories: make(map[int64]*story),
		df:      make(map[uint32]int32),
		gens:    make(map[int64]*generation),
	}
}

// Len returns the number of stories still open to new items.
func (ix *Index) Len() int { return len(ix.stories) }

// Add assigns d to a story: the most similar open story whose centre it
// matches (see Config), or a new story whose id is d.ID. joined reports
// whether d joined an existing story. Items should come in roughly
// publication order; those of a period whose generations were dropped
// (see staleAdds) start them again.
func (ix *Index) Add(d Doc) (storyID int64, joined bool) {
	t := d.Published.UnixNano()
	g := ix.advance(t)
	storyID = d.ID
	if best, ok := ix.best(&d.Sig, t); ok {
		storyID, joined = best, true
		if st := ix.stories[best]; len(st.reps) < maxReps {
			st.reps = append(st.reps, d.Sig)
		}
	} else if g != nil {
		ix.stories[d.ID] = &story{reps: []Signature{d.Sig}, start: t, gen: g.num}
		g.stories = append(g.stories, d.ID)
	}
	if g != nil {
		ix.insert(g, storyID, &d.Sig)
	}
	return storyID, joined
}

// Restore puts back an item whose story was decided before (by Add, and
// stored), as when the daemon starts: no decision is made. A story's
// centre is the item whose id is the story's, wherever it comes: Add
// makes the first item of a story its centre, whatever its publication,
// and a restory (Add in publication order) the earliest published. The
// other members are remembered in the order they come, which should be
// the order they joined: the order of their ids.
func (ix *Index) Restore(storyID int64, d Doc) {
	t := d.Published.UnixNano()
	g := ix.advance(t)
	if g == nil {
		return
	}
	st, ok := ix.stories[storyID]
	switch {
	case !ok:
		ix.stories[storyID] = &story{reps: []Signature{d.Sig}, start: t, gen: g.num, early: d.ID != storyID}
		g.stories = append(g.stories, storyID)
	case st.early && d.ID == storyID:
		// The centre comes after members: it takes their place first,
		// and its publication and generation become the story's.
		st.reps = slices.Insert(st.reps, 0, d.Sig)[:min(len(st.reps)+1, maxReps)]
		if old := ix.gens[st.gen]; st.gen != g.num && old != nil {
			old.stories = slices.DeleteFunc(old.stories, func(s int64) bool { return s == storyID })
			g.stories = append(g.stories, storyID)
		}
		st.start, st.gen, st.early = t, g.num, false
	case len(st.reps) < maxReps:
		st.reps = append(st.reps, d.Sig)
	}
	ix.insert(g, storyID, &d.Sig)
}

// staleAdds is how many items may be added to other generations before
// a generation outside the newest window, to which none was added, is
// dropped. Items mostly come in publication order, and the generations
// that fall behind the newest are dropped soon after; but a feed that
// brings items of another period (a new feed's archive, a backfill) keeps
// that period's generations open while its items come.
const staleAdds = 1000

// maxGens bounds the generations kept, the newest window's included.
const maxGens = 12

// advance returns t's generation, creating it when needed, and drops the
// generations outside the newest window that no item was added to lately.
func (ix *Index) advance(t int64) *generation {
	n := floorDiv(t, ix.half)
	if !ix.started || n > ix.hi {
		ix.started, ix.hi = true, n
	}
	g := ix.gens[n]
	if g == nil {
		g = &generation{num: n, terms: make(map[uint32]posting), df: make(map[uint32]int32), bands: make(map[uint64]int64)}
		ix.gens[n] = g
	}
	ix.adds++
	g.used = ix.adds
	var oldest *generation
	for k, old := range ix.gens {
		if k >= ix.hi-2 || old == g {
			continue
		}
		if ix.adds-old.used > staleAdds {
			ix.drop(old)
		} else if oldest == nil || old.used < oldest.used {
			oldest = old
		}
	}
	if len(ix.gens) > maxGens && oldest != nil {
		ix.drop(oldest)
	}
	return g
}

// drop forgets a generation and the stories that started in it.
func (ix *Index) drop(old *generation) {
	for _, id := range old.stories {
		delete(ix.stories, id)
	}
	for w, n := range old.df {
		if ix.df[w] -= n; ix.df[w] <= 0 {
			delete(ix.df, w)
		}
	}
	ix.items -= old.items
	delete(ix.gens, old.num)
}

// best returns the open story that a signature published at t joins.
func (ix *Index) best(sig *Signature, t int64) (id int64, ok bool) {
	cands, banded := ix.cands[:0], ix.banded[:0]
	ix.docW, ix.docWSum = ix.docW[:0], 0
	rare := ix.rare[:0]
	for _, w := range sig.Terms {
		df := ix.df[w]
		ix.docW = append(ix.docW, ix.weightOf(df))
		ix.docWSum += ix.docW[len(ix.docW)-1]
		if df > 0 && df < 3*maxPosting {
			rare = append(rare, rareTerm{w, df})
		}
	}
	// Candidates come from the item's rarest words: names and the
	// particular words of an event, which its other reports share.
	if len(rare) > lookupTerms {
		slices.SortFunc(rare, func(a, b rareTerm) int {
			if a.df != b.df {
				return int(a.df - b.df)
			}
			return int(int64(a.w) - int64(b.w))
		})
		rare = rare[:lookupTerms]
	}
	ix.rare = rare
	var keys [bands]uint64
	bandKeys(sig, &keys)
	n := floorDiv(t, ix.half)
	for k := n - 2; k <= n+2; k++ {
		g := ix.gens[k]
		if g == nil {
			continue
		}
		for _, r := range rare {
			if p, found := g.terms[r.w]; found && p.n < maxPosting {
				for e, k := p.head, 0; e >= 0 && k < maxTraverse; e, k = g.entries[e].next, k+1 {
					cands = append(cands, g.entries[e].story)
				}
			}
		}
		if !empty(sig) {
			for _, k := range keys {
				if s, found := g.bands[k]; found {
					banded = append(banded, s)
				}
			}
		}
	}
	// A story is compared in full when it shares two terms or a band with
	// the item; of those sharing terms, only the maxCompare sharing most.
	// The count is a cheap filter (a story listed twice under one word
	// counts twice); match decides on the exact sets.
	slices.Sort(cands)
	slices.Sort(banded)
	banded = slices.Compact(banded)
	counted := ix.counted[:0]
	for i := 0; i < len(cands); {
		j := i + 1
		for j < len(cands) && cands[j] == cands[i] {
			j++
		}
		if j-i >= 2 {
			counted = append(counted, candidate{cands[i], j - i})
		}
		i = j
	}
	if len(counted) > maxCompare {
		slices.SortFunc(counted, func(a, b candidate) int {
			if a.shared != b.shared {
				return b.shared - a.shared
			}
			return cmpInt64(a.story, b.story)
		})
		counted = counted[:maxCompare]
	}
	var bestScore float64
	consider := func(s int64) {
		st := ix.stories[s]
		if st == nil || absDiff(st.start, t) > int64(ix.cfg.Window) {
			return
		}
		score, match, near := ix.match(&st.reps[0], sig)
		if !match && near >= ix.cfg.MinCentre {
			for i := 1; i < len(st.reps); i++ {
				if sc, m, _ := ix.match(&st.reps[i], sig); m {
					score, match = max(score, sc), true
				}
			}
		}
		if match && (score > bestScore || score == bestScore && s < id) {
			id, ok, bestScore = s, true, score
		}
	}
	for _, c := range counted {
		consider(c.story)
	}
	for _, s := range banded {
		consider(s)
	}
	ix.cands, ix.banded, ix.counted = cands, banded, counted
	return id, ok
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// match applies the thresholds of Config to a member of a story and a new
// item, scores the match for choosing among several stories, and returns
// the weighted overlap of their texts. Titles whose numbers conflict never
// match, nor are they near.
func (ix *Index) match(member, sig *Signature) (score float64, ok bool, text float64) {
	shared, _, conflict := titleMatch(member.Title, sig.Title)
	if conflict {
		return 0, false, 0
	}
	sim := Similarity(member, sig)
	sw := ix.sharedWeight(member, sig)
	text, exact := ix.textOverlap(member, sw)
	if sim < ix.cfg.SameText && (text < ix.cfg.MinText || shared < ix.cfg.MinTitleShared) {
		return 0, false, text
	}
	title := ix.weightedOverlap(member.Title, sig.Title, sig.Terms, ix.docW)
	ok = sim >= ix.cfg.SameText || title >= ix.cfg.MinTitleOverlap
	if ok && !exact {
		// The bound decided; the score ranks matches, so it is exact.
		text = ix.overlapOf(member, sw)
	}
	return sim + text + title, ok, text
}

// textOverlap is the weighted overlap of the terms of a member and a new
// item, which share the weight shared: that weight over the lighter one's.
// The member's weight costs a look-up per word, so it is summed only when
// the decision needs it: when the shared weight is at least the
// thresholds' share of the new item's weight, the overlap is too, and that
// lower bound is returned with exact false. The bound decides thresholds,
// never a score (see match).
func (ix *Index) textOverlap(member *Signature, shared float64) (overlap float64, exact bool) {
	if shared == 0 || ix.docWSum == 0 {
		return 0, true
	}
	if lower := shared / ix.docWSum; lower >= max(ix.cfg.MinText, ix.cfg.MinCentre) {
		return lower, false
	}
	return ix.overlapOf(member, shared), true
}

// overlapOf is the exact overlap: shared over the weight of the lighter
// of member and the new item.
func (ix *Index) overlapOf(member *Signature, shared float64) float64 {
	var wa float64
	for _, w := range member.Terms {
		wa += ix.weight(w)
	}
	return shared / min(wa, ix.docWSum)
}

// sharedWeight is the weight of the terms a member and the new item share.
func (ix *Index) sharedWeight(member, sig *Signature) float64 {
	a, b := member.Terms, sig.Terms
	var shared float64
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			shared += ix.docW[j]
			i++
			j++
		}
	}
	return shared
}

// insert makes story s a candidate for items that share a term or a
// band with sig.
func (ix *Index) insert(g *generation, s int64, sig *Signature) {
	g.items++
	ix.items++
	for _, w := range sig.Terms {
		g.add(w, s)
		g.df[w]++
		ix.df[w]++
	}
	if empty(sig) {
		return
	}
	var keys [bands]uint64
	bandKeys(sig, &keys)
	for _, k := range keys {
		g.bands[k] = s
	}
}

// bandKeys computes the LSH band keys of a signature.
func bandKeys(sig *Signature, keys *[bands]uint64) {
	for b := range bands {
		k := uint64(b + 1)
		for r := range rows {
			k = k<<16 | uint64(sig.Min[b*rows+r])
		}
		keys[b] = mix(k)
	}
}

// empty reports whether sig has no text features.
func empty(sig *Signature) bool { return sig.Min[0] == 0xffff && sig.Min[1] == 0xffff }

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func mod(a, b int64) int64 { return a - floorDiv(a, b)*b }

func absDiff(a, b int64) int64 {
	if a > b {
		return a - b
	}
	return b - a
}

// weight is the inverse document frequency of a word among the items
// of the window: a word in many titles ("storm", "election") says less about
// two titles being one story than a name found in few.
func (ix *Index) weight(w uint32) float64 {
	return ix.weightOf(ix.df[w])
}

// weightOf is the weight of a word found in df items of the window.
func (ix *Index) weightOf(df int32) float64 {
	return math.Log(float64(ix.items+2) / float64(df+1))
}

// weightedOverlap is the weight of the words two sets share over the
// weight of the lighter set. Weights of b's words are looked up in terms,
// whose weights are tw (the new item's, computed once per Add).
func (ix *Index) weightedOverlap(a, b, terms []uint32, tw []float64) float64 {
	wOf := func(w uint32) float64 {
		if k, found := slices.BinarySearch(terms, w); found {
			return tw[k]
		}
		return ix.weight(w)
	}
	var wa, wb, shared float64
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || i < len(a) && a[i] < b[j]:
			wa += ix.weight(a[i])
			i++
		case i == len(a) || b[j] < a[i]:
			wb += wOf(b[j])
			j++
		default:
			w := wOf(b[j])
			wa += w
			wb += w
			shared += w
			i++
			j++
		}
	}
	if d := min(wa, wb); d > 0 {
		return shared / d
	}
	return 0
}
