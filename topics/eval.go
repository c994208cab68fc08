package topics

import (
	"regexp"
	"slices"
	"strings"
)

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
