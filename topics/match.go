package topics

import (
	"bytes"
	"encoding/binary"
	"regexp"
	"regexp/syntax"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
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

// lowered is a lazily computed lowerASCII of a long field.
type lowered struct {
	b        []byte
	ok, done bool
}

// enode is a compiled query node.
type enode interface {
	eval(st *state) bool
	// hits appends the positive terms that make a true node true.
	hits(st *state, out []Hit) []Hit
	cost() int
	// need returns term ids of which at least one must occur for the node
	// to match, or nil when it may match without any.
	need() []int32
}

type (
	andE  struct{ kids []enode }
	orE   struct{ kids []enode }
	notE  struct{ kid enode }
	termE struct {
		id    int32
		field field
		label string
	}
	phraseE struct {
		ids   []int32
		field field
		label string
	}
	nearE struct {
		slots [][]alt
		dist  int32
		label string
	}
	regexE struct {
		re    *regexp.Regexp
		lit   []byte // lower-case ASCII the regex cannot match without, or nil
		field field
		label string
	}
	valueE struct {
		field field
		value string
		label string
	}
	refE struct{ t *topic }
)

func (n *andE) eval(st *state) bool {
	for _, k := range n.kids {
		if !k.eval(st) {
			return false
		}
	}
	return true
}

func (n *andE) hits(st *state, out []Hit) []Hit {
	for _, k := range n.kids {
		out = k.hits(st, out)
	}
	return out
}

func (n *andE) cost() int {
	c := 0
	for _, k := range n.kids {
		c += k.cost()
	}
	return c
}

func (n *andE) need() []int32 {
	var best []int32
	for _, k := range n.kids {
		if nd := k.need(); nd != nil && (best == nil || len(nd) < len(best)) {
			best = nd
		}
	}
	return best
}

func (n *orE) eval(st *state) bool {
	for _, k := range n.kids {
		if k.eval(st) {
			return true
		}
	}
	return false
}

func (n *orE) hits(st *state, out []Hit) []Hit {
	for _, k := range n.kids {
		if k.eval(st) {
			out = k.hits(st, out)
		}
	}
	return out
}

func (n *orE) cost() int {
	c := 0
	for _, k := range n.kids {
		c += k.cost()
	}
	return c
}

func (n *orE) need() []int32 {
	var all []int32
	for _, k := range n.kids {
		nd := k.need()
		if nd == nil {
			return nil
		}
		all = append(all, nd...)
	}
	slices.Sort(all)
	return slices.Compact(all)
}

func (n *notE) eval(st *state) bool              { return !n.kid.eval(st) }
func (n *notE) hits(_ *state, out []Hit) []Hit   { return out }
func (n *notE) cost() int                        { return n.kid.cost() }
func (n *notE) need() []int32                    { return nil }
func (n *refE) eval(st *state) bool              { return n.t.root.eval(st) }
func (n *refE) hits(st *state, out []Hit) []Hit  { return n.t.root.hits(st, out) }
func (n *refE) cost() int                        { return n.t.root.cost() }
func (n *refE) need() []int32                    { return n.t.root.need() }
func (n *termE) eval(st *state) bool             { return st.first(n.id, n.field) >= 0 }
func (n *termE) cost() int                       { return 1 }
func (n *termE) need() []int32                   { return []int32{n.id} }
func (n *phraseE) eval(st *state) bool           { return n.find(st) >= 0 }
func (n *phraseE) cost() int                     { return 3 }
func (n *phraseE) need() []int32                 { return []int32{n.ids[0]} }
func (n *nearE) eval(st *state) bool             { return n.find(st) >= 0 }
func (n *nearE) cost() int                       { return 5 }
func (n *regexE) eval(st *state) bool            { return n.find(st) != "" }
func (n *regexE) cost() int                      { return 50 }
func (n *regexE) need() []int32                  { return nil }
func (n *valueE) cost() int                      { return 2 }
func (n *valueE) need() []int32                  { return nil }
func (n *valueE) hits(_ *state, out []Hit) []Hit { return addHit(out, n.label, fieldNames[n.field]) }
func (n *termE) hits(st *state, out []Hit) []Hit {
	return addHit(out, n.label, st.fieldAt(n.field, st.first(n.id, n.field)))
}
func (n *phraseE) hits(st *state, out []Hit) []Hit {
	return addHit(out, n.label, st.fieldAt(n.field, n.find(st)))
}
func (n *regexE) hits(st *state, out []Hit) []Hit { return addHit(out, n.label, n.find(st)) }

func (n *nearE) hits(st *state, out []Hit) []Hit {
	f := n.slots[0][0].field
	return addHit(out, n.label, st.fieldAt(f, n.find(st)))
}

func addHit(out []Hit, term, field string) []Hit {
	return append(out, Hit{Term: term, Field: field})
}

// find returns the position of the first occurrence of the phrase, or -1.
func (n *phraseE) find(st *state) int32 {
	hi := st.rng[n.field].hi
	last := int32(len(n.ids) - 1)
outer:
	for _, p := range st.within(n.ids[0], n.field) {
		if p+last >= hi {
			return -1
		}
		for i, id := range n.ids[1:] {
			if _, ok := slices.BinarySearch(st.occ[id], p+int32(i)+1); !ok {
				continue outer
			}
		}
		return p
	}
	return -1
}

// alt is one alternative word of a NEAR slot.
type alt struct {
	id    int32
	field field
}

// find returns the start of the first window of at most dist tokens holding
// a word of every slot, or -1.
func (n *nearE) find(st *state) int32 {
	var listBuf [8][]int32
	var idxBuf [8]int
	lists, idx := listBuf[:0], idxBuf[:0]
	if len(n.slots) > len(listBuf) {
		idx = make([]int, 0, len(n.slots))
	}
	merged := st.scratch[:0]
	defer func() { st.scratch = merged }()
	for _, slot := range n.slots {
		var l []int32
		if len(slot) == 1 {
			l = st.within(slot[0].id, slot[0].field)
		} else {
			// Alternatives: their positions merged, in the scratch space.
			// Earlier lists stay valid if append moves it.
			start := len(merged)
			for _, a := range slot {
				merged = append(merged, st.within(a.id, a.field)...)
			}
			l = merged[start:len(merged):len(merged)]
			slices.Sort(l)
		}
		if len(l) == 0 {
			return -1
		}
		lists = append(lists, l)
		idx = append(idx, 0)
	}
	for {
		minI, minV, maxV := 0, lists[0][idx[0]], lists[0][idx[0]]
		for i, l := range lists[1:] {
			v := l[idx[i+1]]
			if v < minV {
				minI, minV = i+1, v
			}
			maxV = max(maxV, v)
		}
		if maxV-minV <= n.dist {
			return minV
		}
		idx[minI]++
		if idx[minI] == len(lists[minI]) {
			return -1
		}
	}
}

// find returns the name of the first field value the regex matches, or "".
func (n *regexE) find(st *state) string {
	d := st.doc
	match := func(name string, vals ...string) string {
		for _, v := range vals {
			if v != "" && n.re.MatchString(v) {
				return name
			}
		}
		return ""
	}
	// Title and content are long: a cheap search for the regex's literal
	// skips most of them before the regex engine runs.
	matchLong := func(name string, v string, low *lowered) string {
		if v == "" {
			return ""
		}
		if n.lit != nil {
			if !low.done {
				low.b, low.ok = lowerASCII(low.b, v)
				low.done = true
			}
			if low.ok && !bytes.Contains(low.b, n.lit) {
				return ""
			}
		}
		if n.re.MatchString(v) {
			return name
		}
		return ""
	}
	switch n.field {
	case fText:
		if r := matchLong("title", d.Title, &st.lowTitle); r != "" {
			return r
		}
		return matchLong("text", d.Text, &st.lowText)
	case fTitle:
		return matchLong("title", d.Title, &st.lowTitle)
	case fFeed:
		return match("feed", d.Feed)
	case fAuthor:
		return match("author", d.Author)
	case fCategory:
		return match("category", d.Categories...)
	case fTag:
		return match("tag", d.Tags...)
	case fDomain:
		return match("domain", st.hostName())
	case fLang:
		return match("lang", st.language())
	}
	return ""
}

func (n *valueE) eval(st *state) bool {
	switch n.field {
	case fDomain:
		h := st.hostName()
		return h == n.value || len(h) > len(n.value) && strings.HasSuffix(h, n.value) && h[len(h)-len(n.value)-1] == '.'
	case fLang:
		l := st.language()
		return l == n.value || len(l) > len(n.value) && strings.HasPrefix(l, n.value) && l[len(n.value)] == '-'
	}
	return false
}

func (n *nearE) need() []int32 {
	var ids []int32
	for _, a := range n.slots[0] {
		ids = append(ids, a.id)
	}
	return ids
}

// lowerASCII sets dst to s with ASCII letters lower-cased. It reports false
// when s holds ſ (U+017F) or K (U+212A), the two non-ASCII letters a
// case-insensitive regex equates with ASCII ones, so that a literal search
// could miss a match.
func lowerASCII(dst []byte, s string) ([]byte, bool) {
	dst = slices.Grow(dst[:0], len(s))[:len(s)]
	i := 0
	// Eight bytes at a time: set bit 5 of every byte in 'A'..'Z'.
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(s); i += 8 {
		x := binary.LittleEndian.Uint64([]byte(s[i : i+8]))
		h := x &^ highs
		geA := h + ones*(0x80-'A')
		gtZ := h + ones*(0x7f-'Z')
		upper := (geA &^ gtZ) &^ x & highs
		binary.LittleEndian.PutUint64(dst[i:], x|upper>>2)
	}
	for ; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst[i] = c
	}
	return dst, !strings.Contains(s, "\u017f") && !strings.Contains(s, "\u212a")
}

// requiredLiteral returns a lower-case ASCII string that any match of the
// case-insensitive regex must contain, or nil when it finds none worth
// searching for.
func requiredLiteral(pattern string) []byte {
	re, err := syntax.Parse(pattern, syntax.Perl|syntax.FoldCase)
	if err != nil {
		return nil
	}
	lit := strings.ToLower(mustContain(re.Simplify()))
	for i := 0; i < len(lit); i++ {
		if lit[i] >= utf8.RuneSelf {
			return nil
		}
	}
	if len(lit) < 3 {
		return nil
	}
	return []byte(lit)
}

// mustContain returns the longest literal every match of re contains.
func mustContain(re *syntax.Regexp) string {
	switch re.Op {
	case syntax.OpLiteral:
		return string(re.Rune)
	case syntax.OpCapture, syntax.OpPlus:
		return mustContain(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return mustContain(re.Sub[0])
		}
	case syntax.OpConcat:
		best, run := "", ""
		for _, sub := range re.Sub {
			if sub.Op == syntax.OpLiteral {
				run += string(sub.Rune)
				if len(run) > len(best) {
					best = run
				}
				continue
			}
			run = ""
			if m := mustContain(sub); len(m) > len(best) {
				best = m
			}
		}
		return best
	}
	return ""
}
