package stories

import (
	"math"
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

// maxPosting bounds the stories remembered per title word in a generation:
// a word in hundreds of titles ("trump") is of little help past its most
// recent uses, and the bound keeps Add constant-time.
const maxPosting = 64

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
type generation struct {
	num     int64
	titles  map[uint32][]int64 // title word hash → stories, oldest first
	bands   map[uint64][]int64 // band key → stories
	stories []int64            // stories whose centre falls in this generation
	items   int                // items added in this generation
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
	seen    map[int64]uint8 // scratch: candidate → shared title words
}

// NewIndex returns an empty Index with the thresholds of cfg, which must be
// valid (see Config.Validate).
func NewIndex(cfg Config) *Index {
	return &Index{
		cfg:     cfg,
		half:    max(int64(cfg.Window/2), 1),
		stories: make(map[int64]*story),
		seen:    make(map[int64]uint8),
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
		g = &generation{num: n, titles: make(map[uint32][]int64), bands: make(map[uint64][]int64)}
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
		ix.gens[slot] = nil
	}
}

// Candidate flags in Index.seen.
const (
	countMask = 0x7f // title words shared (saturating)
	viaBand   = 0x80 // shares an LSH band
)

// best returns the open story that a signature published at t joins.
func (ix *Index) best(sig *Signature, t int64) (id int64, ok bool) {
	clear(ix.seen)
	var keys [bands]uint64
	bandKeys(sig, &keys)
	for _, g := range ix.gens {
		if g == nil {
			continue
		}
		for _, w := range sig.Title {
			for _, s := range g.titles[w] {
				if c := ix.seen[s]; c&countMask < countMask {
					ix.seen[s] = c + 1
				}
			}
		}
		for _, k := range keys {
			for _, s := range g.bands[k] {
				ix.seen[s] |= viaBand
			}
		}
	}
	var bestScore float64
	for s, c := range ix.seen {
		if c&viaBand == 0 && int(c&countMask) < ix.cfg.MinTitleShared {
			continue // cannot match: too few title words in common
		}
		st := ix.stories[s]
		if st == nil || absDiff(st.start, t) > int64(ix.cfg.Window) {
			continue
		}
		score, match := ix.match(&st.centre, sig)
		if match && (score > bestScore || score == bestScore && s < id) {
			id, ok, bestScore = s, true, score
		}
	}
	return id, ok
}

// match applies the thresholds of Config to a story's centre and a new
// item, and scores the match for choosing among several stories.
func (ix *Index) match(centre, sig *Signature) (score float64, ok bool) {
	shared, _, conflict := titleMatch(centre.Title, sig.Title)
	if conflict {
		return 0, false
	}
	overlap := ix.weightedOverlap(centre.Title, sig.Title)
	sim := Similarity(centre, sig)
	ok = sim >= ix.cfg.SameText ||
		sim >= ix.cfg.MinText && shared >= ix.cfg.MinTitleShared && overlap >= ix.cfg.MinTitleOverlap
	return sim + overlap, ok
}

// insert makes story s a candidate for items that share a title word or a
// band with sig.
func (ix *Index) insert(g *generation, s int64, sig *Signature) {
	g.items++
	for _, w := range sig.Title {
		g.titles[w] = appendCapped(g.titles[w], s)
	}
	if empty(sig) {
		return
	}
	var keys [bands]uint64
	bandKeys(sig, &keys)
	for _, k := range keys {
		g.bands[k] = appendCapped(g.bands[k], s)
	}
}

// appendCapped appends s unless it is already last, keeping at most
// maxPosting entries (the newest).
func appendCapped(l []int64, s int64) []int64 {
	if n := len(l); n > 0 && l[n-1] == s {
		return l
	}
	if len(l) >= 2*maxPosting {
		l = append(l[:0], l[len(l)-maxPosting+1:]...)
	}
	return append(l, s)
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
	n, df := 0, 0
	for _, g := range ix.gens {
		if g != nil {
			n += g.items
			df += len(g.titles[w])
		}
	}
	return math.Log(float64(n+2) / float64(df+1))
}

// weightedOverlap is the weight of the words two titles share over the
// weight of the lighter title.
func (ix *Index) weightedOverlap(a, b []uint32) float64 {
	var wa, wb, shared float64
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || i < len(a) && a[i] < b[j]:
			wa += ix.weight(a[i])
			i++
		case i == len(a) || b[j] < a[i]:
			wb += ix.weight(b[j])
			j++
		default:
			w := ix.weight(a[i])
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
