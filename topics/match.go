package topics

import (
	"math/bits"
	"slices"
	"sort"
	"strings"
)

// segGap separates the fields of a document in token positions, so that no
// phrase or proximity window (at most maxDist) spans two fields.
const segGap = maxDist + 24

// span is a half-open range of token positions.
type span struct{ lo, hi int32 }

// state is the per-call index of one document: for every query word of the
// Set that occurs in it, the ascending token positions. It is pooled.
type state struct {
	doc      *Doc
	occ      [][]int32 // by term id
	touched  []int32   // term ids with positions
	rng      [nFields]span
	titleEnd int32
	buf      []byte
	cand     []uint64
	hits     []Hit
	matched  []int32 // topic indexes
	ends     []int   // end of each matched topic's hits
	scratch  []int32

	lowTitle, lowText lowered

	hostDone bool
	host     string
	langDone bool
	lang     string
}

func (st *state) reset(d *Doc) {
	for _, id := range st.touched {
		st.occ[id] = st.occ[id][:0]
	}
	st.touched = st.touched[:0]
	st.hits = st.hits[:0]
	st.doc = d
	st.hostDone, st.langDone = false, false
	st.lowTitle.done, st.lowText.done = false, false
	st.host, st.lang = "", ""
}

func (st *state) add(id int32, pos int32) {
	l := st.occ[id]
	if len(l) == 0 {
		st.touched = append(st.touched, id)
	} else if l[len(l)-1] == pos {
		return
	}
	st.occ[id] = append(l, pos)
}

// index tokenizes every field of the document once, laying the fields out
// one after another in a single position space.
func (st *state) index(tr *trie, d *Doc) {
	pos := st.addText(tr, d.Title, 0)
	st.titleEnd = pos
	st.rng[fTitle] = span{0, pos}
	pos = st.addText(tr, d.Text, pos+segGap)
	st.rng[fText] = span{0, pos}
	pos += segGap
	st.rng[fFeed].lo = pos
	pos = st.addText(tr, d.Feed, pos)
	st.rng[fFeed].hi = pos
	pos += segGap
	st.rng[fAuthor].lo = pos
	pos = st.addText(tr, d.Author, pos)
	st.rng[fAuthor].hi = pos
	pos += segGap
	st.rng[fCategory].lo = pos
	for _, c := range d.Categories {
		pos = st.addText(tr, c, pos) + segGap
	}
	st.rng[fCategory].hi = pos
	st.rng[fTag].lo = pos
	for _, c := range d.Tags {
		pos = st.addText(tr, c, pos) + segGap
	}
	st.rng[fTag].hi = pos
}

// addText records the query words found in text from position pos on and
// returns the position after its last token.
func (st *state) addText(tr *trie, text string, pos int32) int32 {
	sc := newScanner(text, st.buf)
	for {
		tok, _, _, ok := sc.next()
		if !ok {
			break
		}
		// Wildcards match the word as written (talk* matches "talks");
		// whole words match after the English folding. Usually the folded
		// word is a prefix of the word, and one walk does both.
		if n := foldLen(tok, sc.apos); n >= 0 {
			st.walk(tr, tok, n, pos)
		} else {
			if tr.hasPrefixes {
				st.walk(tr, tok, -1, pos)
			}
			w := englishFold(tok)
			st.walk(tr, w, len(w), pos)
		}
		pos++
	}
	st.buf = sc.buf
	return pos
}

// walk records the wildcards matching tok, and the whole word tok[:exact]
// (none when exact is -1).
func (st *state) walk(tr *trie, tok []byte, exact int, pos int32) {
	if !tr.hasPrefixes {
		if exact < 0 {
			return
		}
		tok = tok[:exact]
	}
	nodes, edges := tr.nodes, tr.edges
	nd := &nodes[0]
	for d := 0; ; d++ {
		if nd.flags != 0 {
			if d == exact && nd.exact >= 0 {
				st.add(nd.exact, pos)
			}
			if nd.prefix >= 0 {
				st.add(nd.prefix, pos)
			}
		}
		if d == len(tok) {
			return
		}
		k := uint(tok[d]) - uint(nd.lo)
		if k >= uint(nd.n) {
			return
		}
		ni := edges[nd.off+int32(k)]
		if ni == 0 {
			return
		}
		nd = &nodes[ni]
	}
}

// within returns the positions of term id inside field f.
func (st *state) within(id int32, f field) []int32 {
	l := st.occ[id]
	if len(l) == 0 {
		return nil
	}
	r := st.rng[f]
	i := 0
	if r.lo > 0 {
		if len(l) > 16 {
			i = sort.Search(len(l), func(i int) bool { return l[i] >= r.lo })
		} else {
			for i < len(l) && l[i] < r.lo {
				i++
			}
		}
	}
	j := i
	for j < len(l) && l[j] < r.hi {
		j++
	}
	return l[i:j]
}

// first returns the first position of id in f, or -1.
func (st *state) first(id int32, f field) int32 {
	l := st.occ[id]
	if len(l) == 0 {
		return -1
	}
	r := st.rng[f]
	for _, p := range l {
		if p >= r.hi {
			return -1
		}
		if p >= r.lo {
			return p
		}
	}
	return -1
}

// fieldAt names where a match at pos was found: text matches in the title
// report "title", which is more useful when explaining.
func (st *state) fieldAt(f field, pos int32) string {
	if f == fText && pos < st.titleEnd {
		return "title"
	}
	return fieldNames[f]
}

func (st *state) hostName() string {
	if !st.hostDone {
		st.host = hostOf(st.doc.Link)
		st.hostDone = true
	}
	return st.host
}

func (st *state) language() string {
	if !st.langDone {
		st.lang = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(st.doc.Lang)), "_", "-")
		st.langDone = true
	}
	return st.lang
}

// hostOf extracts the lower-cased host of a URL without the cost of
// url.Parse.
func hostOf(link string) string {
	h := link
	if i := strings.Index(h, "://"); i >= 0 {
		h = h[i+3:]
	} else if strings.HasPrefix(h, "//") {
		h = h[2:]
	} else {
		return ""
	}
	if i := strings.IndexAny(h, "/?#"); i >= 0 {
		h = h[:i]
	}
	if i := strings.LastIndexByte(h, '@'); i >= 0 {
		h = h[i+1:]
	}
	if strings.HasPrefix(h, "[") {
		if i := strings.IndexByte(h, ']'); i >= 0 {
			return strings.ToLower(h[:i+1])
		}
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 {
		h = h[:i]
	}
	h = strings.TrimSuffix(h, ".")
	for i := 0; i < len(h); i++ {
		if c := h[i]; 'A' <= c && c <= 'Z' || c >= 0x80 {
			return strings.ToLower(h)
		}
	}
	return h
}

// Match returns the topics (in definition order) that match d, each with the
// positive terms that matched it.
func (s *Set) Match(d *Doc) []Match {
	if s == nil || len(s.topics) == 0 {
		return nil
	}
	st := s.pool.Get().(*state)
	defer s.pool.Put(st)
	st.reset(d)
	st.index(s.trie, d)

	cand := st.cand
	copy(cand, s.always)
	for _, id := range st.touched {
		for _, t := range s.byTerm[id] {
			cand[t/64] |= 1 << (t % 64)
		}
	}
	st.matched, st.ends = st.matched[:0], st.ends[:0]
	for w, word := range cand {
		for word != 0 {
			i := w*64 + bits.TrailingZeros64(word)
			word &= word - 1
			t := s.topics[i]
			if !t.root.eval(st) {
				continue
			}
			start := len(st.hits)
			st.hits = t.root.hits(st, st.hits)
			// Hits are deduplicated per topic, not across topics.
			st.hits = append(st.hits[:start], dedupe(st.hits[start:])...)
			st.matched = append(st.matched, int32(i))
			st.ends = append(st.ends, len(st.hits))
		}
	}
	if len(st.matched) == 0 {
		return nil
	}
	// Two allocations, whatever the number of matches.
	out := make([]Match, len(st.matched))
	all := slices.Clone(st.hits)
	start := 0
	for j, i := range st.matched {
		end := st.ends[j]
		out[j] = Match{Topic: s.topics[i].name, Hits: all[start:end:end]}
		start = end
	}
	return out
}

func dedupe(h []Hit) []Hit {
	out := h[:0]
	for _, x := range h {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}
