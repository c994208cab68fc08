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
// 0.74 to 1, unrelated ones almost never. Title words find the rest.
const (
	bands = 10
	rows  = 3
)

// maxPosting bounds the stories remembered per title word in a generation.
// A word found in that many titles ("trump", "covid") is too common to find
// candidates with: Add skips its postings, and the rarer words of the same
// title find the story. The bound keeps Add constant-time; the word still
// counts, with a low weight, when titles are compared.
const maxPosting = 32

// story is an open story: its centre and when it started.
type story struct {
	// centre is the story's first item. Every member was compared with it
	// when it joined, so members stay close to one item and unrelated
	// stories never chain through a member in between.
	centre Signature
	start  int64 // unix nanoseconds of the centre's publication
	gen    int64
}

// generation holds the lookup tables of the items published in one half
// window. Three generations cover every story that an item can join, so
// expiring a generation drops whole maps instead of single entries.
//
// The maps hold no pointers, so that a full window costs the garbage
// collector nothing to scan: postings are linked lists in one slice.
type generation struct {
	num     int64
	titles  map[uint32]posting // title word hash → its stories
	entries []entry            // the postings' cells
	bands   map[uint64]int64   // band key → the latest story with it
	stories []int64            // stories whose centre falls in this generation
	items   int                // items added in this generation
}

// posting is the list of stories with one title word: its newest cell and
// its length.
type posting struct{ head, n int32 }

// entry is one cell of a posting; next is -1 at the end.
type entry struct {
	story int64
	next  int32
}

// add prepends story s to word w's posting unless it is already first or
// the posting is full: a full posting only says that the word is common
// (see maxPosting).
func (g *generation) add(w uint32, s int64) (added bool) {
	p, ok := g.titles[w]
	if !ok {
		p.head = -1
	}
	if p.n >= maxPosting || p.n > 0 && g.entries[p.head].story == s {
		return false
	}
	g.entries = append(g.entries, entry{story: s, next: p.head})
	g.titles[w] = posting{head: int32(len(g.entries) - 1), n: p.n + 1}
	return true
}

// Index groups items into stories incrementally. Add costs a few map
// look-ups and at most a bounded number of signature comparisons, however
// many items it holds. An Index is not safe for concurrent use.
type Index struct {
	cfg     Config
	half    int64 // generation width, nanoseconds
	hi      int64 // newest generation number
	started bool
	gens    [3]*generation
	stories map[int64]*story
	df      map[uint32]int32 // title word → stories listing it, all generations
	items   int              // items in all generations
	docW    []float64        // scratch: weights of the new item's title words
	cands   []int64          // scratch: candidate stories, once per shared title word
	banded  []int64          // scratch: candidate stories sharing a band
}

// NewIndex returns an empty Index with the thresholds of cfg, which must be
// valid (see Config.Validate).
func NewIndex(cfg Config) *Index {
	return &Index{
		cfg:     cfg,
		half:    max(int64(cfg.Window/2), 1),
		stories: make(map[int64]*story),
		df:      make(map[uint32]int32),
	}
}

// Len returns the number of stories still open to new items.
func (ix *Index) Len() int { return len(ix.stories) }

// Add assigns d to a story: the most similar open story whose centre it
// matches (see Config), or a new story whose id is d.ID. joined reports
// whether d joined an existing story. Items should come in roughly
// publication order: one older than the open stories opens a story of its
// own.
func (ix *Index) Add(d Doc) (storyID int64, joined bool) {
	t := d.Published.UnixNano()
	g := ix.advance(t)
	storyID = d.ID
	if best, ok := ix.best(&d.Sig, t); ok {
		storyID, joined = best, true
	} else if g != nil {
		ix.stories[d.ID] = &story{centre: d.Sig, start: t, gen: g.num}
		g.stories = append(g.stories, d.ID)
	}
	if g != nil {
		ix.insert(g, storyID, &d.Sig)
	}
	return storyID, joined
}

// Restore puts back an item whose story was decided before (by Add, and
// stored), as when the daemon starts: no decision is made. The first item
// restored for a story becomes its centre, so items must be restored in
// publication order.
func (ix *Index) Restore(storyID int64, d Doc) {
	t := d.Published.UnixNano()
	g := ix.advance(t)
	if g == nil {
		return
	}
	if _, ok := ix.stories[storyID]; !ok {
		ix.stories[storyID] = &story{centre: d.Sig, start: t, gen: g.num}
		g.stories = append(g.stories, storyID)
	}
	ix.insert(g, storyID, &d.Sig)
}

// advance moves the newest generation forward to t's, dropping the
// generations that fall out of the window, and returns t's generation, or
// nil when t is older than every story still open.
func (ix *Index) advance(t int64) *generation {
	n := floorDiv(t, ix.half)
	if !ix.started {
		ix.started, ix.hi = true, n
	}
	if n > ix.hi {
		for k := max(ix.hi+1, n-2); k <= n; k++ {
			ix.drop(k)
		}
		ix.hi = n
	}
	if n <= ix.hi-3 {
		return nil
	}
	slot := int(mod(n, 3))
	g := ix.gens[slot]
	if g == nil || g.num != n {
		ix.drop(n)
		g = &generation{num: n, titles: make(map[uint32]posting), bands: make(map[uint64]int64)}
		ix.gens[slot] = g
	}
	return g
}

// drop empties the slot that generation n will use.
func (ix *Index) drop(n int64) {
	slot := int(mod(n, 3))
	if old := ix.gens[slot]; old != nil && old.num != n {
		for _, id := range old.stories {
			delete(ix.stories, id)
		}
		for w, p := range old.titles {
			if ix.df[w] -= p.n; ix.df[w] <= 0 {
				delete(ix.df, w)
			}
		}
		ix.items -= old.items
		ix.gens[slot] = nil
	}
}

// best returns the open story that a signature published at t joins.
func (ix *Index) best(sig *Signature, t int64) (id int64, ok bool) {
	cands, banded := ix.cands[:0], ix.banded[:0]
	ix.docW = ix.docW[:0]
	for _, w := range sig.Title {
		ix.docW = append(ix.docW, ix.weight(w))
	}
	var keys [bands]uint64
	bandKeys(sig, &keys)
	for _, g := range ix.gens {
		if g == nil {
			continue
		}
		for _, w := range sig.Title {
			if p, found := g.titles[w]; found && p.n < maxPosting {
				for e := p.head; e >= 0; e = g.entries[e].next {
					cands = append(cands, g.entries[e].story)
				}
			}
		}
		for _, k := range keys {
			if s, found := g.bands[k]; found {
				banded = append(banded, s)
			}
		}
	}
	// A story must share MinTitleShared title words or a band to be
	// compared at all. The count is a cheap filter (a story listed twice
	// under one word counts twice); match decides on the exact titles.
	slices.Sort(cands)
	slices.Sort(banded)
	banded = slices.Compact(banded)
	var bestScore float64
	consider := func(s int64) {
		st := ix.stories[s]
		if st == nil || absDiff(st.start, t) > int64(ix.cfg.Window) {
			return
		}
		score, match := ix.match(&st.centre, sig)
		if match && (score > bestScore || score == bestScore && s < id) {
			id, ok, bestScore = s, true, score
		}
	}
	for i := 0; i < len(cands); {
		j := i + 1
		for j < len(cands) && cands[j] == cands[i] {
			j++
		}
		if j-i >= ix.cfg.MinTitleShared {
			consider(cands[i])
		} else if _, found := slices.BinarySearch(banded, cands[i]); found {
			consider(cands[i])
		}
		i = j
	}
	for _, s := range banded {
		if _, found := slices.BinarySearch(cands, s); !found {
			consider(s)
		}
	}
	ix.cands, ix.banded = cands, banded
	return id, ok
}

// match applies the thresholds of Config to a story's centre and a new
// item, and scores the match for choosing among several stories.
func (ix *Index) match(centre, sig *Signature) (score float64, ok bool) {
	shared, _, conflict := titleMatch(centre.Title, sig.Title)
	if conflict {
		return 0, false
	}
	overlap := ix.weightedOverlap(centre.Title, sig.Title, ix.docW)
	sim := Similarity(centre, sig)
	ok = sim >= ix.cfg.SameText ||
		sim >= ix.cfg.MinText && shared >= ix.cfg.MinTitleShared && overlap >= ix.cfg.MinTitleOverlap
	return sim + overlap, ok
}

// insert makes story s a candidate for items that share a title word or a
// band with sig.
func (ix *Index) insert(g *generation, s int64, sig *Signature) {
	g.items++
	ix.items++
	for _, w := range sig.Title {
		if g.add(w, s) {
			ix.df[w]++
		}
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

// weight is the inverse document frequency of a title word among the items
// of the window: a word in many titles ("storm", "election") says less about
// two titles being one story than a name found in few.
func (ix *Index) weight(w uint32) float64 {
	return math.Log(float64(ix.items+2) / float64(ix.df[w]+1))
}

// weightedOverlap is the weight of the words two titles share over the
// weight of the lighter title.
func (ix *Index) weightedOverlap(a, b []uint32, bw []float64) float64 {
	var wa, wb, shared float64
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || i < len(a) && a[i] < b[j]:
			wa += ix.weight(a[i])
			i++
		case i == len(a) || b[j] < a[i]:
			wb += bw[j]
			j++
		default:
			w := bw[j]
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
